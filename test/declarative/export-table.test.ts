// The export table (GET /config's content and a control plane's config_table): flat lists,
// references as plain ids, vault references as written; loaded again it is the same config.
import t from 'tap'
import { exportTable } from '../../src/declarative/export-table.js'
import { loadDeclarative, loadDeclarativeObject } from '../../src/declarative/load.js'
import type { Snapshot } from '../../src/declarative/snapshot.js'
import { bundledPluginSchema } from '../../src/plugins/registry.js'
import { yml } from '../helpers/load.js'
import { selfSigned } from '../helpers/tls.js'

const pem = selfSigned('ec', ['export.test'])
const env = { TLS_CERT: pem.cert, TLS_KEY: pem.key }

const CONFIG = yml(`services:
- name: orders
  url: http://orders.internal:8080/v1
  routes:
  - name: orders-route
    paths: [/orders]
    plugins:
    - name: rate-limiting
      config: {minute: 10}
  plugins:
  - name: key-auth
- name: disabled
  host: off.internal
  enabled: false
consumers:
- username: alice
  keyauth_credentials:
  - key: alice-key
  basicauth_credentials:
  - username: alice
    password: s3cret
  acls:
  - group: admins
upstreams:
- name: orders.internal
  targets:
  - target: 10.0.0.1:8080
    weight: 50
  - target: 10.0.0.2:8080
certificates:
- cert: "{vault://env/tls-cert}"
  key: "{vault://env/tls-key}"
  snis: [{name: export.test}]
plugins:
- name: correlation-id
`)

function load(text: string): Promise<Snapshot> {
  return loadDeclarative(text, { source: 'kong.yml', format: 'yaml', pluginSchemas: bundledPluginSchema, env })
}

t.test('an exported config loads again to the same hash, group hashes and entities', async (t) => {
  const snapshot = await load(CONFIG)
  const table = exportTable(snapshot)
  // Through JSON, as a control plane sends it.
  const again = await loadDeclarativeObject(JSON.parse(JSON.stringify(table)), { source: 'control plane', pluginSchemas: bundledPluginSchema, env })
  t.equal(again.hash, snapshot.hash, 'the same configuration hash')
  t.same(again.hashes, snapshot.hashes, 'the same group hashes')
  t.same(again.entities, snapshot.entities, 'the same entities (passwords not hashed twice: _transform is false)')
})

t.test("the table has Kong's export shape", async (t) => {
  const snapshot = await load(CONFIG)
  const table = exportTable(snapshot)
  t.equal(table._format_version, '3.0')
  t.equal(table._transform, false)
  t.same(
    Object.keys(table),
    ['_format_version', '_transform', 'certificates', 'snis', 'services', 'routes', 'consumers', 'upstreams', 'targets', 'plugins', 'keyauth_credentials', 'basicauth_credentials', 'acls'],
    'flat lists, referenced collections first, no empty ones',
  )
  const routes = table.routes as Record<string, unknown>[]
  t.equal(routes[0]?.service, snapshot.entities.services?.find((s) => s.name === 'orders')?.id, 'a reference is the plain id')
  const plugins = table.plugins as Record<string, unknown>[]
  t.same(plugins.map((p) => [p.name, typeof p.service, typeof p.route]).sort(), [['correlation-id', 'object', 'object'], ['key-auth', 'string', 'object'], ['rate-limiting', 'object', 'string']], 'absent references stay null')
  t.match(table.certificates, [{ cert: '{vault://env/tls-cert}', key: '{vault://env/tls-key}' }], 'vault references as written, never the secret')
  t.equal(snapshot.entities.certificates?.[0]?.key, pem.key, 'the snapshot keeps its secret')
  t.same(exportTable(undefined), { _format_version: '3.0', _transform: false }, 'no config: the meta keys only')
})
