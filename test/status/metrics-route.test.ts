import { request } from 'node:http'
import t from 'tap'
import { kongYml } from '../helpers/e2e.js'
import { eventually, http, keepAliveConnections, startNode } from '../helpers/node.js'
import { family, parsePrometheus, sampleValue, type PromFamily } from '../helpers/prometheus.js'

const CONFIG = '_format_version: "3.0"\nservices:\n- name: s\n  url: http://127.0.0.1:9\n  routes:\n  - name: r\n    paths: [/]\n'
const WITH_PLUGIN = `${CONFIG}plugins:\n- name: prometheus\n`

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * Scrapes `/metrics` at `base` over a connection of its own that closes after the answer (as
 * Prometheus' own scrapes need not keep one), so that no idle scraper connection is counted as
 * waiting, and parses it (throwing on anything that is not the text format).
 */
function scrape(base: string): Promise<PromFamily[]> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/metrics`, { agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET /metrics: ${res.statusCode}`))
        else resolve(parsePrometheus(text))
      })
    })
    req.on('error', reject)
    req.end()
  })
}

/** The connection counter of `state`, summed as /status sums it. */
const connections = (families: PromFamily[], state: string): number => sampleValue(families, 'kong_nginx_connections_total', { state }) ?? NaN

t.test('GET /metrics on the status and admin listeners: Prometheus text, Kong\'s node-level metrics', async (t) => {
  const node = await startNode({ config: CONFIG })
  t.teardown(() => node.stop())
  for (const base of [node.status, node.admin]) {
    const res = await fetch(`${base}/metrics`)
    t.equal(res.status, 200)
    t.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8', 'prom-client\'s content type')
    const text = await res.text()
    for (const line of text.split('\n')) if (line !== '') t.match(line, /^(#|kong_)/, 'only comments and kong_ metrics')
    const families = parsePrometheus(text)
    const root = (await http(`${node.admin}/`)).body
    const info = family(families, 'kong_node_info')?.samples ?? []
    t.same(
      info.map((s) => [s.labels, s.value]),
      [[{ node_id: root.node_id, version: root.version }, 1]],
      'node id and version as GET / reports them',
    )
    t.match(root.node_id, UUID)
    t.equal(sampleValue(families, 'kong_datastore_reachable'), 1)
    t.same(family(families, 'kong_nginx_timers')?.samples.map((s) => [s.labels.state, s.value]), [['pending', 0], ['running', 0]])
    t.equal(family(families, 'kong_nginx_metric_errors_total'), undefined, 'no prometheus plugin in the config: only the node-level gauges')
    const subsystems = new Set(family(families, 'kong_nginx_connections_total')?.samples.map((s) => s.labels.subsystem))
    t.same([...subsystems], ['http'])
    t.ok(connections(families, 'active') >= 1 && connections(families, 'writing') >= 1, 'the scrape\'s own connection is active and writing')
    t.equal(sampleValue(families, 'kong_nginx_requests_total'), connections(families, 'total'), 'requests total is the total state')
  }
  t.equal((await http(`${node.status}/metrics`, { method: 'POST' })).status, 405, 'GET only')
  t.ok(((await http(`${node.admin}/endpoints`)).body.data as string[]).includes('/metrics'), 'the admin API lists it, as Kong lists plugin endpoints')
})

t.test('memory: every worker\'s heap and every shared dict /status reports', async (t) => {
  const node = await startNode({ config: CONFIG })
  t.teardown(() => node.stop())
  const status = (await http(`${node.status}/status?unit=b`)).body
  const families = await scrape(node.status)
  const vms = family(families, 'kong_memory_workers_lua_vms_bytes')?.samples ?? []
  t.same(
    vms.map((s) => Number(s.labels.pid)).sort(),
    status.memory.workers_lua_vms.map((w: { pid: number }) => w.pid).sort(),
    'one sample per worker pid',
  )
  for (const s of vms) t.ok(s.value > 1024 * 1024, `worker ${s.labels.pid} heap in bytes: ${s.value}`)
  const dicts = status.memory.lua_shared_dicts as Record<string, { capacity: number; allocated_slabs: number }>
  const total = family(families, 'kong_memory_lua_shared_dict_total_bytes')?.samples ?? []
  const used = family(families, 'kong_memory_lua_shared_dict_bytes')?.samples ?? []
  t.same(total.map((s) => s.labels.shared_dict).sort(), Object.keys(dicts).sort(), 'every shared dict')
  t.same(used.map((s) => s.labels.shared_dict).sort(), Object.keys(dicts).sort())
  for (const [name, dict] of Object.entries(dicts)) {
    t.equal(sampleValue(families, 'kong_memory_lua_shared_dict_total_bytes', { shared_dict: name }), dict.capacity, `${name} capacity`)
    t.ok((sampleValue(families, 'kong_memory_lua_shared_dict_bytes', { shared_dict: name }) ?? 0) > 0, `${name} allocated`)
  }
  t.equal(sampleValue(families, 'kong_memory_lua_shared_dict_total_bytes', { shared_dict: 'prometheus_metrics' }), 5 * 1024 * 1024)
  t.ok((sampleValue(families, 'kong_memory_lua_shared_dict_bytes', { shared_dict: 'kong_core_db_cache' }) ?? 0) > 16384, 'the entity cache holds the config')
})

t.test('keep-alive proxy connections show up as active and waiting, summed over every process', async (t) => {
  const node = await startNode({ config: CONFIG })
  t.teardown(() => node.stop())
  const before = await scrape(node.status)
  const N = 6
  const agent = await keepAliveConnections(node.proxy, N)
  t.teardown(() => agent.destroy())
  let after = before
  t.ok(
    await eventually(async () => {
      after = await scrape(node.status)
      return connections(after, 'waiting') - connections(before, 'waiting') >= N
    }),
    'waiting grew by N once the workers saw the responses finish',
  )
  t.ok(connections(after, 'active') - connections(before, 'active') >= N, 'active grew by N')
  t.ok(connections(after, 'accepted') - connections(before, 'accepted') >= N, 'accepted counts them')
  t.equal(connections(after, 'accepted'), connections(after, 'handled'))
  t.ok(connections(after, 'total') - connections(before, 'total') >= N + 1, 'requests counted, the scrapes too')
  agent.destroy()
  t.ok(
    await eventually(async () => connections(await scrape(node.status), 'waiting') <= connections(before, 'waiting')),
    'closed connections leave the waiting count',
  )
})

t.test('the config hash gauge follows the live config; the plugin\'s own counter follows the plugin', async (t) => {
  const node = await startNode({ config: CONFIG })
  t.teardown(() => node.stop())
  const hashOf = async (): Promise<number | undefined> => sampleValue(await scrape(node.status), 'kong_node_config_hash')
  const first = (await http(`${node.status}/status`)).body.configuration_hash as string
  t.equal(await hashOf(), parseInt(first, 16), 'the live hash as a number')
  const post = await http(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: WITH_PLUGIN })
  t.equal(post.status, 201)
  const second = post.headers.get('x-kong-configuration-hash') as string
  t.not(second, first)
  t.equal(await hashOf(), parseInt(second, 16), 'the new hash once POST /config answered')
  t.not(await hashOf(), parseInt(first, 16), 'and not the old one')
  const families = await scrape(node.admin)
  t.equal(sampleValue(families, 'kong_node_config_hash', { node_id: (await http(`${node.admin}/`)).body.node_id }), parseInt(second, 16), 'labelled with the node id')
  t.equal(sampleValue(families, 'kong_nginx_metric_errors_total'), 0, 'an enabled prometheus plugin: Kong\'s error counter, at 0')
  t.equal(family(families, 'kong_nginx_metric_errors_total')?.type, 'counter')
  const disabled = await http(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: `${WITH_PLUGIN}  enabled: false\n` })
  t.equal(disabled.status, 201)
  t.equal(family(await scrape(node.status), 'kong_nginx_metric_errors_total'), undefined, 'a disabled plugin does not count')
})

t.test('no configuration loaded: the hash gauge is 0', async (t) => {
  const node = await startNode({ workers: 1 })
  t.teardown(() => node.stop())
  t.equal((await http(`${node.status}/status`)).body.configuration_hash, '00000000000000000000000000000000')
  t.equal(sampleValue(await scrape(node.status), 'kong_node_config_hash'), 0)
})

t.test('kong_upstream_target_health: per address of every target while a prometheus plugin sets upstream_health_metrics', async (t) => {
  const port = 9 // No connection is made: no traffic goes to the targets, and manual marks need none.
  const address = `127.0.0.1:${port}`
  const checkedUp = { name: 'checked.up', healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } }, targets: [{ target: address }] }
  const plainUp = { name: 'plain.up', targets: [{ target: address }, { target: 'no-such-name.invalid:80' }] }
  const withTargets = (plugin: Record<string, unknown> | undefined, upstreams = [plainUp, checkedUp]): string =>
    kongYml({
      upstreams,
      ...(plugin ? { plugins: [plugin] } : {}),
    })
  const node = await startNode({ config: withTargets({ name: 'prometheus', config: { upstream_health_metrics: true } }) })
  t.teardown(() => node.stop())
  /** `upstream target address` → the state set to 1, from a scrape; every address must have all four states. */
  const states = async (base: string): Promise<Record<string, string>> => {
    const samples = family(await scrape(base), 'kong_upstream_target_health')?.samples ?? []
    const out: Record<string, string> = {}
    const seen: Record<string, string[]> = {}
    for (const s of samples) {
      const key = `${s.labels.upstream} ${s.labels.target} ${s.labels.address}`
      ;(seen[key] ??= []).push(s.labels.state)
      if (s.labels.subsystem !== 'http') throw new Error(`subsystem ${s.labels.subsystem}`)
      if (s.value === 1) out[key] = s.labels.state
    }
    for (const [key, list] of Object.entries(seen)) if (list.join() !== 'dns_error,healthchecks_off,healthy,unhealthy') throw new Error(`${key}: ${list.join()}`)
    return out
  }
  const expected = (checked: string): Record<string, string> => ({
    [`checked.up ${address} ${address}`]: checked,
    [`plain.up ${address} ${address}`]: 'healthchecks_off',
    'plain.up no-such-name.invalid:80 ': 'dns_error',
  })
  for (const base of [node.status, node.admin]) t.same(await states(base), expected('healthy'), 'no healthchecker: healthchecks_off; a name without address: dns_error; else healthy')

  const put = await http(`${node.admin}/upstreams/checked.up/targets/${address}/unhealthy`, { method: 'PUT' })
  t.equal(put.status, 204)
  t.ok(await eventually(async () => JSON.stringify(await states(node.status)) === JSON.stringify(expected('unhealthy'))), 'unhealthy once marked so')
  t.same(await states(node.admin), expected('unhealthy'), 'on the admin listener too')
  t.equal((await http(`${node.admin}/upstreams/checked.up/targets/${address}/healthy`, { method: 'PUT' })).status, 204)
  t.ok(await eventually(async () => (await states(node.status))[`checked.up ${address} ${address}`] === 'healthy'), 'healthy again once marked so')

  const fewer = await http(`${node.admin}/config`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: withTargets({ name: 'prometheus', config: { upstream_health_metrics: true } }, [checkedUp]),
  })
  t.equal(fewer.status, 201)
  t.same(await states(node.status), { [`checked.up ${address} ${address}`]: 'healthy' }, 'an upstream gone from the config is gone from the metric')

  const cases: [string, Record<string, unknown> | undefined][] = [
    ['the flag off', { name: 'prometheus' }],
    ['the flag on a disabled plugin', { name: 'prometheus', enabled: false, config: { upstream_health_metrics: true } }],
    ['no prometheus plugin', undefined],
  ]
  for (const [what, plugin] of cases) {
    const post = await http(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: withTargets(plugin) })
    t.equal(post.status, 201, `POST /config with ${what}`)
    t.equal(family(await scrape(node.status), 'kong_upstream_target_health'), undefined, `${what}: no samples`)
  }
})
