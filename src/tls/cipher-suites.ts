/**
 * Kong's named cipher suites (`kong/conf_loader/constants.lua`, Mozilla's Server Side TLS 5.7,
 * and OpenSSL's FIPS list): the protocols, TLS 1.2 ciphers and cipher order each one imposes.
 */
import type { CipherSuiteName, TlsProtocol } from '../conf/tls-settings.js'

/** What a named suite sets. */
export interface CipherSuite {
  readonly protocols: readonly TlsProtocol[]
  /** OpenSSL cipher list for TLS 1.2 and below; TLS 1.3 suites stay OpenSSL's defaults, as in nginx. */
  readonly ciphers?: string
  /** nginx's ssl_prefer_server_ciphers. */
  readonly preferServerCiphers: boolean
  /** DHE parameters: Kong sets the ffdhe2048 group for `intermediate`, none for the others. */
  readonly dhparam?: 'auto'
}

const INTERMEDIATE_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-CHACHA20-POLY1305',
]

const OLD_CIPHERS = [
  ...INTERMEDIATE_CIPHERS,
  'ECDHE-ECDSA-AES128-SHA256',
  'ECDHE-RSA-AES128-SHA256',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-SHA384',
  'ECDHE-RSA-AES256-SHA384',
  'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA',
  'DHE-RSA-AES128-SHA256',
  'DHE-RSA-AES256-SHA256',
  'AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-SHA256',
  'AES256-SHA256',
  'AES128-SHA',
  'AES256-SHA',
  'DES-CBC3-SHA',
]

/** The suites by name; `custom` takes ssl_ciphers, ssl_protocols and ssl_prefer_server_ciphers instead. */
export const CIPHER_SUITES: Readonly<Record<Exclude<CipherSuiteName, 'custom'>, CipherSuite>> = {
  // Every TLS 1.3 suite is considered safe, so the client chooses.
  modern: { protocols: ['TLSv1.3'], preferServerCiphers: false },
  intermediate: { protocols: ['TLSv1.2', 'TLSv1.3'], ciphers: INTERMEDIATE_CIPHERS.join(':'), preferServerCiphers: false, dhparam: 'auto' },
  // Kong lowers OpenSSL's security level for `old` (CipherString DEFAULT:@SECLEVEL=0), without
  // which OpenSSL 3 refuses TLS 1.0 and 1.1 and SHA-1 signatures.
  old: { protocols: ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'], ciphers: `${OLD_CIPHERS.join(':')}:@SECLEVEL=0`, preferServerCiphers: true },
  fips: { protocols: ['TLSv1.2'], ciphers: 'TLSv1.2+FIPS:kRSA+FIPS:!eNULL:!aNULL', preferServerCiphers: true },
}
