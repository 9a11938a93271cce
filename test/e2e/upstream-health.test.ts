// Upstream health end to end, on a real two-worker node: Kong's upstream read routes on the
// admin and status listeners, `/upstreams/{u}/health` in both forms, and manual marks that
// take a target out of every worker's rotation (checked one worker at a time, the other one
// stopped), survive a config swap and a worker restart, and go with a target that is removed.
import t from 'tap'
import { echoed, kongYml, send, startE2eNode, workerPids } from '../helpers/e2e.js'
import { eventually, http } from '../helpers/node.js'
import { echoUpstream } from '../helpers/upstreams.js'

const [a, b, c] = await Promise.all([echoUpstream('a'), echoUpstream('b'), echoUpstream('c')])
t.teardown(() => Promise.all([a.close(), b.close(), c.close()]))

const at = (port: number, weight?: number): Record<string, unknown> => ({ target: `127.0.0.1:${port}`, ...(weight === undefined ? {} : { weight }) })
const PASSIVE = { passive: { unhealthy: { tcp_failures: 1 } } }
const service = (name: string): Record<string, unknown> => ({ name, host: `${name}.up`, routes: [{ paths: [`/${name}`] }] })

function config(checkedTargets: Record<string, unknown>[], extra: Record<string, unknown>[] = []): string {
  return kongYml({
    upstreams: [
      { name: 'checked.up', healthchecks: PASSIVE, targets: checkedTargets },
      { name: 'plain.up', targets: [at(a.port), { target: `localhost:${b.port}` }, { target: 'no-such-name.invalid:80' }] },
      { name: 'threshold.up', healthchecks: { ...PASSIVE, threshold: 60 }, targets: [at(a.port), at(b.port)] },
      { name: 'empty.up' },
    ],
    services: [service('checked'), service('plain'), service('threshold'), ...extra],
  })
}

const CHECKED = [at(a.port), { ...at(b.port), tags: ['blue'] }, at(c.port, 0)]
const node = await startE2eNode(t, config(CHECKED), {}, 2)
const port = node.ports.proxy
const A = `127.0.0.1:${a.port}`

/** Who answered `n` requests, each on a new connection: echo names and statuses, sorted and deduplicated. */
async function servers(path: string, n = 10): Promise<string[]> {
  const who = new Set<string>()
  for (let i = 0; i < n; i++) {
    const reply = await send(port, { path })
    who.add(reply.status === 200 ? echoed(reply).server : String(reply.status))
  }
  return [...who].sort()
}

/**
 * Runs `check` once per worker, with every other worker stopped (SIGSTOP) so that only that
 * one accepts the connections; each check is polled until it holds (a mark reaches a worker
 * by message), for at most 5 s. Resolves with each worker's outcome.
 */
async function onEachWorker(check: () => Promise<boolean>): Promise<boolean[]> {
  const pids = await workerPids(node)
  if (pids.length !== 2) throw new Error(`expected two workers, found ${pids.length}`)
  const outcomes: boolean[] = []
  for (const pid of pids) {
    const others = pids.filter((p) => p !== pid)
    for (const other of others) process.kill(other, 'SIGSTOP')
    try {
      outcomes.push(await eventually(check))
    } finally {
      for (const other of others) process.kill(other, 'SIGCONT')
    }
  }
  return outcomes
}

const servedBy = (path: string, expected: string[]) => async (): Promise<boolean> => JSON.stringify(await servers(path)) === JSON.stringify(expected)

const put = (path: string): Promise<{ status: number; body: unknown }> => http(`${node.admin}${path}`, { method: 'PUT' })

function health(upstream: string, query = ''): ReturnType<typeof http> {
  return http(`${node.admin}/upstreams/${upstream}/health${query}`)
}

/** `target → health` of an upstream's /health. */
async function healthByTarget(upstream: string): Promise<Record<string, string>> {
  const res = await health(upstream)
  return Object.fromEntries((res.body.data as { target: string; health: string }[]).map((d) => [d.target, d.health]))
}

t.test('the read routes on the admin and the status listener', async (t) => {
  for (const base of [node.admin, node.status]) {
    const all = await http(`${base}/upstreams/checked.up/targets/all`)
    t.equal(all.status, 200)
    t.equal(all.body.data.length, 3, 'every target, weight 0 too')
    t.equal(all.body.next, null)
    t.notOk('offset' in all.body)
    const first = await http(`${base}/upstreams/checked.up/targets/all?size=2`)
    t.equal(first.body.data.length, 2)
    t.type(first.body.offset, 'string')
    t.equal(first.body.next, `/upstreams/checked.up/targets/all?offset=${encodeURIComponent(first.body.offset)}`)
    const second = await http(`${base}${first.body.next}&size=2`)
    t.same([...first.body.data, ...second.body.data], all.body.data, 'the pages make up the whole list')
    t.equal(second.body.next, null)

    const listed = await http(`${base}/upstreams/checked.up/targets`)
    t.same(listed.body.data, [...all.body.data].reverse(), '/targets lists every target, newest first, as Kong')
    const paged = await http(`${base}/upstreams/checked.up/targets?size=1&offset=1`)
    t.same(paged.body, { data: [listed.body.data[1]], offset: '2', next: '/upstreams/checked.up/targets?offset=2' }, "Kong's numbered offsets")

    const blue = await http(`${base}/upstreams/checked.up/targets?tags=blue`)
    t.same(blue.body.data.map((x: { target: string }) => x.target), [`127.0.0.1:${b.port}`], 'the tags filter')
    const byTarget = await http(`${base}/upstreams/checked.up/targets/${A}`)
    t.equal(byTarget.status, 200)
    t.equal(byTarget.body.target, A)
    t.same((await http(`${base}/upstreams/checked.up/targets/${byTarget.body.id}`)).body, byTarget.body, 'by id')
    const empty = await fetch(`${base}/upstreams/empty.up/targets/all`)
    t.equal(await empty.text(), '{"data":[],"next":null}')
    for (const path of ['/upstreams/nope/targets/all', '/upstreams/nope/health', '/upstreams/checked.up/targets/10.9.9.9:80', '/upstreams/plain.up/targets/' + byTarget.body.id]) {
      const res = await http(`${base}${path}`)
      t.same([res.status, res.body], [404, { message: 'Not found' }], `404 for ${path}`)
    }
  }
})

t.test('/health with healthchecks off: HEALTHCHECKS_OFF, and DNS_ERROR for a name without an address', async (t) => {
  const root = await http(`${node.admin}/`)
  const res = await health('plain.up')
  t.equal(res.status, 200)
  t.equal(res.body.node_id, root.body.node_id)
  t.equal(res.body.next, null)
  const targets = (await http(`${node.admin}/upstreams/plain.up/targets/all`)).body.data as { id: string }[]
  t.same(
    res.body.data.map((d: { id: string }) => d.id),
    targets.map((x) => x.id).reverse(),
    'newest first',
  )
  const by = Object.fromEntries((res.body.data as { target: string }[]).map((d) => [d.target, d])) as Awaited<ReturnType<typeof http>>['body']
  t.equal(by[A].health, 'HEALTHCHECKS_OFF')
  t.same(by[A].data, {
    host: '127.0.0.1',
    port: a.port,
    dns: 'A',
    nodeWeight: 100,
    weight: { total: 100, unavailable: 0, available: 100 },
    addresses: [{ ip: '127.0.0.1', port: a.port, weight: 100, health: 'HEALTHCHECKS_OFF' }],
  })
  t.ok(
    await eventually(async () => (await healthByTarget('plain.up'))[`localhost:${b.port}`] === 'HEALTHCHECKS_OFF'),
    'a name from the hosts file resolves',
  )
  const named = (await health('plain.up')).body.data.find((d: { target: string }) => d.target === `localhost:${b.port}`)
  t.ok(named.data.addresses.some((x: { ip: string }) => x.ip === '127.0.0.1'))
  t.equal(by['no-such-name.invalid:80'].health, 'DNS_ERROR')
  t.same(by['no-such-name.invalid:80'].data.addresses, [])
})

t.test('/health?balancer_health=1: the balancer with its details', async (t) => {
  const off = await health('plain.up', '?balancer_health=1')
  t.equal(off.body.data.health, 'HEALTHCHECKS_OFF')
  t.equal(off.body.data.balancer_health, 'HEALTHY')
  t.equal(off.body.data.id, (await http(`${node.admin}/upstreams/plain.up`)).body.id)
  t.equal(off.body.next, null)
  t.equal(off.body.data.details.healthy, true)
  t.equal(off.body.data.details.hosts.length, 3)
  const on = await health('checked.up', '?balancer_health=1')
  t.equal(on.body.data.health, 'HEALTHY')
  t.same(on.body.data.details.weight, { total: 200, unavailable: 0, available: 200 })
  t.same(
    on.body.data.details.hosts
      .map((h: { port: number; addresses: { healthy: boolean }[] }) => [h.port, h.addresses.map((x) => x.healthy)])
      .sort((x: [number], y: [number]) => x[0] - y[0]),
    [
      [a.port, [true]],
      [b.port, [true]],
      [c.port, [true]],
    ].sort((x, y) => (x[0] as number) - (y[0] as number)),
    'every target with its addresses, in Kong\'s target order',
  )
})

t.test('marking answers as Kong: 404 for unknown upstreams and targets, 400 without a healthchecker', async (t) => {
  const cases: [string, number, unknown][] = [
    [`/upstreams/nope/targets/${A}/unhealthy`, 404, { message: 'Not found' }],
    ['/upstreams/checked.up/targets/10.9.9.9:80/unhealthy', 404, { message: 'Not found' }],
    ['/upstreams/checked.up/targets/127.0.0.1/unhealthy', 404, { message: 'Not found' }],
    [`/upstreams/checked.up/targets/${A}/10.9.9.9/healthy`, 204, undefined],
    [`/upstreams/plain.up/targets/${A}/unhealthy`, 400, { message: 'no healthchecker found for plain.up' }],
    [`/upstreams/checked.up/targets/${A}/not[an]address/unhealthy`, 400, { message: "invalid address 'not[an]address'" }],
  ]
  for (const [path, status, body] of cases) {
    const res = await put(path)
    t.same([res.status, res.body], [status, body], `PUT ${path}`)
  }
  t.equal((await http(`${node.admin}/upstreams/checked.up/targets/${A}/unhealthy`, { method: 'POST' })).status, 405, 'PUT only, as Kong 3')
  t.same(await healthByTarget('checked.up'), { [A]: 'HEALTHY', [`127.0.0.1:${b.port}`]: 'HEALTHY', [`127.0.0.1:${c.port}`]: 'HEALTHCHECKS_OFF' }, 'nothing was marked')
})

t.test('a target marked unhealthy gets no request on any worker, then serves again', async (t) => {
  t.same(await onEachWorker(servedBy('/checked', ['a', 'b'])), [true, true], 'both targets serve on each worker')
  t.equal((await put(`/upstreams/checked.up/targets/${A}/unhealthy`)).status, 204)
  t.same(await onEachWorker(servedBy('/checked', ['b'])), [true, true], 'only b on each worker')
  const marked = await health('checked.up')
  const entry = marked.body.data.find((d: { target: string }) => d.target === A)
  t.equal(entry.health, 'UNHEALTHY')
  t.same(entry.data.weight, { total: 100, unavailable: 100, available: 0 })
  t.same(entry.data.addresses, [{ ip: '127.0.0.1', port: a.port, weight: 100, health: 'UNHEALTHY' }])
  t.equal((await health('checked.up', '?balancer_health=1')).body.data.details.weight.unavailable, 100)

  t.equal((await put(`/upstreams/checked.up/targets/${entry.id}/${A}/healthy`)).status, 204, 'an address of the target, by target id')
  t.same(await onEachWorker(servedBy('/checked', ['a', 'b'])), [true, true], 'a serves again on each worker')
  t.equal((await healthByTarget('checked.up'))[A], 'HEALTHY')
})

t.test('a balancer under its threshold answers 503', async (t) => {
  t.equal((await put(`/upstreams/threshold.up/targets/${A}/unhealthy`)).status, 204)
  t.same(await onEachWorker(servedBy('/threshold', ['503'])), [true, true], '50% available is not more than the 60% threshold')
  const res = await health('threshold.up', '?balancer_health=1')
  t.same([res.body.data.health, res.body.data.balancer_health], ['UNHEALTHY', 'UNHEALTHY'])
  t.equal((await put(`/upstreams/threshold.up/targets/${A}/healthy`)).status, 204)
  t.same(await onEachWorker(servedBy('/threshold', ['a', 'b'])), [true, true])
})

/** Posts a config and waits until every worker runs it. */
async function swapTo(assert: Pick<typeof t, 'equal' | 'ok'>, text: string): Promise<void> {
  const res = await fetch(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: text })
  await res.arrayBuffer()
  assert.equal(res.status, 201, 'config posted')
  const hash = res.headers.get('x-kong-configuration-hash')
  assert.ok(
    await eventually(async () => {
      const [status, ready] = await Promise.all([http(`${node.status}/status`), http(`${node.status}/status/ready`)])
      return status.body.configuration_hash === hash && ready.status === 200
    }, 15_000),
    'every worker runs it',
  )
}

t.test('marks survive a config swap, and go with a target the config removes', async (t) => {
  t.equal((await put(`/upstreams/checked.up/targets/${A}/unhealthy`)).status, 204)
  await swapTo(t, config(CHECKED, [{ name: 'other', host: 'plain.up', routes: [{ paths: ['/other'] }] }]))
  t.same(await onEachWorker(servedBy('/checked', ['b'])), [true, true], 'still only b after the swap')
  t.equal((await healthByTarget('checked.up'))[A], 'UNHEALTHY')

  await swapTo(t, config([at(b.port)]))
  await swapTo(t, config(CHECKED))
  t.equal((await healthByTarget('checked.up'))[A], 'HEALTHY', 'a target that was removed comes back healthy')
  t.same(await onEachWorker(servedBy('/checked', ['a', 'b'])), [true, true])
})

t.test('a restarted worker takes the marks in before it serves', async (t) => {
  t.equal((await put(`/upstreams/checked.up/targets/${A}/unhealthy`)).status, 204)
  const before = await workerPids(node)
  process.kill(before[0], 'SIGKILL')
  t.ok(
    await eventually(async () => {
      const pids = await workerPids(node)
      return pids.length === 2 && !pids.includes(before[0])
    }, 15_000),
    'a new worker replaced the killed one',
  )
  t.ok(await eventually(async () => (await http(`${node.status}/status/ready`)).status === 200, 15_000))
  t.same(await onEachWorker(servedBy('/checked', ['b'])), [true, true], 'the new worker skips a too')
  t.equal((await put(`/upstreams/checked.up/targets/${A}/healthy`)).status, 204)
})

t.test('the status listener serves the GET routes Kong mounts there, and nothing else', async (t) => {
  const res = await http(`${node.status}/upstreams/checked.up/health`)
  t.equal(res.status, 200)
  t.equal(res.body.data.length, 3)
  t.equal((await http(`${node.status}/upstreams/checked.up/health/?balancer_health=1`)).body.data.health, 'HEALTHY')
  const notAllowed: [string, string][] = [
    ['POST', '/upstreams/checked.up/targets'],
    ['PUT', `/upstreams/checked.up/targets/${A}`],
    ['PATCH', `/upstreams/checked.up/targets/${A}`],
    ['DELETE', `/upstreams/checked.up/targets/${A}`],
    ['DELETE', '/upstreams/checked.up/targets/all'],
    ['POST', '/upstreams/checked.up/health'],
  ]
  for (const [method, path] of notAllowed) {
    const r = await http(`${node.status}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: '{}' })
    t.same([r.status, r.body], [405, { message: 'Method not allowed' }], `${method} ${path}`)
  }
  for (const [method, path] of [
    ['PUT', `/upstreams/checked.up/targets/${A}/unhealthy`],
    ['POST', `/upstreams/checked.up/targets/${A}/unhealthy`],
    ['GET', '/upstreams'],
    ['GET', '/upstreams/checked.up'],
  ] as const) {
    const r = await http(`${node.status}${path}`, { method })
    t.same([r.status, r.body], [404, { message: 'Not found' }], `${method} ${path} is not served there`)
  }
})
