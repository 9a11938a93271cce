import t from 'tap'
import { runBin } from '../helpers/cli.js'
import { http, startNode, type RunningNode } from '../helpers/node.js'

const CONFIG = `_format_version: "3.0"
services:
- name: svc-a
  host: a.example
  tags: [team-a]
  routes:
  - name: route-a
    paths: [/a]
  plugins:
  - name: cors
- name: svc-b
  host: b.example
  tags: [team-b]
- name: svc-c
  host: c.example
  tags: [team-a, team-b]
consumers:
- username: alice
  keyauth_credentials: [{key: alice-key}]
  basicauth_credentials: [{username: alice-basic, password: secret}]
  acls: [{group: admins}]
upstreams:
- name: up
  targets: [{target: "10.0.0.1:80"}]
certificates: []
`

let node: RunningNode
t.before(async () => {
  node = await startNode({ config: CONFIG })
})
t.teardown(() => node.stop())

const post = (path: string, body: string | FormData, type?: string): ReturnType<typeof http> =>
  http(`${node.admin}${path}`, { method: 'POST', ...(type ? { headers: { 'Content-Type': type } } : {}), body })

t.test('GET / describes the node', async (t) => {
  const res = await http(`${node.admin}/`)
  t.equal(res.status, 200)
  t.match(res.body, {
    tagline: 'Welcome to kong',
    version: '3.10.0',
    edition: 'community',
    node_id: /^[0-9a-f-]{36}$/,
    plugins: { enabled_in_cluster: ['cors'] },
    configuration: { database: 'off', role: 'traditional', router_flavor: 'traditional_compatible', log_level: 'info' },
    pids: { master: node.child.pid },
  })
  t.same(res.body.plugins.available_on_server, {}, 'no plugin handler runs yet')
  t.equal(res.body.pids.workers.length, 2)
  t.equal(res.headers.get('server')?.startsWith('kong-dbless/'), true, 'Server header')
  t.ok(res.headers.get('x-kong-admin-latency') !== null, 'latency header')
  t.equal(res.headers.get('access-control-allow-origin'), '*')
  t.equal((await http(`${node.admin}/`, { method: 'DELETE' })).status, 405)
})

t.test("Kong's generic answers: 404, 405, OPTIONS, HEAD, trailing slash, case", async (t) => {
  t.same((await http(`${node.admin}/nope`)).body, { message: 'Not found' })
  const head404 = await fetch(`${node.admin}/nope`, { method: 'HEAD' })
  t.equal(head404.status, 404)
  t.same((await http(`${node.admin}/status`, { method: 'DELETE' })).body, { message: 'Method not allowed' })
  const options = await http(`${node.admin}/services`, { method: 'OPTIONS' })
  t.equal(options.status, 204)
  t.equal(options.headers.get('allow'), 'GET, HEAD, OPTIONS, POST')
  const head = await fetch(`${node.admin}/services`, { method: 'HEAD' })
  t.equal(head.status, 200)
  t.equal(await head.text(), '', 'HEAD has no body')
  t.equal((await http(`${node.admin}/services/`)).status, 200, 'trailing slash')
  t.equal((await http(`${node.admin}/SERVICES`)).status, 404, 'paths are case-sensitive')
  t.equal((await http(`${node.admin}/`, { headers: { Origin: 'https://x.example' } })).headers.get('access-control-allow-origin'), 'https://x.example')
})

t.test('entities: lists, pages, tags, lookups by id or name, nested collections', async (t) => {
  const all = await http(`${node.admin}/services`)
  t.equal(all.body.data.length, 3)
  t.equal(all.body.next, null)
  const first = await http(`${node.admin}/services?size=2`)
  t.equal(first.body.data.length, 2)
  t.match(first.body.next, /^\/services\?size=2&offset=/)
  const second = await http(`${node.admin}${first.body.next}`)
  t.equal(second.body.data.length, 1)
  t.equal(second.body.next, null)
  t.same(new Set([...first.body.data, ...second.body.data].map((s: { name: string }) => s.name)), new Set(['svc-a', 'svc-b', 'svc-c']))
  t.equal((await http(`${node.admin}/services?tags=team-a,team-b`)).body.data.length, 1, 'tags a,b is AND')
  t.equal((await http(`${node.admin}/services?tags=team-a/team-b`)).body.data.length, 3, 'tags a/b is OR')
  t.same((await http(`${node.admin}/services?size=x`)).body, { code: 9, name: 'invalid size', message: 'size must be a number' })
  t.same((await http(`${node.admin}/services?offset=x`)).body, { code: 7, name: 'invalid offset', message: "'x' is not a valid offset: bad base64 encoding" })
  t.same((await http(`${node.admin}/certificates`)).body, { data: [], next: null }, 'empty data is []')

  const byName = await http(`${node.admin}/services/svc-a`)
  t.equal(byName.body.name, 'svc-a')
  t.equal((await http(`${node.admin}/services/${byName.body.id}`)).body.name, 'svc-a', 'by id')
  t.same((await http(`${node.admin}/services/missing`)).body, { message: 'Not found' })
  t.equal((await http(`${node.admin}/services/svc-a/routes`)).body.data[0].name, 'route-a')
  t.equal((await http(`${node.admin}/services/svc-a/plugins`)).body.data[0].name, 'cors')
  t.equal((await http(`${node.admin}/routes/route-a/service`)).body.name, 'svc-a')
  t.equal((await http(`${node.admin}/consumers/alice/key-auth`)).body.data[0].key, 'alice-key')
  t.equal((await http(`${node.admin}/key-auths`)).body.data.length, 1)
  t.equal((await http(`${node.admin}/consumers/alice/acls`)).body.data[0].group, 'admins')
  const acl = (await http(`${node.admin}/acls`)).body.data[0].id as string
  for (const path of ['/key-auths/alice-key/consumer', '/basic-auths/alice-basic/consumer', `/acls/${acl}/consumer`]) {
    const res = await http(`${node.admin}${path}`)
    t.same([res.status, res.body.username], [200, 'alice'], `${path}: the credential's consumer, as Kong's foreign-key read`)
  }
  t.same(await http(`${node.admin}/key-auths/nope/consumer`).then((r) => [r.status, r.body]), [404, { message: 'Not found' }], 'an unknown credential is 404')
  t.equal((await http(`${node.admin}/upstreams/up/targets`)).body.data[0].target, '10.0.0.1:80')
  t.equal((await http(`${node.admin}/targets`)).status, 404, '/targets is disabled')
})

t.test("writes get Kong's DB-less answers", async (t) => {
  const id = (await http(`${node.admin}/services/svc-a`)).body.id as string
  const created = await post('/services', '{"host":"x"}', 'application/json')
  t.equal(created.status, 405)
  t.same(created.body, { code: 12, name: 'operation unsupported', message: "cannot create 'services' entities when not using a database" })
  t.same((await http(`${node.admin}/services/${id}`, { method: 'PUT' })).body.message, "cannot create or update 'services' entities when not using a database")
  t.same((await http(`${node.admin}/services/svc-a`, { method: 'PATCH' })).body.message, "cannot update 'services' entities by 'name' when not using a database")
  t.same((await http(`${node.admin}/services/${id}`, { method: 'DELETE' })).body.message, "cannot remove 'services' entities when not using a database")
  const missing = '769b2d9e-0000-4000-8000-000000000000'
  t.equal((await http(`${node.admin}/services/${missing}`, { method: 'DELETE' })).status, 204, 'deleting a missing entity is 204')
  t.same((await http(`${node.admin}/services/${missing}`, { method: 'PATCH' })).body, {
    code: 6,
    name: 'not found',
    message: `could not find the entity with primary key '{id="${missing}"}'`,
    fields: { id: missing },
  })
  t.same((await http(`${node.admin}/services`, { method: 'DELETE' })).body, { message: 'Method not allowed' })
})

t.test('POST /config in every body form, with check_hash answering 304 for the same content', async (t) => {
  const yaml = '_format_version: "3.0"\nservices:\n- name: posted\n  host: p.example\n'
  const object = { _format_version: '3.0', services: [{ name: 'posted', host: 'p.example' }] }
  const forms: [string, () => ReturnType<typeof http>][] = [
    ['yaml body', () => post('/config', yaml, 'application/yaml')],
    ['text/yaml body', () => post('/config', yaml, 'text/yaml')],
    ['json object', () => post('/config', JSON.stringify(object), 'application/json')],
    ['json config string', () => post('/config', JSON.stringify({ config: yaml }), 'application/json')],
    ['form field', () => post('/config', new URLSearchParams({ config: yaml }).toString(), 'application/x-www-form-urlencoded')],
    [
      'multipart file',
      () => {
        const form = new FormData()
        form.append('config', new Blob([yaml]), 'kong.yml')
        return post('/config', form)
      },
    ],
  ]
  let hash: string | undefined
  for (const [desc, send] of forms) {
    const res = await send()
    t.equal(res.status, 201, `${desc}: 201`)
    t.match(res.body, { services: { [Object.keys(res.body.services)[0]]: { name: 'posted', host: 'p.example' } } }, `${desc}: the entity map`)
    const now = (await http(`${node.status}/status`)).body.configuration_hash as string
    if (hash !== undefined) t.equal(now, hash, `${desc}: same content, same hash`)
    hash = now
  }
  t.equal((await post('/config?check_hash=1', yaml, 'application/yaml')).status, 304, 'yaml + check_hash')
  t.equal((await post('/config?check_hash=1', JSON.stringify(object), 'application/json')).status, 304, 'json object + check_hash')
  t.equal((await post('/config', JSON.stringify({ config: `# reformatted\n${yaml}`, check_hash: 1 }), 'application/json')).status, 304, 'reformatted text + check_hash')
  t.equal((await post('/config?check_hash=true', yaml, 'application/yaml')).status, 201, 'check_hash=true is not check_hash=1')
})

t.test('POST /config errors', async (t) => {
  const nested = await post('/config', '_format_version: "3.0"\nservices:\n- port: 99999\n', 'application/yaml')
  t.equal(nested.status, 400)
  t.match(nested.body, { code: 14, name: 'invalid declarative configuration', fields: { services: [{ host: 'required field missing' }] }, details: [{ line: 3, path: 'services[0].host' }] })
  const flat = await post('/config?flatten_errors=1', '_format_version: "3.0"\nservices:\n- port: 99999\n', 'application/yaml')
  t.match(flat.body, { fields: {}, flattened_errors: [{ entity_type: 'service', errors: [{ field: 'host' }, { field: 'port' }] }] })
  t.same((await post('/config', JSON.stringify({ config: '[1]' }), 'application/json')).body.fields, { error: 'failed parsing declarative configuration: expected an object' })
  t.same((await http(`${node.admin}/config`, { method: 'POST' })).body, { message: 'expected a declarative configuration' })
  t.same((await post('/config', '{nope', 'application/json')).body, { message: 'Cannot parse JSON body' })
  t.equal((await post('/config', 'x', 'text/plain')).status, 415)
  t.match((await post('/config', '{"services": []}', 'application/json')).body.fields, { _format_version: 'required field missing' })
  t.match((await post('/config?stray=1', '{"_format_version": "3.0"}', 'application/json')).body.fields, { stray: 'unknown field' }, 'query args join a JSON object config')
  const big = await post('/config', `_format_version: "3.0"\n#${'x'.repeat(10 * 1024 * 1024)}\n`, 'application/yaml')
  t.equal(big.status, 413, 'bodies over 10 MiB')
  t.equal((await http(`${node.status}/status/ready`)).status, 200, 'failed pushes leave the node ready')
})

t.test('GET /config exports the live config, and posting the export keeps the hash', async (t) => {
  t.equal((await post('/config', CONFIG, 'application/yaml')).status, 201)
  const hash = (await http(`${node.status}/status`)).body.configuration_hash
  const exported = await http(`${node.admin}/config`)
  t.match(exported.body.config, /^_format_version: '3\.0'\n_transform: false\n/)
  t.match(exported.body.config, /\n {4}service: [0-9a-f-]{36}\n/, 'references are plain ids')
  t.equal((await post('/config', exported.body.config, 'application/yaml')).status, 201)
  t.equal((await http(`${node.status}/status`)).body.configuration_hash, hash, 'same hash')
  const cli = await runBin(['config', 'hash', 'kong.yml'], node.dir)
  t.equal(cli.stdout.trim(), hash, 'and the same as `config hash` of the original file')
})
