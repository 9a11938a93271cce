import t from 'tap'
import { entitySchemaForm, pluginSchemaForm } from '../../src/declarative/kong-schema-form.js'
import { ENTITIES } from '../../src/declarative/schema/entities/index.js'
import { BUNDLED_PLUGINS } from '../../src/plugins/registry.js'
import { http, startNode, type RunningNode } from '../helpers/node.js'

const CONFIG = `_format_version: "3.0"
services:
- name: svc-a
  host: a.example
  routes:
  - name: route-a
    paths: [/a]
`

let node: RunningNode
t.before(async () => {
  node = await startNode({ config: CONFIG, workers: 1 })
})
t.teardown(() => node.stop())

const get = (path: string): ReturnType<typeof http> => http(`${node.admin}${path}`)
const post = (path: string, body: string | FormData, type?: string): ReturnType<typeof http> =>
  http(`${node.admin}${path}`, { method: 'POST', ...(type ? { headers: { 'Content-Type': type } } : {}), body })
const postJson = (path: string, body: unknown): ReturnType<typeof http> => post(path, JSON.stringify(body), 'application/json')

const OK = { message: 'schema validation successful' }

t.test('GET /schemas/{entity} sends every entity schema in Kong form', async (t) => {
  for (const schema of ENTITIES) {
    const res = await get(`/schemas/${schema.name}`)
    t.equal(res.status, 200, schema.name)
    t.same(res.body, JSON.parse(JSON.stringify(entitySchemaForm(schema))), `${schema.name}: the generated document`)
    t.ok(Array.isArray(res.body.fields) && Array.isArray(res.body.entity_checks), `${schema.name}: fields and entity_checks lists`)
  }
  const routes = await get('/schemas/routes')
  const service = (routes.body.fields as Record<string, Record<string, unknown>>[]).find((f) => 'service' in f)?.service
  t.match(service, { type: 'foreign', reference: 'services' }, 'a reference names its collection')
  t.notOk(service && 'schema' in service, "without the foreign entity's schema, as Kong strips it")
  t.same(await get('/schemas/not-present').then((r) => [r.status, r.body]), [404, { message: "No entity named 'not-present'" }])
  const head = await http(`${node.admin}/schemas/services`, { method: 'HEAD' })
  t.equal(head.status, 200, 'HEAD answers as GET')
  t.equal(head.body, undefined, 'HEAD has no body')
})

t.test('GET /schemas/plugins/{name} sends every bundled plugin schema with its defaults', async (t) => {
  for (const { name, schema } of BUNDLED_PLUGINS) {
    const res = await get(`/schemas/plugins/${name}`)
    t.equal(res.status, 200, name)
    t.same(res.body, JSON.parse(JSON.stringify(pluginSchemaForm(schema))), `${name}: the generated document`)
  }
  const keyAuth = await get('/schemas/plugins/key-auth')
  const config = (keyAuth.body.fields as Record<string, Record<string, unknown>>[]).find((f) => 'config' in f)?.config
  t.match(config, { type: 'record', required: true, fields: [{ key_names: { type: 'array', required: true, default: ['apikey'] } }] }, 'key-auth config as decK reads it')
  t.same(await get('/schemas/plugins/not-present').then((r) => [r.status, r.body]), [404, { message: "No plugin named 'not-present'" }])
  t.same(await get('/schemas/plugins').then((r) => r.status), 200, '/schemas/plugins is the plugins entity')
  for (const path of ['/schemas/plugins/validate', '/schemas/vaults/validate', '/schemas/services/validate']) {
    t.same(await get(path).then((r) => [r.status, r.body]), [405, { message: 'Method not allowed' }], `GET ${path} is 405, as the path takes only POST`)
  }
  t.equal((await post('/schemas/plugins/key-auth', '{}', 'application/json')).status, 405, 'POST on a schema is 405')
})

t.test('GET /schemas/vaults/{name}: the env vault, and 404 for a vault this node lacks', async (t) => {
  t.same(await get('/schemas/vaults/not-present').then((r) => [r.status, r.body]), [404, { message: "No vault named 'not-present'" }])
  const env = await get('/schemas/vaults/env')
  t.equal(env.status, 200, 'the env vault is bundled')
  t.match(JSON.stringify(env.body), /"prefix"/, "its config's prefix field is listed")
  const bad = await post('/schemas/vaults/validate', '{}', 'application/json')
  t.match([bad.status, bad.body], [400, { code: 2, name: 'schema violation' }], 'an empty vault is refused')
  const good = await post('/schemas/vaults/validate', JSON.stringify({ name: 'env', prefix: 'my-env', config: { prefix: 'SECRET_' } }), 'application/json')
  t.same([good.status, good.body], [200, { message: 'schema validation successful' }], 'a valid env vault passes')
})

t.test('POST /schemas/{entity}/validate with the bodies the ingress controller sends', async (t) => {
  t.same(await postJson('/schemas/services/validate', { host: 'example.com' }).then((r) => [r.status, r.body]), [200, OK], 'service')
  const route = {
    name: 'default.echo.00',
    paths: ['/echo'],
    protocols: ['http', 'https'],
    strip_path: false,
    preserve_host: true,
    https_redirect_status_code: 426,
    tags: ['k8s-name:echo'],
    service: { id: '5a3c6b0e-7f5b-4c6e-9d0a-2b1f3e4d5c6a' },
  }
  t.same(await postJson('/schemas/routes/validate', route).then((r) => [r.status, r.body]), [200, OK], 'route whose service is not in the config')
  const plugin = { name: 'rate-limiting', config: { minute: 5, policy: 'local' }, protocols: ['http', 'https'], enabled: true }
  t.same(await postJson('/schemas/plugins/validate', plugin).then((r) => [r.status, r.body]), [200, OK], 'KongPlugin')
  t.same(await postJson('/schemas/plugins/validate', { name: 'key-auth', config: { keys: 'foo' } }).then((r) => [r.status, r.body]), [
    400,
    { code: 2, name: 'schema violation', message: 'schema violation (config.keys: unknown field)', fields: { config: { keys: 'unknown field' } } },
  ])
  const unknown = await postJson('/schemas/plugins/validate', { name: 'nope' })
  t.equal(unknown.status, 400)
  t.equal(unknown.body.message, "schema violation (name: plugin 'nope' not enabled; add it to the 'plugins' configuration property)")
  const bad = await postJson('/schemas/routes/validate', { paths: ['x'] })
  t.same([bad.status, bad.body.fields], [400, { paths: ['should start with: / (fixed path) or ~/ (regex path)'] }], 'invalid route')
  t.same(await postJson('/schemas/not-present/validate', {}).then((r) => [r.status, r.body]), [404, { message: "No entity named 'not-present'" }])
})

t.test('validate reads forms and multipart bodies with nested keys', async (t) => {
  const form = (body: string): ReturnType<typeof http> => post('/schemas/plugins/validate', body, 'application/x-www-form-urlencoded')
  t.same(await form('name=key-auth&config.key_names[1]=apikey&config.key_names[2]=token&config.hide_credentials=true').then((r) => [r.status, r.body]), [200, OK])
  const bad = await form('name=key-auth&config.hide_credentials=maybe')
  t.same([bad.status, bad.body.fields], [400, { config: { hide_credentials: 'expected a boolean' } }], 'form values stay strings unless true, false or empty')
  t.same(await post('/schemas/routes/validate', 'paths[]=/a&paths[]=/b&tags=x&tags=y', 'application/x-www-form-urlencoded').then((r) => r.status), 200, 'x[] and repeated names are arrays')
  const multipart = new FormData()
  multipart.set('name', 'cors')
  multipart.set('config.origins[1]', 'https://example.com')
  t.same(await post('/schemas/plugins/validate', multipart).then((r) => [r.status, r.body]), [200, OK], 'multipart')
  const withFile = new FormData()
  withFile.set('name', new Blob(['request-termination']), 'name.txt')
  withFile.set('config.status_code', 'x')
  const fileReply = await post('/schemas/plugins/validate', withFile)
  t.same([fileReply.status, fileReply.body.fields], [400, { config: { status_code: 'expected an integer' } }], 'a file part is read as its value (the name)')
  const flags = new FormData()
  flags.set('name', 'key-auth')
  flags.set('config.hide_credentials', 'true')
  flags.set('config.key_in_body', 'false')
  flags.set('tags', '')
  t.same(await post('/schemas/plugins/validate', flags).then((r) => [r.status, r.body]), [200, OK], 'multipart true, false and empty values are booleans and null, as POST /config reads them')
  const notText = new FormData()
  notText.set('host', new Blob([Buffer.from([0x61, 0xff])]), 'host.txt')
  t.same(await post('/schemas/services/validate', notText).then((r) => [r.status, r.body]), [400, { message: 'the multipart body is not UTF-8 text' }], 'bytes that are not UTF-8 are refused, not replaced')
  t.same(await post('/schemas/services/validate', 'host=a%FF', 'application/x-www-form-urlencoded').then((r) => [r.status, r.body]), [400, { message: "form field 'host' is not UTF-8 text" }], 'so are form escapes')
  t.same(await post('/schemas/plugins/validate', 'x', 'multipart/form-data').then((r) => [r.status, r.body]), [400, { message: 'Cannot parse multipart body' }], 'multipart without a boundary')
  const cut = '--b\r\nContent-Disposition: form-data; name="host"; filename="host.txt"\r\n\r\na.exam'
  t.same(await post('/schemas/services/validate', cut, 'multipart/form-data; boundary=b').then((r) => [r.status, r.body]), [400, { message: 'Cannot parse multipart body' }], 'a body that ends inside a file part')
  t.equal((await get('/schemas/services')).status, 200, 'and the node still answers')
})

t.test('validate refuses bodies it cannot read', async (t) => {
  const plain = await post('/schemas/services/validate', 'host=x', 'text/plain')
  t.equal(plain.status, 415, 'text/plain is 415')
  t.equal((await post('/schemas/plugins/validate', 'x', 'application/yaml')).status, 415, 'YAML is only for /config')
  t.same(await post('/schemas/services/validate', '{"host":', 'application/json').then((r) => [r.status, r.body]), [400, { message: 'Cannot parse JSON body' }])
  t.same(await post('/schemas/services/validate', '[1]', 'application/json').then((r) => [r.status, r.body]), [400, { message: 'Cannot parse JSON body' }])
  const deep = await post('/schemas/plugins/validate', `{"name":"cors","config":${'['.repeat(100)}${']'.repeat(100)}}`, 'application/json')
  t.same([deep.status, deep.body], [400, { message: 'parameter nesting is deeper than 64 levels' }], 'nesting is bounded')
  const deepForm = await post('/schemas/plugins/validate', `name=cors&config${'.a'.repeat(100)}=1`, 'application/x-www-form-urlencoded')
  t.same([deepForm.status, deepForm.body], [400, { message: 'parameter nesting is deeper than 64 levels' }], 'nesting by name is bounded')
  const empty = await http(`${node.admin}/schemas/services/validate`, { method: 'POST' })
  t.same([empty.status, empty.body?.fields], [400, { host: 'required field missing' }], 'no body: nothing given')
})

t.test('validation stores nothing', async (t) => {
  const before = (await http(`${node.status}/status`)).body.configuration_hash as string
  t.equal((await postJson('/schemas/services/validate', { name: 'new-svc', host: 'example.com' })).status, 200)
  t.equal((await get('/services/new-svc')).status, 404, 'the validated service is not served')
  t.equal((await http(`${node.status}/status`)).body.configuration_hash, before, 'the configuration hash is unchanged')
})

t.test('GET /endpoints lists the /schemas paths in Kong notation', async (t) => {
  const data = (await get('/endpoints')).body.data as string[]
  for (const path of [
    '/schemas/{name}',
    '/schemas/{db_entity_name}/validate',
    '/schemas/plugins/{name}',
    '/schemas/plugins/validate',
    '/schemas/vaults/{name}',
    '/schemas/vaults/validate',
  ]) {
    t.ok(data.includes(path), `lists ${path}`)
  }
})
