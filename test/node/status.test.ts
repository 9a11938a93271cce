import t from 'tap'
import { runBin } from '../helpers/cli.js'
import { eventually, http, keepAliveConnections, startNode, type RunningNode } from '../helpers/node.js'

const CONFIG = '_format_version: "3.0"\nservices:\n- name: s\n  url: http://127.0.0.1:9\n  routes:\n  - name: r\n    paths: [/]\n'

// One two-worker node serves every test: each reads the counters it compares against first, and the
// last one swaps the config.
let node: RunningNode
t.before(async () => {
  node = await startNode({ config: CONFIG })
})
t.teardown(() => node.stop())

t.test('GET /status has the shape of the status document', async (t) => {
  const { status, body } = await http(`${node.status}/status`)
  t.equal(status, 200)
  t.same(Object.keys(body), ['memory', 'server', 'database', 'configuration_hash'])
  const vms = body.memory.workers_lua_vms as { pid: number; http_allocated_gc: string }[]
  t.equal(vms.length, 2, 'one entry per worker')
  t.same(vms.map((v) => v.pid), [...vms.map((v) => v.pid)].sort((a, b) => a - b), 'sorted by pid')
  for (const vm of vms) t.match(vm.http_allocated_gc, /^\d+\.\d{2} MiB$/, 'heap in MiB by default')
  t.match(body.memory.lua_shared_dicts.kong, { capacity: '5.00 MiB', allocated_slabs: /^\d+\.\d{2} MiB$/ })
  t.match(body.memory.lua_shared_dicts.kong_db_cache, { capacity: '128.00 MiB' })
  t.same(Object.keys(body.server), ['connections_accepted', 'connections_active', 'connections_handled', 'connections_reading', 'connections_writing', 'connections_waiting', 'total_requests'])
  t.ok(body.server.connections_active >= 1 && body.server.connections_writing >= 1, 'its own connection is active and writing')
  t.same(body.database, { reachable: true })
  const expected = (await runBin(['config', 'hash', 'kong.yml'], node.dir)).stdout.trim()
  t.equal(body.configuration_hash, expected, 'the hash `config hash` prints')
  const admin = await http(`${node.admin}/status`)
  t.equal(admin.body.configuration_hash, expected, 'the admin listener serves /status too')
  t.equal((await http(`${node.admin}/status/ready`)).status, 404, '/status/ready is only on the status listener')
})

t.test('unit and scale, with Kong\'s messages', async (t) => {
  const bytes = await http(`${node.status}/status?unit=b`)
  t.type(bytes.body.memory.workers_lua_vms[0].http_allocated_gc, 'number')
  t.equal(bytes.body.memory.lua_shared_dicts.kong.capacity, 5242880)
  t.equal(bytes.body.memory.lua_shared_dicts.kong_db_cache.capacity, 134217728)
  t.ok(bytes.body.memory.lua_shared_dicts.kong_core_db_cache.allocated_slabs > 16384, 'the entity cache holds the loaded entities')
  const kib = await http(`${node.status}/status?unit=k&scale=1`)
  t.equal(kib.body.memory.lua_shared_dicts.kong.capacity, '5120.0 KiB')
  const gib = await http(`${node.status}/status?unit=G&scale=3`)
  t.equal(gib.body.memory.lua_shared_dicts.kong_db_cache.capacity, '0.125 GiB')
  const bad = await http(`${node.status}/status?unit=V`)
  t.equal(bad.status, 400)
  t.same(bad.body, { message: "invalid unit 'V' (expected 'k/K', 'm/M', or 'g/G')" })
  const neg = await http(`${node.status}/status?unit=k&scale=-1`)
  t.same(neg.body, { message: 'scale must be equal or greater than 0' })
  t.equal((await http(`${node.status}/status?unit=b&scale=-5`)).status, 200, 'bytes ignore scale')
  t.equal((await http(`${node.status}/status?scale=abc`)).body.memory.lua_shared_dicts.kong.capacity, '5.00 MiB', 'a non-numeric scale is the default')
})

t.test('keep-alive connections show up as active and waiting, summed over every process', async (t) => {
  const before = (await http(`${node.status}/status`)).body.server
  const N = 6
  const agent = await keepAliveConnections(node.proxy, N)
  t.teardown(() => agent.destroy())
  // The counters move when the workers see the responses finish: wait for that, not for a time.
  let after = (await http(`${node.status}/status`)).body.server
  await eventually(async () => {
    after = (await http(`${node.status}/status`)).body.server
    return after.connections_waiting - before.connections_waiting >= N
  })
  t.ok(after.connections_waiting - before.connections_waiting >= N, `waiting grew by ${N}: ${before.connections_waiting} -> ${after.connections_waiting}`)
  t.ok(after.connections_active - before.connections_active >= N, 'active grew by N')
  t.ok(after.connections_accepted - before.connections_accepted >= N, 'accepted counts them')
  t.equal(after.connections_accepted, after.connections_handled)
  t.ok(after.total_requests - before.total_requests >= N + 1, 'requests counted')
  agent.destroy()
  t.ok(
    await eventually(async () => (await http(`${node.status}/status`)).body.server.connections_waiting <= after.connections_waiting - N),
    'closed connections leave the waiting count',
  )
})

t.test("a request no route matches gets Kong's 404", async (t) => {
  const only = CONFIG.replace('paths: [/]', 'paths: [/only]')
  t.equal((await http(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: only })).status, 201, 'the catch-all route gives way to /only')
  t.ok(
    await eventually(async () => {
      const { workers } = (await http(`${node.status}/status/config`)).body
      return workers.ready === workers.total
    }),
    'in every worker',
  )
  const res = await http(`${node.proxy}/nope`)
  t.equal(res.status, 404)
  t.match(res.body, { message: 'no Route matched with those values', request_id: /^[0-9a-f]{32}$/ })
  t.equal(res.headers.get('x-kong-request-id'), res.body.request_id)
  t.match(res.headers.get('content-type'), 'application/json; charset=utf-8')
})

t.test('keep-alive connections answered with a 404 show up as waiting too', async (t) => {
  const before = (await http(`${node.status}/status`)).body.server
  const N = 3
  const agent = await keepAliveConnections(node.proxy, N)
  t.teardown(() => agent.destroy())
  const grew = await eventually(async () => (await http(`${node.status}/status`)).body.server.connections_waiting - before.connections_waiting >= N, 2000)
  t.ok(grew, `waiting grew by ${N}`)
})
