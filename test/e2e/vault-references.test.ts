// A real node whose certificate lives in its environment: `{vault://env/...}` references resolved
// at load and served over TLS, the admin API and GET /config showing the references and never the
// secrets, the new entities' admin endpoints, and a push with an unresolvable reference refused
// while the last good config keeps serving.
import t from 'tap'
import { X509Certificate, generateKeyPairSync } from 'node:crypto'
import { load as parseYaml } from 'js-yaml'
import { connect as tlsConnect } from 'node:tls'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runBin } from '../helpers/cli.js'
import { selfSigned } from '../helpers/tls.js'
import { freePort, http } from '../helpers/node.js'
import { kongYml, startE2eNode } from '../helpers/e2e.js'

const pem = selfSigned('ec', ['vault.test'])
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const jwk = JSON.stringify({ ...ec.publicKey.export({ format: 'jwk' }), kid: 'k1' })

const config = {
  vaults: [{ prefix: 'tls-secrets', name: 'env', config: { prefix: 'node-' } }],
  certificates: [{ cert: '{vault://env/vault-test-cert}', key: '{vault://tls-secrets/key}', snis: [{ name: 'vault.test' }] }],
  consumers: [
    {
      username: 'alice',
      jwt_secrets: [{ key: 'alice-iss', secret: 'jwt-secret' }],
      oauth2_credentials: [{ name: 'app', client_id: 'alice-app', client_secret: 'oauth-secret', redirect_uris: ['https://app.test/cb'] }],
      hmacauth_credentials: [{ username: 'alice-hmac', secret: 'hmac-secret' }],
    },
  ],
  key_sets: [{ name: 'signing', keys: [{ name: 'k1', kid: 'k1', jwk: '{vault://env/signing-jwk}' }] }],
}

const ssl = await freePort()
const node = await startE2eNode(t, kongYml(config), {
  KONG_PROXY_LISTEN: `127.0.0.1:${ssl} ssl`,
  VAULT_TEST_CERT: pem.cert,
  NODE_KEY: pem.key,
  SIGNING_JWK: jwk,
})

/** The fingerprint of the certificate the proxy serves for `servername`. */
function served(servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: ssl, servername, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256)
      socket.destroy()
    })
    socket.on('error', reject)
  })
}

t.test('the certificate read from the environment is served over TLS', async (t) => {
  t.equal(await served('vault.test'), new X509Certificate(pem.cert).fingerprint256)
})

t.test('the admin API shows references as written, never the secrets', async (t) => {
  const certs = await http(`${node.admin}/certificates`)
  t.match(certs.body.data, [{ cert: '{vault://env/vault-test-cert}', key: '{vault://tls-secrets/key}' }], 'list')
  const id = certs.body.data[0].id as string
  t.match((await http(`${node.admin}/certificates/${id}`)).body, { cert: '{vault://env/vault-test-cert}', key: '{vault://tls-secrets/key}' }, 'one')
  t.match((await http(`${node.admin}/key-sets/signing/keys`)).body.data, [{ kid: 'k1', jwk: '{vault://env/signing-jwk}' }], 'nested')
  const exported = await http(`${node.admin}/config`)
  const text = exported.body.config as string
  t.notOk(text.includes('BEGIN'), 'GET /config holds no PEM')
  const doc = parseYaml(text) as { certificates: { cert: string; key: string }[]; keys: { jwk: string }[] }
  t.match(doc.certificates, [{ cert: '{vault://env/vault-test-cert}', key: '{vault://tls-secrets/key}' }], 'GET /config exports the references')
  t.match(doc.keys, [{ jwk: '{vault://env/signing-jwk}' }])
})

t.test("the new entities are served at Kong's admin paths", async (t) => {
  const get = async (path: string): Promise<{ status: number; body: Record<string, unknown> & { data?: Record<string, unknown>[] } }> => http(`${node.admin}${path}`)
  const alice = (await get('/consumers/alice')).body.id
  const cases: { path: string; want: unknown }[] = [
    { path: '/jwts', want: { data: [{ key: 'alice-iss', secret: 'jwt-secret', algorithm: 'HS256', consumer: { id: alice } }] } },
    { path: '/jwts/alice-iss', want: { key: 'alice-iss' } },
    { path: '/consumers/alice/jwt', want: { data: [{ key: 'alice-iss' }] } },
    { path: '/consumers/alice/jwt/alice-iss', want: { key: 'alice-iss' } },
    { path: '/jwts/alice-iss/consumer', want: { username: 'alice' } },
    { path: '/oauth2', want: { data: [{ client_id: 'alice-app', name: 'app', client_type: 'confidential', redirect_uris: ['https://app.test/cb'] }] } },
    { path: '/oauth2/alice-app', want: { name: 'app' } },
    { path: '/consumers/alice/oauth2', want: { data: [{ client_id: 'alice-app' }] } },
    { path: '/oauth2/alice-app/consumer', want: { username: 'alice' } },
    { path: '/hmac-auths', want: { data: [{ username: 'alice-hmac', secret: 'hmac-secret' }] } },
    { path: '/hmac-auths/alice-hmac', want: { username: 'alice-hmac' } },
    { path: '/consumers/alice/hmac-auth/alice-hmac', want: { username: 'alice-hmac' } },
    { path: '/hmac-auths/alice-hmac/consumer', want: { username: 'alice' } },
    { path: '/key-sets', want: { data: [{ name: 'signing' }] } },
    { path: '/key-sets/signing', want: { name: 'signing' } },
    { path: '/keys/k1', want: { kid: 'k1' } },
    { path: '/keys/k1/set', want: { name: 'signing' } },
    { path: '/vaults', want: { data: [{ prefix: 'tls-secrets', name: 'env', config: { prefix: 'node-' } }] } },
    { path: '/vaults/tls-secrets', want: { prefix: 'tls-secrets' } },
    { path: '/snis/vault.test/certificate', want: { cert: '{vault://env/vault-test-cert}', key: '{vault://tls-secrets/key}' } },
  ]
  for (const c of cases) {
    const res = await get(c.path)
    t.equal(res.status, 200, `GET ${c.path}`)
    t.match(res.body, c.want, `GET ${c.path} body`)
  }
  for (const path of ['/jwts/nope', '/consumers/alice/oauth2/nope', '/hmac-auths/nope/consumer', '/vaults/nope', '/key-sets/nope/keys']) {
    t.equal((await get(path)).status, 404, `GET ${path} is 404`)
  }
  const write = await http(`${node.admin}/jwts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })
  t.match(write, { status: 405, body: { message: "cannot create 'jwt_secrets' entities when not using a database" } }, 'writes are refused')
})

t.test("POST /config's 201 body shows the references, not the secrets", async (t) => {
  const res = await http(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'text/yaml' }, body: kongYml(config) })
  t.equal(res.status, 201)
  const text = JSON.stringify(res.body)
  t.notOk(text.includes('BEGIN'), 'no PEM in the body')
  t.match(Object.values(res.body.certificates as Record<string, unknown>), [{ cert: '{vault://env/vault-test-cert}' }], 'the reference instead')
})

t.test('`config hash` needs none of the secrets and prints the hash the node reports', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-vault-'))
  writeFileSync(join(dir, 'kong.yml'), kongYml(config))
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['VAULT_TEST_CERT', 'NODE_KEY', 'SIGNING_JWK'].includes(k)))
  const hash = await runBin(['config', 'hash', 'kong.yml'], dir, env)
  t.equal(hash.code, 0, hash.stderr)
  t.equal(hash.stdout.trim(), (await http(`${node.status}/status`)).body.configuration_hash, 'same hash')
  const parse = await runBin(['config', 'parse', 'kong.yml'], dir, env)
  t.equal(parse.code, 1, '`config parse` resolves, as the node would')
  t.match(parse.stderr, /kong\.yml:\d+:\d+: certificates\[0\]\.cert: unable to resolve reference \{vault:\/\/env\/vault-test-cert\}/)
  rmSync(dir, { recursive: true, force: true })
})

t.test('a push with an unresolvable reference is refused, naming the field and line, and the last good config stays', async (t) => {
  const before = (await http(`${node.status}/status`)).body.configuration_hash as string
  const bad = `_format_version: "3.0"
certificates:
- cert: "{vault://env/no-such-variable}"
  key: "{vault://tls-secrets/key}"
`
  const res = await http(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'text/yaml' }, body: bad })
  t.equal(res.status, 400)
  t.match(res.body.fields, { certificates: [{ cert: 'unable to resolve reference {vault://env/no-such-variable} (no value found: environment variable NO_SUCH_VARIABLE is not set)' }] })
  t.match(res.body.details, [{ path: 'certificates[0].cert', line: 3, message: /^unable to resolve reference/ }], 'the line is given')
  t.equal((await http(`${node.status}/status`)).body.configuration_hash, before, 'the hash is unchanged')
  t.equal(await served('vault.test'), new X509Certificate(pem.cert).fingerprint256, 'and the certificate still served')
})
