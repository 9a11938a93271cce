/** Signing and encryption keys: `key_sets` and the `keys` they group, as JWK or PEM. */
import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import * as t from '../typedefs.js'
import { defineEntity, type EntityCheck, type EntityOf, type RecordField } from '../types.js'
import { IssueSink, validateRecord } from '../validate.js'
import { isRecord } from '../../../util/json.js'
import { isReference } from '../../vault/reference.js'

export const keySets = defineEntity({
  name: 'key_sets',
  singular: 'key_set',
  endpointKey: 'name',
  fields: {
    id: t.id(),
    name: { type: 'string', unique: true, description: 'The name to associate with the given key-set.' },
    tags: t.tags(),
    created_at: t.timestamp('When the key set was created (seconds).'),
    updated_at: t.timestamp('When the key set was last updated (seconds).'),
  },
})
/** A stored keySets entity. */
export type KeySet = EntityOf<typeof keySets>

const PEM_MAX_LENGTH = 1024 * 1024

const opt = (description: string) => ({ type: 'string', description }) as const

/** Kong's typedefs.jwk: the members a JWK may hold, `kid` required. */
const JWK_SCHEMA: RecordField = {
  type: 'record',
  description: 'A JSON Web Key.',
  fields: {
    issuer: opt('Issuer.'),
    kty: opt('Key type.'),
    use: opt('Intended use.'),
    key_ops: { type: 'array', elements: opt('One operation.'), description: 'Permitted operations.' },
    alg: opt('Algorithm.'),
    kid: { type: 'string', required: true, description: 'Key id.' },
    x5u: opt('X.509 URL.'),
    x5c: { type: 'array', elements: opt('One certificate.'), description: 'X.509 chain.' },
    x5t: opt('X.509 SHA-1 thumbprint.'),
    'x5t#S256': opt('X.509 SHA-256 thumbprint.'),
    k: opt('Symmetric key.'),
    x: opt('EC/OKP x.'),
    y: opt('EC y.'),
    crv: opt('Curve.'),
    n: opt('RSA modulus.'),
    e: opt('RSA exponent.'),
    d: opt('Private exponent.'),
    p: opt('RSA p.'),
    q: opt('RSA q.'),
    dp: opt('RSA dp.'),
    dq: opt('RSA dq.'),
    qi: opt('RSA qi.'),
    oth: opt('Other primes.'),
    r: opt('RSA r.'),
    t: opt('RSA t.'),
  },
}

/** Kong's validate_jwk: OpenSSL must load the JWK (RSA, EC, OKP; private when `d` is present). */
function loadJwk(jwk: Record<string, unknown>): KeyObject | undefined {
  try {
    const key = { key: jwk as JsonWebKey, format: 'jwk' } as const
    return typeof jwk.d === 'string' ? createPrivateKey(key) : createPublicKey(key)
  } catch {
    return undefined
  }
}

/** Kong's Schema:errors_to_string over a flat record: entity messages first, then `field: message`. */
function errorsToString(sink: IssueSink): string {
  const entity = sink.issues.filter((i) => i.entity).map((i) => i.message)
  const fields = sink.issues.filter((i) => !i.entity).map((i) => `${i.path.join('.')}: ${i.message}`)
  return `Validation error: ${[...entity, ...fields].join('; ')}`
}

/** Kong's custom entity check of keys: the JWK decodes, names the same kid, loads, and fits typedefs.jwk. */
const checkJwk: EntityCheck = (r) => {
  // A reference is judged by what it resolves to; left unresolved (`config hash`), not at all.
  if (typeof r.jwk !== 'string' || isReference(r.jwk)) return undefined
  let json: unknown
  try {
    json = JSON.parse(r.jwk)
  } catch {
    return { entity: ['could not json decode jwk string'] }
  }
  if (!isRecord(json) || json.kid !== r.kid) return { entity: ['kid in jwk.kid must be equal to keys.kid'] }
  if (!loadJwk(json)) return { entity: ['could not load JWK, likely not a valid key'] }
  const sink = new IssueSink()
  validateRecord(JWK_SCHEMA, json, undefined, sink)
  return sink.empty ? undefined : { entity: [errorsToString(sink)] }
}

/** Kong's validate_pem_keys: each key loads as what it claims to be, and the two belong together. */
function checkPemPair(pem: unknown): string | undefined {
  if (!isRecord(pem)) return undefined
  const { public_key: publicKey, private_key: privateKey } = pem
  if (isReference(publicKey) || isReference(privateKey)) return undefined
  let pub: KeyObject | undefined
  let priv: KeyObject | undefined
  if (typeof publicKey === 'string') {
    try {
      // Node derives a public key from a private one; Kong's OpenSSL load of type "pu" does not.
      if (publicKey.includes('PRIVATE KEY-----')) throw new Error('not a public key')
      pub = createPublicKey({ key: publicKey, format: 'pem' })
    } catch {
      return 'could not load public key'
    }
  }
  if (typeof privateKey === 'string') {
    try {
      priv = createPrivateKey({ key: privateKey, format: 'pem' })
    } catch {
      // Kong appends OpenSSL's own words, which differ between OpenSSL builds.
      return 'could not load private key'
    }
  }
  if (pub && priv) {
    const derived = createPublicKey(priv).export({ type: 'spki', format: 'pem' })
    if (derived !== pub.export({ type: 'spki', format: 'pem' })) return 'public key does not match private key'
  }
  return undefined
}

/** Kong's mutually_exclusive: at most one of the fields may be set. */
const mutuallyExclusive =
  (fields: readonly string[]): EntityCheck =>
  (r) =>
    fields.filter((f) => r[f] !== null && r[f] !== undefined).length > 1
      ? { entity: [`only one or none of these fields must be set: ${fields.map((f) => `'${f}'`).join(', ')}`] }
      : undefined

export const keys = defineEntity({
  name: 'keys',
  singular: 'key',
  endpointKey: 'name',
  cacheKey: ['kid', 'set'],
  fields: {
    id: t.id(),
    set: t.foreign('key_sets', { description: 'The key set this key belongs to.' }),
    name: { type: 'string', unique: true, description: 'A unique name for the key.' },
    kid: { type: 'string', required: true, description: 'The key id, as in the JWK.' },
    jwk: { type: 'string', referenceable: true, lenMax: PEM_MAX_LENGTH, description: 'The key as a JWK JSON string, or a vault reference.' },
    pem: {
      type: 'record',
      description: 'A PEM public and/or private key.',
      fields: {
        private_key: { type: 'string', referenceable: true, lenMax: PEM_MAX_LENGTH, description: 'PEM private key, or a vault reference.' },
        public_key: { type: 'string', referenceable: true, lenMax: PEM_MAX_LENGTH, description: 'PEM public key, or a vault reference.' },
      },
      entityChecks: [t.atLeastOneOf(['private_key', 'public_key'])],
      checks: [checkPemPair],
    },
    tags: t.tags(),
    created_at: t.timestamp('When the key was created (seconds).'),
    updated_at: t.timestamp('When the key was last updated (seconds).'),
  },
  entityChecks: [mutuallyExclusive(['jwk', 'pem']), t.atLeastOneOf(['jwk', 'pem']), checkJwk],
})
/** A stored keys entity. */
export type Key = EntityOf<typeof keys>
