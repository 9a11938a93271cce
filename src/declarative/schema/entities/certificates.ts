/** TLS material: `certificates`, the `snis` that select them, and trusted `ca_certificates`. */
import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto'
import { isIP } from 'node:net'
import * as t from '../typedefs.js'
import { defineEntity, type EntityOf, type EntityCheck, type EntityWarning } from '../types.js'

function parseCert(pem: string): X509Certificate | string {
  try {
    return new X509Certificate(pem)
  } catch (err) {
    return `invalid certificate: ${(err as Error).message}`
  }
}

function parseKey(pem: string): KeyObject | string {
  try {
    return createPrivateKey(pem)
  } catch (err) {
    return `invalid key: ${(err as Error).message}`
  }
}

const certCheck = (v: string): string | undefined => {
  const c = parseCert(v)
  return typeof c === 'string' ? c : undefined
}
const keyCheck = (v: string): string | undefined => {
  const k = parseKey(v)
  return typeof k === 'string' ? k : undefined
}

const pairMatches = (certField: string, keyField: string): EntityCheck => (r) => {
  const cert = r[certField]
  const key = r[keyField]
  if (typeof cert !== 'string' || typeof key !== 'string') return undefined
  const c = parseCert(cert)
  const k = parseKey(key)
  if (typeof c === 'string' || typeof k === 'string') return undefined
  return c.checkPrivateKey(k) ? undefined : { entity: [certField === 'cert' ? 'certificate does not match key' : 'alternative certificate does not match key'] }
}

const altKeyType: EntityCheck = (r) => {
  if (typeof r.cert !== 'string' || typeof r.cert_alt !== 'string') return undefined
  const a = parseCert(r.cert)
  const b = parseCert(r.cert_alt)
  if (typeof a === 'string' || typeof b === 'string') return undefined
  return a.publicKey.asymmetricKeyType === b.publicKey.asymmetricKeyType
    ? { entity: ['certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type'] }
    : undefined
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g

const instant = (ms: number): string => new Date(ms).toISOString().replace(/\.000Z$/, 'Z')

/** Certificates of a chain that are expired or not yet valid at `now`: clients refuse them, Kong serves them. */
function validityWarnings(field: string, pem: unknown, now: number): EntityWarning[] {
  if (typeof pem !== 'string') return []
  const out: EntityWarning[] = []
  let n = 0
  for (const block of pem.match(PEM_CERTIFICATE) ?? []) {
    n++
    let cert: X509Certificate
    try {
      cert = new X509Certificate(block)
    } catch {
      continue // a chain's later blocks are OpenSSL's business at the handshake
    }
    const which = n === 1 ? 'the certificate' : `certificate ${n} of the chain`
    const from = Date.parse(cert.validFrom)
    const to = Date.parse(cert.validTo)
    if (now >= to) out.push({ field, message: `${which} expired at ${instant(to)}; clients will refuse it` })
    else if (now < from) out.push({ field, message: `${which} is not valid before ${instant(from)}; clients will refuse it until then` })
  }
  return out
}

/** A PEM certificate chain or key: long chains exceed the default string bound. */
const PEM_MAX_LENGTH = 1024 * 1024

const pem = (required: boolean, description: string, check: (v: string) => string | undefined) =>
  ({ type: 'string', required, lenMax: PEM_MAX_LENGTH, description, checks: [check] }) as const

/** A certificate's own PEM fields, which Kong lets hold a vault reference. */
const secretPem = (required: boolean, description: string, check: (v: string) => string | undefined) =>
  ({ ...pem(required, description, check), referenceable: true }) as const

export const certificates = defineEntity({
  name: 'certificates',
  singular: 'certificate',
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the certificate was created (seconds).'),
    updated_at: t.timestamp('When the certificate was last updated (seconds).'),
    cert: secretPem(true, 'PEM certificate (chain), or a vault reference.', certCheck),
    key: secretPem(true, 'PEM private key of the certificate, or a vault reference.', keyCheck),
    cert_alt: secretPem(false, 'Alternate PEM certificate of another key type (RSA vs ECDSA), or a vault reference.', certCheck),
    key_alt: secretPem(false, 'PEM private key of the alternate certificate, or a vault reference.', keyCheck),
    tags: t.tags(),
  },
  transient: ['snis'],
  entityChecks: [t.allOrNone(['cert_alt', 'key_alt']), pairMatches('cert', 'key'), pairMatches('cert_alt', 'key_alt'), altKeyType],
  warnings: (record, now) => [...validityWarnings('cert', record.cert, now), ...validityWarnings('cert_alt', record.cert_alt, now)],
})
/** A stored certificates entity. */
export type Certificate = EntityOf<typeof certificates>

/**
 * Kong's wildcard_host: one `*` as the first or last character (so `*` alone names the
 * catch-all SNI), no IP, no port.
 */
const sniName = (v: string): string | undefined => {
  const star = v.indexOf('*')
  if (star > 0 && star !== v.length - 1) return 'wildcard must be leftmost or rightmost character'
  if (v.split('*').length > 2) return 'only one wildcard must be specified'
  if (isIP(v) !== 0) return 'must not be an IP'
  const { host, port } = t.splitHostPort(v.replace('*', 'wildcard'))
  // Kong reads `ip:port` as an IP first, so that is what it names.
  if (isIP(host) !== 0) return 'must not be an IP'
  if (port !== undefined) return 'must not have a port'
  return t.checkHost(host) === undefined ? undefined : `invalid value: ${v}`
}

export const snis = defineEntity({
  name: 'snis',
  singular: 'sni',
  endpointKey: 'name',
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the SNI was created (seconds).'),
    updated_at: t.timestamp('When the SNI was last updated (seconds).'),
    name: { type: 'string', required: true, unique: true, description: 'Server name; one `*` allowed as its first or last character, and `*` alone matches any name.', checks: [sniName] },
    tags: t.tags(),
    certificate: t.foreign('certificates', { required: true, description: 'The certificate served for this name.' }),
  },
})
/** A stored snis entity. */
export type Sni = EntityOf<typeof snis>

const caCheck = (v: string): string | undefined => {
  const c = parseCert(v)
  if (typeof c === 'string') return c
  return c.ca ? undefined : 'certificate does not appear to be a CA because it is missing the "CA" basic constraint'
}

export const caCertificates = defineEntity({
  name: 'ca_certificates',
  singular: 'ca_certificate',
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the CA certificate was created (seconds).'),
    updated_at: t.timestamp('When the CA certificate was last updated (seconds).'),
    cert: pem(true, 'PEM CA certificate.', caCheck),
    cert_digest: { type: 'string', unique: true, description: 'SHA-256 of the certificate (DER), computed when absent.' },
    tags: t.tags(),
  },
  finish: (record) => {
    if (record.cert_digest === null) {
      const cert = new X509Certificate(record.cert as string)
      record.cert_digest = createHash('sha256').update(cert.raw).digest('hex')
    }
  },
})
/** A stored caCertificates entity. */
export type CaCertificate = EntityOf<typeof caCertificates>
