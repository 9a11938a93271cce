import t from 'tap'
import { configHashValue, renderMetrics, type NodeMetrics } from '../../src/status/metrics.js'
import { family, parsePrometheus, sampleValue } from '../helpers/prometheus.js'

const NODE = '3a1b0d1e-0c55-4c4b-9d1a-2b8f0d8f4a11'

const INPUT: NodeMetrics = {
  nodeId: NODE,
  version: '3.10.0',
  connections: { accepted: 7, handled: 7, active: 3, reading: 0, writing: 1, waiting: 2, requests: 19 },
  workers: [
    { pid: 900, heapUsed: 2000 },
    { pid: 1200, heapUsed: 1000 },
  ],
  zones: [
    ['kong', { capacity: 5242880, allocated: 16384 }],
    ['kong_db_cache', { capacity: 134217728, allocated: 20000 }],
  ],
  configHash: '0123456789abcdef0123456789abcdef',
  pluginEnabled: false,
  targetHealth: [],
}

t.test('families, help texts and types are Kong\'s, in the order Kong writes them', async (t) => {
  const families = parsePrometheus(await renderMetrics(INPUT))
  t.same(
    families.map((f) => [f.name, f.type, f.help]),
    [
      ['kong_datastore_reachable', 'gauge', 'Datastore reachable from Kong, 0 is unreachable'],
      ['kong_memory_lua_shared_dict_bytes', 'gauge', 'Allocated slabs in bytes in a shared_dict'],
      ['kong_memory_lua_shared_dict_total_bytes', 'gauge', 'Total capacity in bytes of a shared_dict'],
      ['kong_memory_workers_lua_vms_bytes', 'gauge', 'Allocated bytes in worker Lua VM'],
      ['kong_nginx_connections_total', 'gauge', 'Number of connections by subsystem'],
      ['kong_nginx_requests_total', 'gauge', 'Number of requests total'],
      ['kong_nginx_timers', 'gauge', 'Number of nginx timers'],
      ['kong_node_config_hash', 'gauge', 'Config hash numeric value of this node, 0 is no configuration loaded'],
      ['kong_node_info', 'gauge', 'Kong Node metadata information'],
    ],
  )
})

t.test('samples carry Kong\'s labels in Kong\'s order and the values given', async (t) => {
  const text = await renderMetrics(INPUT)
  const families = parsePrometheus(text)
  const cases: [string, Record<string, string>, number][] = [
    ['kong_nginx_connections_total', { state: 'accepted' }, 7],
    ['kong_nginx_connections_total', { state: 'handled' }, 7],
    ['kong_nginx_connections_total', { state: 'total' }, 19],
    ['kong_nginx_connections_total', { state: 'active' }, 3],
    ['kong_nginx_connections_total', { state: 'reading' }, 0],
    ['kong_nginx_connections_total', { state: 'writing' }, 1],
    ['kong_nginx_connections_total', { state: 'waiting' }, 2],
    ['kong_nginx_requests_total', {}, 19],
    ['kong_nginx_timers', { state: 'running' }, 0],
    ['kong_nginx_timers', { state: 'pending' }, 0],
    ['kong_datastore_reachable', {}, 1],
    ['kong_node_info', { version: '3.10.0' }, 1],
    ['kong_memory_lua_shared_dict_bytes', { shared_dict: 'kong' }, 16384],
    ['kong_memory_lua_shared_dict_total_bytes', { shared_dict: 'kong_db_cache' }, 134217728],
    ['kong_memory_workers_lua_vms_bytes', { pid: '1200' }, 1000],
    ['kong_node_config_hash', {}, parseInt(INPUT.configHash, 16)],
  ]
  for (const [name, labels, value] of cases) t.equal(sampleValue(families, name, labels), value, `${name} ${JSON.stringify(labels)}`)
  const orders: [string, string[]][] = [
    ['kong_nginx_connections_total', ['node_id', 'subsystem', 'state']],
    ['kong_nginx_requests_total', ['node_id', 'subsystem']],
    ['kong_node_info', ['node_id', 'version']],
    ['kong_memory_lua_shared_dict_bytes', ['node_id', 'shared_dict', 'kong_subsystem']],
    ['kong_memory_workers_lua_vms_bytes', ['node_id', 'pid', 'kong_subsystem']],
  ]
  for (const [name, order] of orders) {
    for (const s of family(families, name)?.samples ?? []) t.same(s.labelOrder, order, `${name} label order`)
  }
  t.ok(text.includes(`kong_nginx_connections_total{node_id="${NODE}",subsystem="http",state="accepted"} 7\n`), 'a line exactly as Kong writes it')
  t.ok(text.includes(`kong_memory_workers_lua_vms_bytes{node_id="${NODE}",pid="1200",kong_subsystem="http"} 1000\n`), 'pid as a label')
})

t.test('samples within a family are sorted by their full name, as Kong\'s exporter sorts its keys', async (t) => {
  const families = parsePrometheus(await renderMetrics(INPUT))
  t.same(family(families, 'kong_nginx_connections_total')?.samples.map((s) => s.labels.state), ['accepted', 'active', 'handled', 'reading', 'total', 'waiting', 'writing'])
  t.same(family(families, 'kong_nginx_timers')?.samples.map((s) => s.labels.state), ['pending', 'running'])
  t.same(family(families, 'kong_memory_workers_lua_vms_bytes')?.samples.map((s) => s.labels.pid), ['1200', '900'], 'pids compare as text')
})

t.test('kong_nginx_metric_errors_total appears only when a prometheus plugin is enabled', async (t) => {
  t.equal(family(parsePrometheus(await renderMetrics(INPUT)), 'kong_nginx_metric_errors_total'), undefined)
  const families = parsePrometheus(await renderMetrics({ ...INPUT, pluginEnabled: true }))
  t.match(family(families, 'kong_nginx_metric_errors_total'), { type: 'counter', help: 'Number of nginx-lua-prometheus errors' })
  t.equal(sampleValue(families, 'kong_nginx_metric_errors_total'), 0)
  t.same(
    families.map((f) => f.name).filter((n) => n.startsWith('kong_nginx_')),
    ['kong_nginx_connections_total', 'kong_nginx_metric_errors_total', 'kong_nginx_requests_total', 'kong_nginx_timers'],
    'in its sorted place',
  )
})

t.test('a family without samples is left out (no answering worker: no worker memory)', async (t) => {
  const families = parsePrometheus(await renderMetrics({ ...INPUT, workers: [] }))
  t.equal(family(families, 'kong_memory_workers_lua_vms_bytes'), undefined)
})

t.test('the config hash as a number', async (t) => {
  const cases: [string, number][] = [
    ['00000000000000000000000000000000', 0],
    ['00000000000000000000000000000001', 1],
    ['000000000000000000000000000000ff', 255],
    ['ffffffffffffffffffffffffffffffff', 2 ** 128],
    ['not a hash', 0],
  ]
  for (const [hash, value] of cases) t.equal(configHashValue(hash), value, hash)
  t.not(configHashValue('0123456789abcdef0123456789abcdef'), configHashValue('1123456789abcdef0123456789abcdef'), 'hashes that differ in their leading digits differ')
})

t.test('kong_upstream_target_health: four samples per address, 1 for its state, in Kong\'s label order', async (t) => {
  t.equal(family(parsePrometheus(await renderMetrics(INPUT)), 'kong_upstream_target_health'), undefined, 'no target health given: no family')
  const text = await renderMetrics({
    ...INPUT,
    targetHealth: [
      { upstream: 'up', target: '10.0.0.1:80', address: '10.0.0.1:80', state: 'unhealthy' },
      { upstream: 'up', target: 'gone.test:80', address: '', state: 'dns_error' },
      { upstream: 'plain', target: '[::1]:81', address: '[::1]:81', state: 'healthchecks_off' },
    ],
  })
  const health = family(parsePrometheus(text), 'kong_upstream_target_health')
  t.match(health, {
    type: 'gauge',
    help: 'Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.',
  })
  const samples = health?.samples ?? []
  t.equal(samples.length, 12)
  for (const s of samples) t.same(s.labelOrder, ['upstream', 'target', 'address', 'state', 'subsystem'], 'label order')
  const ones = samples.filter((s) => s.value === 1).map((s) => [s.labels.upstream, s.labels.target, s.labels.address, s.labels.state])
  t.same(
    ones,
    [
      ['plain', '[::1]:81', '[::1]:81', 'healthchecks_off'],
      ['up', '10.0.0.1:80', '10.0.0.1:80', 'unhealthy'],
      ['up', 'gone.test:80', '', 'dns_error'],
    ],
    'one state set per address, sorted by full sample name',
  )
  t.same(new Set(samples.map((s) => s.value)), new Set([0, 1]), 'every other state is 0')
  t.same(
    samples.filter((s) => s.labels.target === 'gone.test:80').map((s) => s.labels.state),
    ['dns_error', 'healthchecks_off', 'healthy', 'unhealthy'],
    'every state of an address, in sorted order',
  )
  t.ok(text.includes('kong_upstream_target_health{upstream="up",target="gone.test:80",address="",state="dns_error",subsystem="http"} 1\n'), 'an empty address is written, as Kong writes it')
})
