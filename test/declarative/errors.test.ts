import t from 'tap'
import { loadError, yml } from '../helpers/load.js'

const BAD = `_format_version: "3.0"
services:
- name: svc
  host: example.com
  port: 99999
  tags: [ok, "a,b"]
  routes:
  - name: r1
    paths: [/ok, bad]
plugins:
- name: http-log
  config:
    http_endpoint: nope
abnormal_extra_field: 1
`

t.test('nested form: Kong envelope, fields tree and a Lua-style message', async (t) => {
  const err = await loadError(yml('services:\n- port: 99999\n'))
  const body = err.toKongBody()
  t.equal(body.code, 14)
  t.equal(body.name, 'invalid declarative configuration')
  t.equal(body.message, 'declarative config is invalid: {services={{host="required field missing",port="value should be between 0 and 65535"}}}')
  t.same(body.fields, { services: [{ host: 'required field missing', port: 'value should be between 0 and 65535' }] })
  const dup = await loadError(yml('services:\n- {name: a, host: x}\n- {name: a, host: y}\n'))
  t.equal(dup.message, `declarative config is invalid: {services={[2]="uniqueness violation: 'services' entity with name set to 'a' already declared"}}`, 'holes print as [n]=')
  const entity = await loadError(yml('consumers:\n- tags: [a]\n'))
  t.match(entity.message, /\{consumers=\{\{\["@entity"\]=\{"at least one of these fields/, 'non-identifier keys are bracketed')
})

t.test('every error carries source, line, column and entity path', async (t) => {
  const err = await loadError(BAD)
  const located = err.located()
  t.same(
    located.map((l) => [l.line, l.column, l.path]),
    [
      [5, 3, 'services[0].port'],
      [6, 15, 'services[0].tags[1]'],
      [9, 18, 'services[0].routes[0].paths[1]'],
      [13, 5, 'plugins[0].config.http_endpoint'],
      [14, 1, 'abnormal_extra_field'],
    ],
    'lines and columns point at the offending values',
  )
  t.ok(located.every((l) => l.source === 'kong.yml'), 'the source is named')
  t.same(err.toKongBody().details, located, 'the HTTP body carries the same details')
})

t.test('flattened form hoists nested entities and keeps what cannot be flattened', async (t) => {
  const err = await loadError(BAD)
  const body = err.toKongBody(true)
  t.same(body.fields, { abnormal_extra_field: 'unknown field' }, 'non-entity errors stay in fields')
  t.equal(body.message, 'declarative config is invalid: {abnormal_extra_field="unknown field"}')
  const flat = body.flattened_errors as Record<string, unknown>[]
  t.equal(flat.length, 3, 'one entry per erroring entity')
  t.match(flat[0], {
    entity_type: 'service',
    entity_name: 'svc',
    entity_tags: ['ok', 'a,b'],
    entity: { name: 'svc', host: 'example.com', port: 99999 },
    entity_path: 'services[0]',
    line: 3,
    errors: [
      { type: 'field', field: 'port', message: 'value should be between 0 and 65535', line: 5 },
      { type: 'field', field: 'tags.2', message: /^invalid tag 'a,b'/ },
    ],
  })
  t.notOk('routes' in (flat[0]?.entity as object), 'nested routes are removed from the parent echo')
  t.match(flat[1], { entity_type: 'route', entity_name: 'r1', errors: [{ type: 'field', field: 'paths.2' }] })
  t.match(flat[2], { entity_type: 'plugin', entity_name: 'http-log', errors: [{ field: 'config.http_endpoint', message: 'missing host in url' }] })
})

t.test('flattened children get the parent key when the parent has an id', async (t) => {
  const id = '9748f662-7711-4a90-8186-dc02f10eb0f5'
  const err = await loadError(yml(`services:\n- id: ${id}\n  host: x\n  routes:\n  - name: r\n`))
  const flat = err.toKongBody(true).flattened_errors as Record<string, unknown>[]
  t.match(flat[0], { entity_type: 'route', entity: { name: 'r', service: { id } }, errors: [{ type: 'entity', message: /must set one of/ }] })
})

t.test('reference and unique errors are flattened too (Kong drops them)', async (t) => {
  const err = await loadError(yml('routes:\n- name: r\n  paths: [/]\n  service: nope\n'))
  const flat = err.toKongBody(true).flattened_errors as Record<string, unknown>[]
  t.match(flat, [{ entity_type: 'route', entity_name: 'r', errors: [{ type: 'field', field: 'service', message: /invalid reference/, line: 5 }] }])
})

t.test("Kong's pretty CLI form", async (t) => {
  const err = await loadError(yml('services:\n- port: 99999\n'))
  t.equal(err.pretty(), "in 'services':\n  - in entry 1 of 'services':\n    in 'host': required field missing\n    in 'port': value should be between 0 and 65535")
})
