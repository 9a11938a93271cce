import t from 'tap'
import { eventually, http, startNode } from '../helpers/node.js'

const VALID = '_format_version: "3.0"\nservices:\n- name: s\n  host: example.com\n'

t.test('an invalid file at start: the node runs, hash all zeros, not ready with the reason', async (t) => {
  const node = await startNode({ config: '_format_version: "3.0"\nservices:\n- name: s\n  port: 99999\n' })
  t.teardown(() => node.stop())
  const status = await http(`${node.status}/status`)
  t.equal(status.body.configuration_hash, '00000000000000000000000000000000')
  const ready = await http(`${node.status}/status/ready`)
  t.equal(ready.status, 503)
  t.match(ready.body.message, /^no configuration available \(the last configuration from kong\.yml was rejected with 2 error\(s\)/)
  const config = await http(`${node.status}/status/config`)
  t.match(config.body, {
    configuration_hash: '00000000000000000000000000000000',
    loaded_at: null,
    last_rejected: {
      source: 'kong.yml',
      errors: [
        { source: 'kong.yml', line: 3, column: 3, path: 'services[0].host', message: 'required field missing' },
        { line: 4, path: 'services[0].port', message: 'value should be between 0 and 65535' },
      ],
    },
  })
  const logged = node.logs.find((l) => l.level === 'error' && Array.isArray(l.errors))
  t.match(logged, { errors: [{ path: 'services[0].host', line: 3 }] }, 'the errors are logged with their lines')

  const posted = await http(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: VALID })
  t.equal(posted.status, 201, 'a later valid config is accepted')
  t.ok(await eventually(async () => (await http(`${node.status}/status/ready`)).status === 200), 'and makes the node ready once every worker has it')
  const bad = await http(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: 'services: 1\n' })
  t.equal(bad.status, 400)
  t.equal((await http(`${node.status}/status/ready`)).status, 200, 'a rejected config keeps the node ready')
  const after = await http(`${node.status}/status/config`)
  t.match(after.body, { source: 'POST /config', last_rejected: { source: 'POST /config' }, workers: { ready: 2, total: 2 } })
  t.match(after.body.hashes, { config: after.body.configuration_hash, services: /^[0-9a-f]{32}$/, routes: '00000000000000000000000000000000' })
  const ms = after.body.load_ms
  t.match(ms, { parse: Number, validate: Number, hash: Number, total: Number }, 'what the load cost, by phase')
  t.ok(ms.total >= ms.parse + ms.validate + ms.hash - 2 && ms.total < 60_000, 'the phases add up within the total')
  t.equal(config.body.load_ms, null, 'no load time while nothing is loaded')
})

t.test('a valid config with no entities has a real hash and the node is ready', async (t) => {
  const node = await startNode({ config: '_format_version: "3.0"\n', workers: 1 })
  t.teardown(() => node.stop())
  t.not((await http(`${node.status}/status`)).body.configuration_hash, '00000000000000000000000000000000')
  t.ok(await eventually(async () => (await http(`${node.status}/status/ready`)).status === 200))

  // Ready, the node can be drained.
  t.test('drain: POST /status/ready status=draining makes the node unready', async (t) => {
    t.ok(await eventually(async () => (await http(`${node.status}/status/ready`)).status === 200))
    t.equal((await http(`${node.status}/status/ready`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"status":"nope"}' })).status, 400)
    const drain = await http(`${node.status}/status/ready`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'status=draining' })
    t.equal(drain.status, 204)
    const ready = await http(`${node.status}/status/ready`)
    t.equal(ready.status, 503)
    t.same(ready.body, { message: 'draining' })
  })
})

t.test('no config at all: not ready, hash not initialized', async (t) => {
  const node = await startNode({ workers: 1 })
  t.teardown(() => node.stop())
  const ready = await http(`${node.status}/status/ready`)
  t.equal(ready.status, 503)
  t.same(ready.body, { message: 'no configuration available (configuration hash is not initialized)' })
})
