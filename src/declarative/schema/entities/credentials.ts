/** Credentials of the bundled auth plugins: key-auth keys, basic-auth passwords, acl groups, JWT secrets, OAuth 2.0 clients and HMAC users. */
import { createHash, createPublicKey, pbkdf2Sync, randomBytes } from 'node:crypto'
import * as t from '../typedefs.js'
import { defineEntity, type EntityOf } from '../types.js'

const consumer = t.foreign('consumers', { required: true, description: 'The consumer owning this credential.' })

export const keyauthCredentials = defineEntity({
  name: 'keyauth_credentials',
  singular: 'keyauth_credential',
  endpointKey: 'key',
  cacheKey: ['key'],
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the key was created (seconds).'),
    consumer,
    key: { type: 'string', unique: true, auto: true, description: 'The API key; a random one is generated when absent.' },
    ttl: { type: 'integer', description: 'Seconds until the key expires.' },
    tags: t.tags(),
  },
  fillAuto: (record) => {
    if (record.key === null) record.key = randomBytes(16).toString('hex')
  },
})
/** A stored keyauthCredentials entity. */
export type KeyauthCredential = EntityOf<typeof keyauthCredentials>

export const basicauthCredentials = defineEntity({
  name: 'basicauth_credentials',
  singular: 'basicauth_credential',
  endpointKey: 'username',
  cacheKey: ['username'],
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the credential was created (seconds).'),
    consumer,
    username: { type: 'string', required: true, unique: true, description: 'Basic-auth user name.' },
    password: { type: 'string', required: true, description: 'Password; stored as sha1(password .. consumer id) when _transform is true.' },
    tags: t.tags(),
  },
  transform: (record) => {
    const owner = (record.consumer as { id: string }).id
    record.password = createHash('sha1').update(`${record.password as string}${owner}`).digest('hex')
  },
})
/** A stored basicauthCredentials entity. */
export type BasicauthCredential = EntityOf<typeof basicauthCredentials>

export const acls = defineEntity({
  name: 'acls',
  singular: 'acl',
  cacheKey: ['consumer', 'group'],
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the group membership was created (seconds).'),
    consumer,
    group: { type: 'string', required: true, description: 'The group name.' },
    tags: t.tags(),
  },
})
/** A stored acls entity. */
export type Acl = EntityOf<typeof acls>

/** Kong's utils.random_string: 32 hex characters. */
const randomString = (): string => randomBytes(16).toString('hex')

/** Algorithms whose verification key is a public key in `rsa_public_key` (Kong's list, ES* excluded). */
const PUBLIC_KEY_ALGORITHMS: ReadonlySet<unknown> = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'])

/** Kong loads the key with OpenSSL, which takes a public or a private key. */
function checkPublicKey(v: unknown): string | undefined {
  if (v === null || v === undefined) return 'required field missing'
  try {
    createPublicKey(v as string)
    return undefined
  } catch {
    return 'invalid key'
  }
}

export const jwtSecrets = defineEntity({
  name: 'jwt_secrets',
  singular: 'jwt_secret',
  endpointKey: 'key',
  cacheKey: ['key'],
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the secret was created (seconds).'),
    consumer,
    key: { type: 'string', unique: true, auto: true, description: "The `iss` claim that selects this secret; a random one is generated when absent." },
    secret: { type: 'string', auto: true, description: 'The HMAC secret; a random one is generated when absent.' },
    rsa_public_key: { type: 'string', lenMax: 1024 * 1024, description: 'PEM public key verifying RS*, PS* and EdDSA tokens.' },
    algorithm: {
      type: 'string',
      default: 'HS256',
      oneOf: ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA'],
      description: 'The signing algorithm tokens of this secret use.',
    },
    tags: t.tags(),
  },
  entityChecks: [t.conditional('algorithm', (v) => PUBLIC_KEY_ALGORITHMS.has(v), 'rsa_public_key', checkPublicKey)],
  fillAuto: (record) => {
    if (record.key === null) record.key = randomString()
    if (record.secret === null) record.secret = randomString()
  },
})
/** A stored jwtSecrets entity. */
export type JwtSecret = EntityOf<typeof jwtSecrets>

/** Kong's oauth2 validate_uri: a scheme and a host, and no fragment. */
function checkRedirectUri(uri: string): string | undefined {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#]+)/.exec(uri)
  if (!m || m[1].replace(/:\d*$/, '') === '') return `cannot parse '${uri}'`
  if (uri.includes('#')) return `fragment not allowed in '${uri}'`
  return undefined
}

const PBKDF2_ITERATIONS = 10_000
const PBKDF2_LENGTH = 32

/**
 * Kong's oauth2 secret hash in PHC form (`$pbkdf2-sha512$i=10000,l=32$salt$hash`, base64 without
 * padding), which Kong's verify reads. The salt is derived from the credential instead of drawn
 * at random, so the same config always hashes the same (content-derived ids and the config hash
 * read it).
 */
export function hashClientSecret(secret: string, clientId: string): string {
  const salt = createHash('sha256').update(`oauth2-salt\0${clientId}\0${secret}`).digest().subarray(0, 16)
  const derived = pbkdf2Sync(secret, salt, PBKDF2_ITERATIONS, PBKDF2_LENGTH, 'sha512')
  const b64 = (b: Buffer): string => b.toString('base64').replace(/=+$/, '')
  return `$pbkdf2-sha512$i=${PBKDF2_ITERATIONS},l=${PBKDF2_LENGTH}$${b64(salt)}$${b64(derived)}`
}

export const oauth2Credentials = defineEntity({
  name: 'oauth2_credentials',
  singular: 'oauth2_credential',
  endpointKey: 'client_id',
  cacheKey: ['client_id'],
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the credential was created (seconds).'),
    consumer,
    name: { type: 'string', required: true, description: 'The application name.' },
    client_id: { type: 'string', unique: true, auto: true, description: 'The client id; a random one is generated when absent.' },
    client_secret: { type: 'string', auto: true, description: 'The client secret; a random one is generated when absent.' },
    hash_secret: { type: 'boolean', required: true, default: false, description: 'Store the client secret hashed (PBKDF2) when _transform is true.' },
    redirect_uris: { type: 'array', elements: { type: 'string', description: 'One redirect URI.', checks: [checkRedirectUri] }, description: 'Where the authorization server may send the user back.' },
    tags: t.tags(),
    client_type: { type: 'string', required: true, default: 'confidential', oneOf: ['confidential', 'public'], description: 'OAuth 2.0 client type.' },
  },
  transform: (record) => {
    if (record.hash_secret === true && typeof record.client_secret === 'string') {
      record.client_secret = hashClientSecret(record.client_secret, typeof record.client_id === 'string' ? record.client_id : '')
    }
  },
  fillAuto: (record) => {
    if (record.client_id === null) record.client_id = randomString()
    // A generated secret nobody was told is hashed all the same, as Kong stores it.
    if (record.client_secret === null) {
      const secret = randomString()
      record.client_secret = record.hash_secret === true ? hashClientSecret(secret, record.client_id as string) : secret
    }
  },
})
/** A stored oauth2Credentials entity. */
export type Oauth2Credential = EntityOf<typeof oauth2Credentials>

export const hmacauthCredentials = defineEntity({
  name: 'hmacauth_credentials',
  singular: 'hmacauth_credential',
  endpointKey: 'username',
  cacheKey: ['username'],
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the credential was created (seconds).'),
    consumer,
    username: { type: 'string', required: true, unique: true, description: 'The HMAC user name.' },
    secret: { type: 'string', auto: true, description: 'The HMAC secret; a random one is generated when absent.' },
    tags: t.tags(),
  },
  fillAuto: (record) => {
    if (record.secret === null) record.secret = randomString()
  },
})
/** A stored hmacauthCredentials entity. */
export type HmacauthCredential = EntityOf<typeof hmacauthCredentials>
