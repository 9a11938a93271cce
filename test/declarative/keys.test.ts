// key_sets and keys: JWK and PEM keys validated as Kong validates them, keys nested under their
// set or naming it, ids from Kong's cache key {kid, set}.
import t from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { deterministicId } from '../../src/declarative/ids.js'
import { load, loadError, yml } from '../helpers/load.js'

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const pem = {
  public: rsa.publicKey.export({ type: 'spki', format: 'pem' }),
  private: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }),
  otherPublic: ec.publicKey.export({ type: 'spki', format: 'pem' }),
}
const jwk = (kid: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ ...ec.publicKey.export({ format: 'jwk' }), kid, ...extra })
const privateJwk = (kid: string): string => JSON.stringify({ ...rsa.privateKey.export({ format: 'jwk' }), kid })
const q = (v: unknown): string => JSON.stringify(v)

/** Each case: one top-level key and the `fields` tree Kong reports for it. */
const invalid: { desc: string; key: Record<string, unknown>; fields: unknown }[] = [
  { desc: 'no kid', key: { jwk: jwk('a') }, fields: { kid: 'required field missing' } },
  { desc: 'neither jwk nor pem', key: { kid: 'a' }, fields: { '@entity': ["at least one of these fields must be non-empty: 'jwk', 'pem'"] } },
  { desc: 'both jwk and pem', key: { kid: 'a', jwk: jwk('a'), pem: { public_key: pem.public } }, fields: { '@entity': ["only one or none of these fields must be set: 'jwk', 'pem'"] } },
  { desc: 'jwk that is not JSON', key: { kid: 'a', jwk: '{nope' }, fields: { '@entity': ['could not json decode jwk string'] } },
  { desc: 'jwk naming another kid', key: { kid: 'a', jwk: jwk('b') }, fields: { '@entity': ['kid in jwk.kid must be equal to keys.kid'] } },
  { desc: 'jwk of an unsupported kty', key: { kid: '36', jwk: '{"kid": "36", "kty": "oct", "k": "c2VjcmV0"}' }, fields: { '@entity': ['could not load JWK, likely not a valid key'] } },
  { desc: 'jwk that is not a key', key: { kid: '36', jwk: '{"kid": "36"}' }, fields: { '@entity': ['could not load JWK, likely not a valid key'] } },
  { desc: 'jwk member outside typedefs.jwk', key: { kid: 'a', jwk: jwk('a', { colour: 'red' }) }, fields: { '@entity': ['Validation error: colour: unknown field'] } },
  { desc: 'jwk member of the wrong type', key: { kid: 'a', jwk: jwk('a', { key_ops: 'sign' }) }, fields: { '@entity': ['Validation error: key_ops: expected an array'] } },
  { desc: 'empty pem', key: { kid: 'a', pem: {} }, fields: { pem: { '@entity': ["at least one of these fields must be non-empty: 'private_key', 'public_key'"] } } },
  { desc: 'pem public key that does not load', key: { kid: 'a', pem: { public_key: 'nope' } }, fields: { pem: 'could not load public key' } },
  { desc: 'pem private key given as the public one', key: { kid: 'a', pem: { public_key: pem.private } }, fields: { pem: 'could not load public key' } },
  { desc: 'pem private key that does not load', key: { kid: 'a', pem: { private_key: 'nope' } }, fields: { pem: /^could not load private key/ } },
  { desc: 'pem keys that do not match', key: { kid: 'a', pem: { public_key: pem.otherPublic, private_key: pem.private } }, fields: { pem: 'public key does not match private key' } },
  { desc: 'unknown pem member', key: { kid: 'a', pem: { public_key: pem.public, cert: 'x' } }, fields: { pem: { cert: 'unknown field' } } },
]

t.test("invalid keys are reported with Kong's messages", async (t) => {
  for (const c of invalid) {
    const err = await loadError(yml(`keys:\n- ${q(c.key)}\n`))
    t.match(err.fields(), { keys: [c.fields] }, c.desc)
  }
})

t.test('valid keys: public and private JWKs, PEM pairs and halves', async (t) => {
  const keys = [
    { kid: 'ec', jwk: jwk('ec') },
    { kid: 'rsa-private', jwk: privateJwk('rsa-private') },
    { kid: 'pair', pem: { public_key: pem.public, private_key: pem.private } },
    { kid: 'public', pem: { public_key: pem.public } },
    { kid: 'private', pem: { private_key: pem.private } },
  ]
  const s = await load(yml(`keys: ${q(keys)}\n`))
  t.same(s.entities.keys?.map((k) => k.kid).sort(), keys.map((k) => k.kid).sort(), 'all load')
  t.equal(s.entities.keys?.find((k) => k.kid === 'public')?.pem?.private_key, null, 'a half pair keeps the other half null')
})

t.test('keys nested under a key set or naming it get the same set and id', async (t) => {
  const nested = await load(yml(`key_sets:\n- name: ks\n  keys: [{kid: a, name: ka, jwk: ${q(jwk('a'))}}]\n`))
  const set = nested.entities.key_sets?.[0]
  t.equal(set?.id, deterministicId('key_sets', 'ks'), 'a set is named by its name')
  const key = nested.entities.keys?.[0]
  t.same(key?.set, { id: set?.id }, 'the nested key points at its set')
  t.equal(key?.id, deterministicId('keys', `keys:*:a:${set?.id ?? ''}`), "a key's id comes from Kong's cache key {kid, set}")
  const loose = await load(yml(`keys: [{kid: a, jwk: ${q(jwk('a'))}}]\n`))
  t.equal(loose.entities.keys?.[0].id, deterministicId('keys', 'keys:*:a:'), 'without a set the set part is empty')
  const byName = await load(yml(`key_sets: [{name: ks}]\nkeys: [{kid: a, set: ks, jwk: ${q(jwk('a'))}}]\n`))
  t.same(byName.entities.keys?.[0].set, { id: set?.id }, 'a top-level key names its set')
  const err = await loadError(yml(`keys: [{kid: a, set: nope, jwk: ${q(jwk('a'))}}]\n`))
  t.ok(err.issues.some((i) => i.message === "invalid reference 'set: nope' (no such entry in 'key_sets')"), 'an unknown set is refused')
  const dup = await loadError(yml('key_sets: [{name: ks}, {name: ks}]\n'))
  t.ok(dup.issues.some((i) => i.message === "uniqueness violation: 'key_sets' entity with name set to 'ks' already declared"), 'set names are unique')
})
