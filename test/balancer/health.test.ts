// Manual health marks and what a balancer makes of them: which addresses are picked, the
// health threshold, Kong's status report, DNS answers that bring new addresses, and which
// marks a new config keeps. Hostname targets resolve against a real DNS server started here.
import t from 'tap'
import { buildBalancers } from '../../src/balancer/balancers.js'
import { DnsCache } from '../../src/balancer/dns.js'
import { canonicalIp, HealthMarks, type HealthMark } from '../../src/balancer/health.js'
import { splitFormattedTarget } from '../../src/declarative/schema/entities/index.js'
import { BalancerError, NO_PEER } from '../../src/balancer/peer.js'
import type { UpstreamBalancer } from '../../src/balancer/upstream-balancer.js'
import type { Snapshot } from '../../src/declarative/snapshot.js'
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js'
import { load, yml } from '../helpers/load.js'

let server: DnsServer
t.before(async () => {
  server = await startDnsServer()
})
t.teardown(() => server.close())

const CONFIG = yml(`
upstreams:
- name: up
  healthchecks: {threshold: 40, passive: {unhealthy: {tcp_failures: 1}}}
  targets:
  - {target: "10.0.0.1:80", weight: 100}
  - {target: "10.0.0.2:80", weight: 100}
  - {target: "named.test:81", weight: 50}
  - {target: "[::1]:82", weight: 0}
- name: plain
  targets:
  - {target: "10.0.0.1:80"}
`)

async function setup(marks: HealthMarks): Promise<{ snapshot: Snapshot; balancer: UpstreamBalancer; id: string }> {
  const snapshot = await load(CONFIG)
  const balancers = buildBalancers(snapshot, new DnsCache({ resolver: server.resolver() }), { health: marks })
  const balancer = balancers.upstream('up')
  if (!balancer) throw new Error('no balancer')
  await balancer.ready()
  return { snapshot, balancer, id: balancer.upstream.id }
}

/** The distinct host:ports of `n` picks. */
function picked(balancer: UpstreamBalancer, n = 20): string[] {
  const seen = new Set<string>()
  for (let i = 0; i < n; i++) {
    const p = balancer.pick(0)
    seen.add(p instanceof BalancerError ? p.message : p.hostPort)
  }
  return [...seen].sort()
}

const mark = (upstream: string, hostname: string, port: number, ip: string | null, healthy: boolean): HealthMark => ({ upstream, hostname, port, ip, healthy })


t.test('marks take addresses out of the rotation, and the threshold out of service', async (t) => {
  server.zones.set('named.test', { a: ['10.1.0.1', '10.1.0.2'], ttl: 30 })
  const marks = new HealthMarks()
  const { balancer, id } = await setup(marks)
  t.same(picked(balancer), ['10.0.0.1:80', '10.0.0.2:80', '10.1.0.1:81', '10.1.0.2:81'], 'every weighted address at first')

  marks.set(mark(id, '10.0.0.1', 80, null, false))
  t.same(picked(balancer).length, 4, 'nothing changes until the balancer takes the marks')
  balancer.refreshHealth()
  t.same(picked(balancer), ['10.0.0.2:80', '10.1.0.1:81', '10.1.0.2:81'])

  marks.set(mark(id, 'named.test', 81, '10.1.0.2', false))
  balancer.refreshHealth()
  t.same(picked(balancer), ['10.0.0.2:80', '10.1.0.1:81'], 'one address of a hostname target')

  // 150 of 300 weight left is 50%, above the 40% threshold; then 50 of 300 is not.
  t.ok(balancer.healthy)
  marks.set(mark(id, '10.0.0.2', 80, null, false))
  balancer.refreshHealth()
  t.notOk(balancer.healthy)
  t.equal(balancer.pick(0), NO_PEER, "Kong's 503 under the threshold")

  marks.set(mark(id, 'named.test', 81, null, true))
  marks.set(mark(id, '10.0.0.2', 80, null, true))
  balancer.refreshHealth()
  t.same(picked(balancer), ['10.0.0.2:80', '10.1.0.1:81', '10.1.0.2:81'], 'a whole-target mark replaces its address marks')
})

t.test("Kong's status report", async (t) => {
  server.zones.set('named.test', { a: ['10.1.0.1', '10.1.0.2'], ttl: 30 })
  const marks = new HealthMarks([mark('x', '10.0.0.1', 80, null, false)])
  const { balancer, id } = await setup(marks)
  marks.set(mark(id, 'named.test', 81, '10.1.0.1', false))
  balancer.refreshHealth()
  const status = balancer.status()
  t.equal(status.healthy, true)
  t.same(status.weight, { total: 300, unavailable: 50, available: 250 }, 'weight 0 counts for nothing')
  const named = status.hosts.find((h) => h.host === 'named.test')
  t.same(named, {
    host: 'named.test',
    port: 81,
    dns: 'A',
    nodeWeight: 50,
    weight: { total: 100, unavailable: 50, available: 50 },
    addresses: [
      { ip: '10.1.0.1', port: 81, weight: 50, healthy: false },
      { ip: '10.1.0.2', port: 81, weight: 50, healthy: true },
    ],
  })
  const v6 = status.hosts.find((h) => h.port === 82)
  t.same([v6?.host, v6?.dns, v6?.addresses], ['[::1]', 'AAAA', [{ ip: '::1', port: 82, weight: 0, healthy: true }]])
  t.equal(status.hosts.find((h) => h.host === '10.0.0.1')?.addresses[0]?.healthy, true, "another upstream's marks do not apply")
})

t.test('a failed name reports its DNS error; an address DNS brings later takes its target mark', async (t) => {
  server.zones.set('named.test', { rcode: 'NXDOMAIN' })
  const marks = new HealthMarks()
  const { balancer, id } = await setup(marks)
  const named = balancer.status().hosts.find((h) => h.host === 'named.test')
  t.same([named?.dns, named?.addresses], ['dns server error: 3 name error', []])
  marks.set(mark(id, 'named.test', 81, null, false))
  balancer.refreshHealth()
  t.same(picked(balancer), ['10.0.0.1:80', '10.0.0.2:80'])
})

t.test('marks held and kept', async (t) => {
  const snapshot = await load(CONFIG)
  const up = snapshot.entities.upstreams?.find((u) => u.name === 'up')?.id ?? ''
  const off = snapshot.entities.upstreams?.find((u) => u.name === 'plain')?.id ?? ''
  const marks = new HealthMarks()
  marks.set(mark(up, '10.0.0.1', 80, null, false))
  marks.set(mark(up, '[::1]', 82, '0:0:0:0:0:0:0:1', false))
  marks.set(mark(up, 'gone.test', 80, null, false))
  marks.set(mark(off, '10.0.0.1', 80, null, false))
  marks.set(mark('no-such-upstream', '10.0.0.1', 80, null, false))
  t.equal(marks.healthOf(up, '[::1]', '::1', 82), false, 'IPv6 in any spelling')
  t.equal(marks.healthOf(up, '[::1]', '::1', 83), undefined, 'another port')
  t.equal(marks.list().length, 5)
  t.ok(marks.retain(snapshot), 'something was dropped')
  t.same(marks.list().map((m) => [m.hostname, m.port]), [
    ['10.0.0.1', 80],
    ['[::1]', 82],
  ], "kept: targets still in an upstream that has a healthchecker")
  t.notOk(marks.retain(snapshot), 'nothing more to drop')
  t.same(new HealthMarks(marks.list()).list(), marks.list(), 'a list rebuilds the same marks')
})

t.test('spellings', async (t) => {
  t.equal(canonicalIp('[0000:0000:0000:0000:0000:0000:0000:0001]'), '::1')
  t.equal(canonicalIp('10.0.0.1'), '10.0.0.1')
  t.same(splitFormattedTarget('[::1]:82'), { hostname: '[::1]', port: 82 })
  t.same(splitFormattedTarget('a.test:8000'), { hostname: 'a.test', port: 8000 })
})
