// The vaults entity and `{vault://...}` references: resolved at load from the environment
// through the env vault, format-checked as the secret, hashed and exported as written.
import t from 'tap'
import { type DeclarativeConfigError } from '../../src/declarative/errors.js'
import { loadDeclarative } from '../../src/declarative/load.js'
import type { Snapshot } from '../../src/declarative/snapshot.js'
import { unresolvedEntity } from '../../src/declarative/vault/unresolved.js'
import { bundledPluginSchema } from '../../src/plugins/registry.js'
import { configError, yml } from '../helpers/load.js'
import { selfSigned } from '../helpers/tls.js'

const pem = selfSigned('ec', ['vault.test'])

function loadWith(body: string, env: Record<string, string>): Promise<Snapshot> {
  return loadDeclarative(yml(body), { source: 'kong.yml', format: 'yaml', pluginSchemas: bundledPluginSchema, env })
}

const errorWith = (body: string, env: Record<string, string>): Promise<DeclarativeConfigError> => configError(loadWith(body, env))

const CERT = 'certificates:\n- cert: "{vault://env/tls-cert}"\n  key: "{vault://env/tls-key}"\n'

t.test("invalid vaults are reported with Kong's messages", async (t) => {
  const cases: { desc: string; vault: string; fields: unknown }[] = [
    { desc: 'prefix with capitals', vault: '{prefix: My-Vault, name: env}', fields: { prefix: 'invalid value: My-Vault' } },
    { desc: 'prefix ending in a dash', vault: '{prefix: my-, name: env}', fields: { prefix: 'invalid value: my-' } },
    { desc: 'prefix naming a vault type', vault: '{prefix: env, name: env}', fields: { prefix: 'must not be one of: env' } },
    { desc: 'vault type not bundled', vault: '{prefix: aws-secrets, name: aws}', fields: { name: "vault 'aws' is not installed" } },
    { desc: 'no prefix', vault: '{name: env}', fields: { prefix: 'required field missing' } },
    { desc: "env config prefix outside Kong's pattern", vault: '{prefix: my-env, name: env, config: {prefix: "1-x"}}', fields: { config: { prefix: 'invalid value: 1-x' } } },
    { desc: 'unknown env config field', vault: '{prefix: my-env, name: env, config: {region: x}}', fields: { config: { region: 'unknown field' } } },
  ]
  for (const c of cases) t.match((await errorWith(`vaults:\n- ${c.vault}\n`, {})).fields(), { vaults: [c.fields] }, c.desc)
  const dup = await errorWith('vaults: [{prefix: my-env, name: env}, {prefix: my-env, name: env}]\n', {})
  t.ok(dup.issues.some((i) => i.message === "uniqueness violation: 'vaults' entity with prefix set to 'my-env' already declared"), 'prefixes are unique')
})

t.test('a certificate written as env references loads with the secrets, hashes and ids as written', async (t) => {
  const a = await loadWith(CERT, { TLS_CERT: pem.cert, TLS_KEY: pem.key })
  const cert = a.entities.certificates?.[0]
  t.equal(cert?.cert, pem.cert, 'the entity holds the resolved certificate')
  t.equal(cert?.key, pem.key, 'and the resolved key')
  t.same(a.references.map((r) => [r.collection, r.path, r.reference]), [['certificates', ['cert'], '{vault://env/tls-cert}'], ['certificates', ['key'], '{vault://env/tls-key}']], 'the snapshot lists the references')
  const other = selfSigned('ec', ['other.test'])
  const b = await loadWith(CERT, { TLS_CERT: other.cert, TLS_KEY: other.key })
  t.equal(b.hash, a.hash, 'a rotated secret keeps the hash: Kong hashes references unresolved')
  t.equal(b.entities.certificates?.[0].id, cert?.id, 'and the id')
  const shown = cert && unresolvedEntity(a, 'certificates', cert)
  t.match(shown, { cert: '{vault://env/tls-cert}', key: '{vault://env/tls-key}' }, 'shown as written')
  t.equal(a.entities.certificates?.[0].cert, pem.cert, 'showing does not touch the snapshot')
})

t.test('vault entities give a prefix and their config; query config and subkeys apply', async (t) => {
  const body = `vaults:
- prefix: app-secrets
  name: env
  config: {prefix: app-}
certificates:
- cert: "{vault://app-secrets/cert}"
  key: "{vault://env/bundle/key}"
plugins:
- name: http-log
  config:
    http_endpoint: "{vault://env/log?prefix=svc_}"
    headers: {authorization: "{vault://app-secrets/token}"}
`
  const s = await loadWith(body, { APP_CERT: pem.cert, BUNDLE: JSON.stringify({ key: pem.key }), SVC_LOG: 'http://logs.test/in', APP_TOKEN: 'Bearer t0k3n' })
  t.equal(s.entities.certificates?.[0].cert, pem.cert, "a vault's config.prefix is prepended (APP_CERT)")
  t.equal(s.entities.certificates?.[0].key, pem.key, 'a subkey reads a JSON secret')
  const config = s.entities.plugins?.[0].config as { http_endpoint: string; headers: Record<string, string> }
  t.equal(config.http_endpoint, 'http://logs.test/in', 'query config overrides the prefix (SVC_LOG)')
  t.equal(config.headers.authorization, 'Bearer t0k3n', 'references inside a map resolve')
})

t.test('an unresolvable reference is an error at its field, with its line', async (t) => {
  const cases: { desc: string; env: Record<string, string>; body: string; message: RegExp; path: string; line: number }[] = [
    { desc: 'variable not set', env: { TLS_KEY: pem.key }, body: CERT, message: /^unable to resolve reference \{vault:\/\/env\/tls-cert\} \(no value found: environment variable TLS_CERT is not set\)$/, path: 'certificates[0].cert', line: 3 },
    { desc: 'unknown vault prefix', env: {}, body: 'certificates:\n- cert: "{vault://nope/c}"\n  key: "{vault://nope/k}"\n', message: /could not find vault \(nope\)/, path: 'certificates[0].cert', line: 3 },
    { desc: 'subkey of a secret that is not JSON', env: { TLS_CERT: pem.cert, B: 'plain' }, body: 'certificates:\n- cert: "{vault://env/tls-cert}"\n  key: "{vault://env/b/key}"\n', message: /could not get subfield value: unable to json decode value/, path: 'certificates[0].key', line: 4 },
    { desc: 'missing subkey', env: { TLS_CERT: pem.cert, B: '{"other": "x"}' }, body: 'certificates:\n- cert: "{vault://env/tls-cert}"\n  key: "{vault://env/b/key}"\n', message: /subfield key not found in JSON secret/, path: 'certificates[0].key', line: 4 },
    { desc: 'subkey that is not a string', env: { TLS_CERT: pem.cert, B: '{"key": 5}' }, body: 'certificates:\n- cert: "{vault://env/tls-cert}"\n  key: "{vault://env/b/key}"\n', message: /unexpected number value in JSON secret for subfield key/, path: 'certificates[0].key', line: 4 },
    { desc: 'broken reference', env: { TLS_CERT: pem.cert }, body: 'certificates:\n- cert: "{vault://env/tls-cert}"\n  key: "{vault://env/x#v}"\n', message: /reference url has invalid version/, path: 'certificates[0].key', line: 4 },
  ]
  for (const c of cases) {
    const located = (await errorWith(c.body, c.env)).located()
    const issue = located.find((i) => c.message.test(i.message))
    t.ok(issue, `${c.desc}: ${located.map((i) => i.message).join(' | ')}`)
    t.match(issue, { path: c.path, line: c.line }, `${c.desc}: where`)
    t.equal(located.filter((i) => i.path === c.path).length, 1, `${c.desc}: the reference text itself is not judged as a certificate`)
  }
})

t.test('format checks judge the resolved secret', async (t) => {
  const err = await errorWith(CERT, { TLS_CERT: 'not a certificate', TLS_KEY: pem.key })
  t.match(err.fields(), { certificates: [{ cert: /^invalid certificate: / }] }, 'a secret that is no certificate is refused')
  const url = await errorWith('plugins:\n- name: http-log\n  config: {http_endpoint: "{vault://env/endpoint}"}\n', { ENDPOINT: 'nope' })
  t.match(url.fields(), { plugins: [{ config: { http_endpoint: /./ } }] }, "http-log's endpoint must resolve to a URL")
})

t.test('a refused secret is never quoted in an error: the reference stands in for it', async (t) => {
  const host = await errorWith('plugins:\n- name: datadog\n  config: {host: "{vault://env/dd-host}"}\n', { DD_HOST: 'bad host s3cr3t' })
  const messages = host.located().map((i) => i.message)
  t.match(host.fields(), { plugins: [{ config: { host: 'invalid value: {vault://env/dd-host}' } }] }, 'the check quotes the reference')
  t.notOk(messages.some((m) => m.includes('s3cr3t')), 'and never the secret')
  const json = await errorWith('certificates:\n- cert: "{vault://env/tls-cert}"\n  key: "{vault://env/b/key}"\n', { TLS_CERT: pem.cert, B: 'hunter2-secret' })
  t.notOk(
    json.located().some((i) => i.message.includes('hunter2')),
    'a secret that is not JSON is not quoted by the decoder',
  )
})

t.test('references in fields Kong does not mark referenceable stay text', async (t) => {
  const s = await loadWith('consumers: [{username: "{vault://env/user}"}]\n', {})
  t.equal(s.entities.consumers?.[0].username, '{vault://env/user}', 'kept as written')
  t.same(s.references, [], 'and not listed')
})

t.test('resolveVaultReferences: false needs no secrets and gives the same hash, with references kept', async (t) => {
  const body = `${CERT}keys:\n- kid: a\n  jwk: "{vault://env/jwk}"\n- kid: b\n  pem: {private_key: "{vault://env/pk}"}\n`
  const { privateKey } = (await import('node:crypto')).generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const env = {
    TLS_CERT: pem.cert,
    TLS_KEY: pem.key,
    JWK: JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid: 'a' }),
    PK: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  }
  const resolved = await loadWith(body, env)
  const kept = await loadDeclarative(yml(body), { source: 'kong.yml', format: 'yaml', pluginSchemas: bundledPluginSchema, env: {}, resolveVaultReferences: false })
  t.equal(kept.hash, resolved.hash, 'same hash')
  t.match(kept.entities.certificates?.[0], { cert: '{vault://env/tls-cert}', key: '{vault://env/tls-key}' }, 'references kept in the entities')
  t.same(kept.entities.keys?.map((k) => k.id).sort(), resolved.entities.keys?.map((k) => k.id).sort(), 'same ids')
  t.same(kept.references, [], 'nothing to show in their place')
})
