// The credentials of the jwt, oauth2 and hmac-auth plugins: Kong's schemas and messages, nested
// under consumers or top-level, generated secrets, Kong's oauth2 secret hash, and stable ids.
import t from 'tap'
import { generateKeyPairSync, pbkdf2Sync } from 'node:crypto'
import { deterministicId } from '../../src/declarative/ids.js'
import { load, loadError, yml } from '../helpers/load.js'

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const rsaPublic = rsa.publicKey.export({ type: 'spki', format: 'pem' })
const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' })
const json = (v: unknown): string => JSON.stringify(v)

/** Each case: consumer-nested credentials and the `fields` tree Kong reports for them. */
const invalid: { desc: string; nested: string; fields: unknown }[] = [
  { desc: 'jwt algorithm outside the list', nested: `jwt_secrets: [{algorithm: HS999}]`, fields: [{ algorithm: 'expected one of: HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512, EdDSA' }] },
  { desc: 'RS256 without a public key', nested: `jwt_secrets: [{algorithm: RS256}]`, fields: [{ rsa_public_key: 'required field missing', '@entity': ["failed conditional validation given value of field 'algorithm'"] }] },
  { desc: 'PS384 without a public key', nested: `jwt_secrets: [{algorithm: PS384}]`, fields: [{ rsa_public_key: 'required field missing' }] },
  { desc: 'EdDSA with a key that does not load', nested: `jwt_secrets: [{algorithm: EdDSA, rsa_public_key: nope}]`, fields: [{ rsa_public_key: 'invalid key', '@entity': ["failed conditional validation given value of field 'algorithm'"] }] },
  { desc: 'jwt unknown field', nested: `jwt_secrets: [{colour: red}]`, fields: [{ colour: 'unknown field' }] },
  { desc: 'oauth2 without a name', nested: `oauth2_credentials: [{client_id: c}]`, fields: [{ name: 'required field missing' }] },
  { desc: 'oauth2 redirect uri without a scheme', nested: `oauth2_credentials: [{name: a, redirect_uris: ["example.com/cb"]}]`, fields: [{ redirect_uris: ["cannot parse 'example.com/cb'"] }] },
  { desc: 'oauth2 redirect uri with a fragment', nested: `oauth2_credentials: [{name: a, redirect_uris: ["https://a.com/", "https://a.com/cb#x"]}]`, fields: [{ redirect_uris: [undefined, "fragment not allowed in 'https://a.com/cb#x'"] }] },
  { desc: 'oauth2 client type', nested: `oauth2_credentials: [{name: a, client_type: secret}]`, fields: [{ client_type: 'expected one of: confidential, public' }] },
  { desc: 'oauth2 hash_secret type', nested: `oauth2_credentials: [{name: a, hash_secret: maybe}]`, fields: [{ hash_secret: 'expected a boolean' }] },
  { desc: 'hmac without a username', nested: `hmacauth_credentials: [{secret: s}]`, fields: [{ username: 'required field missing' }] },
]

t.test("invalid credentials are reported with Kong's messages under their consumer", async (t) => {
  for (const c of invalid) {
    const key = c.nested.slice(0, c.nested.indexOf(':'))
    const err = await loadError(yml(`consumers:\n- username: u\n  ${c.nested}\n`))
    t.match(err.fields(), { consumers: [{ [key]: c.fields }] }, c.desc)
  }
})

t.test('valid public-key secrets load for every algorithm that needs one', async (t) => {
  for (const [algorithm, key] of [['RS256', rsaPublic], ['RS512', rsaPublic], ['PS256', rsaPublic], ['EdDSA', ed]] as const) {
    const s = await load(yml(`consumers:\n- username: u\n  jwt_secrets: [{algorithm: ${algorithm}, rsa_public_key: ${json(key)}}]\n`))
    t.equal(s.entities.jwt_secrets?.[0].algorithm, algorithm, algorithm)
  }
  const es = await load(yml('consumers:\n- username: u\n  jwt_secrets: [{algorithm: ES256}]\n'))
  t.equal(es.entities.jwt_secrets?.[0].rsa_public_key, null, 'ES256 needs no rsa_public_key (Kong leaves ES* out of the check)')
})

t.test('top-level credentials name their consumer; uniqueness and references are checked', async (t) => {
  const s = await load(yml(`consumers: [{username: u}]
jwt_secrets: [{consumer: u, key: iss-1, secret: s1}]
oauth2_credentials: [{consumer: u, name: app, client_id: cid, client_secret: cs}]
hmacauth_credentials: [{consumer: u, username: h, secret: hs}]
`))
  const consumer = s.entities.consumers?.[0].id
  t.same(s.entities.jwt_secrets?.map((e) => [e.key, e.secret, e.consumer.id]), [['iss-1', 's1', consumer]], 'jwt secret kept as given')
  t.same(s.entities.oauth2_credentials?.map((e) => [e.client_id, e.client_secret, e.hash_secret, e.client_type]), [['cid', 'cs', false, 'confidential']], 'oauth2 defaults')
  t.same(s.entities.hmacauth_credentials?.map((e) => [e.username, e.secret]), [['h', 'hs']], 'hmac kept as given')

  const cases = [
    { desc: 'duplicate jwt key', body: 'consumers: [{username: u}]\njwt_secrets: [{consumer: u, key: k}, {consumer: u, key: k}]\n', message: "uniqueness violation: 'jwt_secrets' entity with key set to 'k' already declared" },
    { desc: 'duplicate hmac username', body: 'consumers: [{username: u}]\nhmacauth_credentials: [{consumer: u, username: h}, {consumer: u, username: h}]\n', message: "uniqueness violation: 'hmacauth_credentials' entity with username set to 'h' already declared" },
    { desc: 'duplicate oauth2 client_id', body: 'consumers: [{username: u}]\noauth2_credentials: [{consumer: u, name: a, client_id: c}, {consumer: u, name: b, client_id: c}]\n', message: "uniqueness violation: 'oauth2_credentials' entity with client_id set to 'c' already declared" },
    { desc: 'unknown consumer', body: 'jwt_secrets: [{consumer: nobody, key: k}]\n', message: "invalid reference 'consumer: nobody' (no such entry in 'consumers')" },
    { desc: 'no consumer at all', body: 'hmacauth_credentials: [{username: h}]\n', message: 'required field missing' },
  ]
  for (const c of cases) {
    const err = await loadError(yml(c.body))
    t.ok(err.issues.some((i) => i.message === c.message), `${c.desc}: ${err.issues.map((i) => i.message).join(' | ')}`)
  }
})

t.test('absent secrets are generated at load, outside the hash', async (t) => {
  const body = yml('consumers:\n- username: u\n  jwt_secrets: [{}]\n  oauth2_credentials: [{name: app}]\n  hmacauth_credentials: [{username: h}]\n')
  const [a, b] = [await load(body), await load(body)]
  const hex32 = /^[0-9a-f]{32}$/
  t.match(a.entities.jwt_secrets?.[0], { key: hex32, secret: hex32 }, 'jwt key and secret generated')
  t.match(a.entities.oauth2_credentials?.[0], { client_id: hex32, client_secret: hex32 }, 'oauth2 client id and secret generated')
  t.match(a.entities.hmacauth_credentials?.[0], { secret: hex32 }, 'hmac secret generated')
  t.not(a.entities.hmacauth_credentials?.[0].secret, b.entities.hmacauth_credentials?.[0].secret, 'each load draws its own')
  t.equal(a.hash, b.hash, 'the hash does not see them')
  t.same(a.entities.hmacauth_credentials?.map((e) => e.id), b.entities.hmacauth_credentials?.map((e) => e.id), 'ids are stable')
})

t.test("hash_secret stores Kong's PBKDF2 PHC string, verifiable as Kong verifies it", async (t) => {
  const body = yml('consumers:\n- username: u\n  oauth2_credentials: [{name: app, client_id: cid, client_secret: s3cret, hash_secret: true}]\n')
  const s = await load(body)
  const stored = s.entities.oauth2_credentials?.[0].client_secret ?? ''
  const m = /^\$pbkdf2-sha512\$i=10000,l=32\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored)
  t.ok(m, `PHC form: ${stored}`)
  if (m) {
    const derived = pbkdf2Sync('s3cret', Buffer.from(m[1], 'base64'), 10000, 32, 'sha512')
    t.equal(derived.toString('base64').replace(/=+$/, ''), m[2], 'the hash is PBKDF2-SHA512 of the secret with the stored salt')
  }
  t.equal((await load(body)).hash, s.hash, 'same config, same hash')
  const kept = await load(`_transform: false\n${body}`)
  t.equal(kept.entities.oauth2_credentials?.[0].client_secret, 's3cret', '_transform: false keeps the secret as given')
})

t.test('ids follow the endpoint key, nested or top-level alike', async (t) => {
  const nested = await load(yml('consumers:\n- username: u\n  hmacauth_credentials: [{username: h, secret: s}]\n  jwt_secrets: [{key: k}]\n  oauth2_credentials: [{name: a, client_id: c}]\n'))
  const flat = await load(yml('consumers: [{username: u}]\nhmacauth_credentials: [{consumer: u, username: h, secret: s}]\njwt_secrets: [{consumer: u, key: k}]\noauth2_credentials: [{consumer: u, name: a, client_id: c}]\n'))
  for (const c of ['hmacauth_credentials', 'jwt_secrets', 'oauth2_credentials'] as const) {
    t.equal(nested.entities[c]?.[0].id, flat.entities[c]?.[0].id, `${c}: same id in both forms`)
  }
  t.equal(nested.entities.hmacauth_credentials?.[0].id, deterministicId('hmacauth_credentials', 'hmacauth_credentials:*:h'), "hmac: Kong's cache key {username}")
  t.equal(nested.entities.jwt_secrets?.[0].id, deterministicId('jwt_secrets', 'k'), 'jwt: its auto cache key falls back to the endpoint key')
  t.equal(nested.entities.oauth2_credentials?.[0].id, deterministicId('oauth2_credentials', 'c'), 'oauth2: likewise, by client_id')
})
