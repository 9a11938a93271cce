/**
 * Certificate selection at the TLS handshake, as Kong's `kong/runloop/certificate.lua` does it:
 * the SNI entity named like the client's server name, else its prefix wildcard (first label
 * replaced by `*`), else its suffix wildcard (last label replaced by `*`), else the SNI named
 * `*`, else the listener's default certificate. Built once per snapshot; the secure contexts
 * behind it are made at the first handshake that needs them and kept across snapshots while
 * the certificate is unchanged.
 */
import { createHash, createPrivateKey } from 'node:crypto'
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls'
import type { Certificate, Sni } from '../declarative/schema/entities/certificates.js'
import { asciiLower } from '../util/ascii.js'

/**
 * A certificate's pairs as one context per key type. Node gives a connection only the first
 * certificate of a context chosen by name, so an RSA and an ECDSA pair (Kong's `cert` and
 * `cert_alt`, or the two defaults) are kept apart and the client's ClientHello picks one.
 */
export class KeyTypeContexts {
  readonly #ecdsa: SecureContext | undefined
  readonly #other: SecureContext | undefined

  /** Makes the contexts of the pairs `certs[i]`/`keys[i]`; throws when OpenSSL refuses one. */
  constructor(base: SecureContextOptions, certs: readonly string[], keys: readonly string[]) {
    let ecdsa: SecureContext | undefined
    let other: SecureContext | undefined
    keys.forEach((key, i) => {
      const context = createSecureContext({ ...base, cert: certs[i], key })
      if (createPrivateKey(key).asymmetricKeyType === 'ec') ecdsa ??= context
      else other ??= context
    })
    this.#ecdsa = ecdsa
    this.#other = other
  }

  /** The ECDSA context for a client that takes ECDSA, else the other one; whichever exists when there is one only. */
  pick(ecdsa: boolean): SecureContext {
    return ((ecdsa ? (this.#ecdsa ?? this.#other) : (this.#other ?? this.#ecdsa)) as SecureContext)
  }
}

/** A certificate's contexts, or why OpenSSL would not make them. */
interface Entry {
  readonly digest: string
  readonly contexts?: KeyTypeContexts
  readonly error?: Error
}

/** Digest of what a context is made from, memoized per (frozen) certificate object. */
const DIGESTS = new WeakMap<Certificate, string>()
function digestOf(cert: Certificate): string {
  let digest = DIGESTS.get(cert)
  if (digest === undefined) {
    const hash = createHash('sha256')
    for (const part of [cert.cert, cert.key, cert.cert_alt, cert.key_alt]) hash.update(part ?? '').update('\0')
    digest = hash.digest('hex')
    DIGESTS.set(cert, digest)
  }
  return digest
}

/**
 * Secure contexts by certificate id, one per certificate content: a swap that keeps a
 * certificate keeps its context, a changed certificate gets a new one. A process keeps one
 * cache for all its snapshots.
 */
export class SecureContextCache {
  readonly #base: SecureContextOptions
  readonly #entries = new Map<string, Entry>()

  /** `base`: the options every context shares (protocols, ciphers, sessions). */
  constructor(base: SecureContextOptions) {
    this.#base = base
  }

  /** How many contexts are held. */
  get size(): number {
    return this.#entries.size
  }

  /**
   * The context serving `cert` (its ECDSA pair when `ecdsa` and it has one), made on first use.
   * Throws, every time and without retrying, when OpenSSL refuses the certificate.
   */
  get(cert: Certificate, ecdsa = false): SecureContext {
    const digest = digestOf(cert)
    let entry = this.#entries.get(cert.id)
    if (entry?.digest !== digest) {
      entry = this.#make(cert, digest)
      this.#entries.set(cert.id, entry)
    }
    if (entry.contexts) return entry.contexts.pick(ecdsa)
    throw entry.error as Error
  }

  #make(cert: Certificate, digest: string): Entry {
    const present = (values: readonly (string | null)[]): string[] => values.filter((v): v is string => typeof v === 'string')
    try {
      return { digest, contexts: new KeyTypeContexts(this.#base, present([cert.cert, cert.cert_alt]), present([cert.key, cert.key_alt])) }
    } catch (err) {
      return { digest, error: new Error(`certificate ${cert.id} cannot be served: ${(err as Error).message}`) }
    }
  }

  /** Drops the contexts of certificates not in `ids`, so the cache holds only what a snapshot has. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.#entries.keys()) if (!ids.has(id)) this.#entries.delete(id)
  }
}

/** Picks the context for a client's server name. */
export interface CertificateSelector {
  /**
   * The context of the certificate Kong would serve for `servername` (its ECDSA pair for a
   * client that takes ECDSA); undefined means the listener's default certificate. Throws when
   * that certificate cannot be served.
   */
  select(servername: string, ecdsa?: boolean): SecureContext | undefined
}

/** The lookup form of a server name: ASCII lower case, without a trailing dot. */
function canonical(name: string): string {
  const lower = asciiLower(name)
  return lower.endsWith('.') ? lower.slice(0, -1) : lower
}

/** `a.b.com` → `*.b.com` (Kong's `([^.]+)(\.[^.]+\.\S+)`: three labels at least, one replaced). */
const PREFIX_WILDCARD = /^[^.]+(\.[^.]+\.\S+)/
/** `a.b.com` → `a.b.*` (Kong's `([^.]+\.)([^.]+)$`). */
const SUFFIX_WILDCARD = /([^.]+\.)[^.]+$/

/** The names looked up for a server name, in Kong's order. */
export function candidateNames(servername: string): string[] {
  const name = canonical(servername)
  const names = [name]
  const star = name.indexOf('*')
  if (star === 0) names.push(name)
  else if (star < 0) {
    const m = PREFIX_WILDCARD.exec(name)
    if (m) names.push(`*${m[1]}${name.slice(m[0].length)}`)
  }
  if (star >= 0 && star === name.length - 1) names.push(name)
  else if (star < 0) {
    const m = SUFFIX_WILDCARD.exec(name)
    if (m) names.push(`${name.slice(0, m.index)}${m[1]}*`)
  }
  names.push('*')
  return names
}

/**
 * Indexes a snapshot's SNIs by name (lower-cased) to their certificates, and drops from
 * `contexts` the certificates this snapshot no longer has. When two SNIs differ only in case,
 * the one written in lower case wins, as it is the one Kong would match.
 */
export function buildCertificateSelector(certificates: readonly Certificate[], snis: readonly Sni[], contexts: SecureContextCache): CertificateSelector {
  const byId = new Map<string, Certificate>(certificates.map((c) => [c.id, c]))
  const byName = new Map<string, Certificate>()
  for (const sni of snis) {
    const cert = byId.get(sni.certificate.id)
    if (!cert) continue
    const key = canonical(sni.name)
    if (!byName.has(key) || sni.name === key) byName.set(key, cert)
  }
  contexts.retain(new Set(byId.keys()))
  return {
    select(servername: string, ecdsa = false): SecureContext | undefined {
      if (byName.size === 0) return undefined
      for (const name of candidateNames(servername)) {
        const cert = byName.get(name)
        if (cert) return contexts.get(cert, ecdsa)
      }
      return undefined
    },
  }
}
