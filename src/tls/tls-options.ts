/**
 * The TLS options every listener and every SNI context shares, from Kong's ssl_* settings:
 * protocol range, ciphers, cipher order, session lifetime and tickets. nginx applies the same
 * ssl_* directives to every TLS server, so one set of options serves them all.
 */
import { constants } from 'node:crypto'
import type { TlsOptions } from 'node:tls'
import type { NodeConf } from '../conf/settings.js'
import { TLS_PROTOCOLS, type TlsProtocol } from '../conf/tls-settings.js'
import { CIPHER_SUITES } from './cipher-suites.js'

/** OpenSSL's option that turns one protocol off, as nginx sets it for each protocol not listed. */
const NO_PROTOCOL: Readonly<Record<TlsProtocol, number>> = {
  'TLSv1': constants.SSL_OP_NO_TLSv1,
  'TLSv1.1': constants.SSL_OP_NO_TLSv1_1,
  'TLSv1.2': constants.SSL_OP_NO_TLSv1_2,
  'TLSv1.3': constants.SSL_OP_NO_TLSv1_3,
}

/** The protocols, ciphers and cipher order in force: a named suite's, or the custom settings. */
export function effectiveTls(conf: NodeConf): { protocols: readonly TlsProtocol[]; ciphers: string | undefined; preferServerCiphers: boolean; dhparam: 'auto' | undefined } {
  if (conf.ssl_cipher_suite === 'custom') {
    return { protocols: conf.ssl_protocols, ciphers: conf.ssl_ciphers, preferServerCiphers: conf.ssl_prefer_server_ciphers, dhparam: undefined }
  }
  const suite = CIPHER_SUITES[conf.ssl_cipher_suite]
  return { protocols: suite.protocols, ciphers: suite.ciphers, preferServerCiphers: suite.preferServerCiphers, dhparam: suite.dhparam }
}

/**
 * Node's TLS server options for the node's settings. The protocol list becomes a min-max range;
 * a protocol left out inside the range (`TLSv1 TLSv1.2`) is turned off with OpenSSL's
 * SSL_OP_NO_* option, which is how nginx applies ssl_protocols, so the set is served exactly.
 */
export function tlsServerOptions(conf: NodeConf): TlsOptions {
  const { protocols, ciphers, preferServerCiphers, dhparam } = effectiveTls(conf)
  const sorted = TLS_PROTOCOLS.filter((p) => protocols.includes(p))
  const minVersion = sorted[0] ?? 'TLSv1.2'
  const maxVersion = sorted[sorted.length - 1] ?? 'TLSv1.3'
  let secureOptions = 0
  for (const p of TLS_PROTOCOLS.slice(TLS_PROTOCOLS.indexOf(minVersion), TLS_PROTOCOLS.indexOf(maxVersion) + 1)) {
    if (!sorted.includes(p)) secureOptions |= NO_PROTOCOL[p]
  }
  if (!conf.ssl_session_tickets) secureOptions |= constants.SSL_OP_NO_TICKET
  return {
    minVersion,
    maxVersion,
    ...(ciphers !== undefined ? { ciphers } : {}),
    honorCipherOrder: preferServerCiphers,
    sessionTimeout: conf.ssl_session_timeout,
    ...(secureOptions !== 0 ? { secureOptions } : {}),
    ...(dhparam !== undefined ? { dhparam } : {}),
  }
}
