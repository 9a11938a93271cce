// A POST /config that Kong would refuse gets Kong's 400 body, flattened as Kong flattens it, from
// a real node over a real socket; the live config stays as it was.
import t from 'tap'
import { http, startNode, type RunningNode } from '../helpers/node.js'

const GOOD = '_format_version: "3.0"\nservices:\n- {name: live, host: live.example}\n'

const BAD = `_format_version: "3.0"
_info: {select_tags: [team-a]}
services:
- name: ""
  host: a.example
  routes:
  - name: stream
    protocols: [tls_passthrough]
routes:
- name: by-object
  paths: [/x]
  service: {name: live}
plugins:
- name: http-log
  config: {http_endpoint: "invalid::#//url"}
- name: cors
  route: nope
`

let node: RunningNode
t.before(async () => {
  node = await startNode({ config: GOOD, workers: 1 })
})
t.teardown(() => node.stop())

t.test('POST /config?flatten_errors=1 answers with Kong messages in Kong form', async (t) => {
  const before = (await http(`${node.status}/status`)).body.configuration_hash as string
  const res = await http(`${node.admin}/config?flatten_errors=1`, { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: BAD })
  t.equal(res.status, 400)
  t.match(res.body, {
    code: 14,
    name: 'invalid declarative configuration',
    message: 'declarative config is invalid: {_info="unknown field"}',
    fields: { _info: 'unknown field' },
  })
  const flat = res.body.flattened_errors as { entity_type: string; entity_name?: string; errors: { type: string; field?: string; message: string; explanation?: string }[] }[]
  const strip = (e: (typeof flat)[number]): unknown => ({
    entity_type: e.entity_type,
    ...(e.entity_name === undefined ? {} : { entity_name: e.entity_name }),
    errors: e.errors.map(({ type, field, message }) => ({ type, ...(field === undefined ? {} : { field }), message })),
  })
  t.same(flat.map(strip), [
    { entity_type: 'service', errors: [{ type: 'field', field: 'name', message: 'length must be at least 1' }] },
    { entity_type: 'route', entity_name: 'stream', errors: [{ type: 'entity', message: "must set snis when 'protocols' is 'tls_passthrough'" }] },
    { entity_type: 'route', entity_name: 'by-object', errors: [{ type: 'field', field: 'service.id', message: 'missing primary key' }] },
    { entity_type: 'plugin', entity_name: 'http-log', errors: [{ type: 'field', field: 'config.http_endpoint', message: 'missing host in url' }] },
    { entity_type: 'plugin', entity_name: 'cors', errors: [{ type: 'field', field: 'route.id', message: 'missing primary key' }] },
  ], "Kong's entity types, fields and messages, in document order")
  t.equal(flat[4]?.errors[0]?.explanation, "invalid reference 'route: nope' (no such entry in 'routes')", 'our wording beside Kong\'s')
  t.match(res.body.details, [{ line: 2, path: '_info' }, { line: 4, path: 'services[0].name' }], 'our details still locate each problem')
  t.equal((await http(`${node.status}/status`)).body.configuration_hash, before, 'the live config is unchanged')
})
