// How the primary asks the workers for balancer reports, on a real two-worker node: the answer
// comes from the config just posted, a worker that answers is never logged as silent, and a
// worker that does not answer costs one wait and one warning per request, whatever the number
// of upstreams.
import t from 'tap'
import { kongYml, workerPids } from '../helpers/e2e.js'
import { eventually, http, startNode } from '../helpers/node.js'
import { echoUpstream } from '../helpers/upstreams.js'

const upstream = await echoUpstream('a')
t.teardown(() => upstream.close())
const TARGET = `127.0.0.1:${upstream.port}`

/** A config with `names` as upstreams of one target each, and the prometheus plugin exporting their health. */
function config(names: readonly string[]): string {
  return kongYml({
    upstreams: names.map((name) => ({ name, targets: [{ target: TARGET }] })),
    plugins: [{ name: 'prometheus', config: { upstream_health_metrics: true } }],
  })
}

const node = await startNode({ config: config(['first.up']), workers: 2, env: { KONG_PROXY_ACCESS_LOG: 'off' } })
t.teardown(() => node.stop())

const healthLogs = (): Record<string, unknown>[] => node.logs.filter((l) => String(l.msg).startsWith('failed getting upstream health'))

t.test('right after POST /config, /health reports on the config just posted', async (t) => {
  // Padding makes a worker take a while to apply the config, long enough for a read to arrive first.
  const padding = Array.from({ length: 2000 }, (_, i) => `padding-${i}.up`)
  for (let round = 1; round <= 3; round++) {
    const name = `fresh-${round}.up`
    const res = await fetch(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: config([...padding, name]) })
    await res.arrayBuffer()
    t.equal(res.status, 201, `round ${round}: config posted`)
    const health = await http(`${node.status}/upstreams/${name}/health`)
    t.same(
      (health.body.data as { target: string; health?: string }[]).map((d) => [d.target, d.health]),
      [[TARGET, 'HEALTHCHECKS_OFF']],
      `round ${round}: the new upstream's target has its health at once`,
    )
  }
  t.same(healthLogs(), [], 'workers that answered are never logged as failing')
})

t.test('a worker that does not answer: one warning per request, none at error level', async (t) => {
  const names = Array.from({ length: 12 }, (_, i) => `many-${i}.up`)
  const res = await fetch(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: config(names) })
  await res.arrayBuffer()
  t.equal(res.status, 201)
  t.equal((await http(`${node.status}/upstreams/many-0.up/health`)).body.data[0].health, 'HEALTHCHECKS_OFF', 'the workers run it')
  const pids = await workerPids(node)
  for (const pid of pids) process.kill(pid, 'SIGSTOP')
  try {
    const health = await http(`${node.status}/upstreams/many-0.up/health`)
    t.equal(health.status, 200, '/health answers')
    t.same(health.body.data.map((d: Record<string, unknown>) => [d.target, 'health' in d]), [[TARGET, false]], 'with the targets, without their health')
    t.ok(await eventually(async () => healthLogs().length === 1), 'and logs it')
    const metrics = await fetch(`${node.status}/metrics`)
    const text = await metrics.text()
    t.equal(metrics.status, 200, '/metrics answers')
    t.notMatch(text, /kong_upstream_target_health\{/, 'without target health')
    t.ok(await eventually(async () => healthLogs().length > 1), 'the scrape logs it')
    t.equal(healthLogs().length, 2, 'one scrape of twelve upstreams: one report asked for, one warning')
  } finally {
    for (const pid of pids) process.kill(pid, 'SIGCONT')
  }
  const logged = healthLogs()
  t.equal(logged.length, 2, 'the /health read and the scrape, once each')
  t.ok(
    logged.every((l) => l.level === 'warn' && /did not answer within/.test(String(l.reason))),
    'logged at warn, saying the worker did not answer in time',
  )
})
