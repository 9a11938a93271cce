// A snapshot's balancers: which peers each service's requests reach, in which proportions, and
// Kong's errors when there is none. Hostname targets and service hosts resolve against a real
// DNS server started here.
import { once } from 'node:events'
import t from 'tap'
import { buildBalancers, type Balancers } from '../../src/balancer/balancers.js'
import { DnsCache } from '../../src/balancer/dns.js'
import { BalancerError, NO_PEER, type Peer, type PeerSource } from '../../src/balancer/peer.js'
import { compareTargets, type Target } from '../../src/declarative/schema/entities/index.js'
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js'
import { load, yml } from '../helpers/load.js'

let server: DnsServer
t.before(async () => {
  server = await startDnsServer()
})
t.teardown(() => server.close())

async function build(body: string, dns = new DnsCache({ resolver: server.resolver() })): Promise<Balancers> {
  return buildBalancers(await load(yml(body)), dns)
}

/** The sources of the services, by service name. */
async function sourcesOf(body: string, dns = new DnsCache({ resolver: server.resolver() })): Promise<Map<string, PeerSource>> {
  const snapshot = await load(yml(body))
  const balancers = buildBalancers(snapshot, dns)
  const out = new Map<string, PeerSource>()
  for (const service of snapshot.entities.services ?? []) {
    const found = balancers.forService(service.id)
    if (found && service.name !== null) out.set(service.name, found)
  }
  return out
}

/** The source of the service named `name`. */
async function sourceOf(body: string, name: string, dns?: DnsCache): Promise<PeerSource> {
  const found = (await sourcesOf(body, dns)).get(name)
  if (!found) throw new Error(`no source for ${name}`)
  return found
}

/** The first try of a request, as the forwarder makes it. */
async function first(src: PeerSource): Promise<Peer | BalancerError> {
  const wait = src.ready()
  if (wait) await wait
  return src.pick(0)
}

function peer(result: Peer | BalancerError): Peer {
  if (result instanceof BalancerError) throw new Error(`expected a peer, got ${result.status} ${result.message}`)
  return result
}

/** hostPort → picks over `n` first tries. */
async function tally(src: PeerSource, n: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const p = peer(await first(src))
    out[p.hostPort] = (out[p.hostPort] ?? 0) + 1
  }
  return out
}

t.test('a service whose host is an upstream name balances over its targets by weight', async (t) => {
  const src = await sourceOf(
    `upstreams:
- name: backend
  targets:
  - { target: "10.0.0.1:9000", weight: 100 }
  - { target: "10.0.0.2:9001", weight: 50 }
  - { target: "10.0.0.3:9002", weight: 0 }
services:
- { name: s, host: backend, port: 1234, retries: 3 }
`,
    's',
  )
  t.equal(src.upstream, 'backend')
  t.equal(src.retries, 3)
  t.equal(src.hostHeader, null, 'no host_header')
  t.same(await tally(src, 30), { '10.0.0.1:9000': 20, '10.0.0.2:9001': 10 }, "Kong's 2:1 over ten wheels; weight 0 never; the service port unused")
  const p = peer(src.pick(0))
  t.equal(p.hostname, p.ip, 'an IP target is its own hostname')
  t.ok(p.target, 'the peer names its target')
})

t.test('targets: default port 8000, IPv6 in brackets', async (t) => {
  const balancers = await build(`upstreams:
- name: backend
  targets:
  - target: 10.0.0.1
  - target: "::1"
  - target: "[fd00::5]:9000"
`)
  const addresses = balancers.upstream('backend')?.addresses() ?? []
  t.same(
    addresses.map((a) => [a.ip, a.port, a.hostPort, a.hostname]).sort(),
    [
      ['10.0.0.1', 8000, '10.0.0.1:8000', '10.0.0.1'],
      ['::1', 8000, '[::1]:8000', '[::1]'],
      ['fd00::5', 9000, '[fd00::5]:9000', '[fd00::5]'],
    ],
  )
})

t.test("targets are ordered by created_at, then id, as Kong orders them", async (t) => {
  const target = (id: string, created_at: number): Target => ({ id, created_at }) as unknown as Target
  const sorted = [target('b', 2), target('c', 1), target('a', 2)].sort(compareTargets)
  t.same(
    sorted.map((x) => x.id),
    ['c', 'a', 'b'],
  )
})

t.test("no peer: Kong's 503 for no targets, every weight 0, or a threshold no balancer meets", async (t) => {
  const balancers = await build(`upstreams:
- name: empty
- name: zero
  targets:
  - { target: "10.0.0.1:80", weight: 0 }
  - { target: "10.0.0.2:80", weight: 0 }
- name: strict
  healthchecks: { threshold: 100 }
  targets:
  - target: 10.0.0.1
`)
  for (const name of ['empty', 'zero', 'strict']) {
    const balancer = balancers.upstream(name)
    t.equal(balancer?.pick(0), NO_PEER, name)
    t.equal(balancer?.healthy, false, `${name} is unhealthy`)
  }
  t.match(NO_PEER, { status: 503, message: 'failure to get a peer from the ring-balancer' })
})

t.test('upstream host_header is exposed for the Host header decision', async (t) => {
  const src = await sourceOf(
    `upstreams:
- { name: backend, host_header: api.internal, targets: [{ target: "10.0.0.1:80" }] }
services:
- { name: s, host: backend }
`,
    's',
  )
  t.equal(src.hostHeader, 'api.internal')
})

t.test('a service whose host is an IP goes to that host and port, with no DNS', async (t) => {
  const before = server.queries.length
  const v4 = await sourceOf('services:\n- { name: s, host: 10.1.1.1, port: 8080 }\n', 's')
  t.equal(v4.ready(), undefined, 'nothing to wait for')
  t.match(v4.pick(0), { ip: '10.1.1.1', port: 8080, hostPort: '10.1.1.1:8080', hostname: '10.1.1.1', target: undefined })
  t.equal(v4.pick(1), v4.pick(0), 'a retry goes to the same address')
  t.equal(v4.upstream, null)
  const v6 = await sourceOf('services:\n- { name: s, url: "http://[fd00::9]:81/" }\n', 's')
  t.match(v6.pick(0), { ip: 'fd00::9', port: 81, hostPort: '[fd00::9]:81', hostname: '[fd00::9]' })
  t.equal(server.queries.length, before, 'no query')
})

t.test('a service whose host is a name goes to its addresses in turn, one per try', async (t) => {
  server.zones.set('svc.test', { a: ['10.2.0.1', '10.2.0.2'], ttl: 30 })
  const src = await sourceOf('services:\n- { name: s, host: svc.test, port: 8080, retries: 2 }\n', 's')
  const tries = [peer(await first(src)), peer(src.pick(1)), peer(src.pick(2))]
  t.same(
    tries.map((p) => p.hostPort),
    ['10.2.0.1:8080', '10.2.0.2:8080', '10.2.0.1:8080'],
    "each retry moves to the next address, as Kong's toip",
  )
  t.equal(tries[0].hostname, 'svc.test', 'the hostname is the service host')
  t.equal(src.hostHeader, null)
})

t.test("service host failures are Kong's: 503 for a name error or empty answer, 500 otherwise", async (t) => {
  server.zones.set('noaddr.test', {})
  server.zones.set('fail.test', { rcode: 'SERVFAIL' })
  const dns = new DnsCache({ resolver: server.resolver() })
  const cases = [
    ['nxdomain.test', 503, 'name resolution failed'],
    ['noaddr.test', 503, 'name resolution failed'],
    ['fail.test', 500, "failed the initial dns/balancer resolve for 'fail.test' with: dns server error: 2 server failure"],
  ] as const
  for (const [host, status, message] of cases) {
    const src = await sourceOf(`services:\n- { name: s, host: ${host} }\n`, 's', dns)
    const result = await first(src)
    t.ok(result instanceof BalancerError, `${host}: an error`)
    t.match(result, { status, message }, `${host}: ${status}`)
    t.equal(src.pick(1), result, `${host}: the same error object on a retry (no allocation)`)
  }
  const early = await sourceOf('services:\n- { name: s, host: never-asked.test }\n', 's', dns)
  t.match(early.pick(1), { status: 500, message: /cache only lookup failed/ }, 'a pick before the first answer: Kong\'s cache-only miss')
})

t.test('a hostname target expands to its addresses, each with the full target weight', async (t) => {
  server.zones.set('multi.test', { a: ['10.3.0.2', '10.3.0.1'], ttl: 30 })
  const src = await sourceOf(
    `upstreams:
- name: backend
  targets:
  - { target: "multi.test:9000", weight: 10 }
  - { target: "10.3.0.9:9001", weight: 10 }
services:
- { name: s, host: backend }
`,
    's',
  )
  t.same(
    await tally(src, 30),
    { '10.3.0.1:9000': 10, '10.3.0.2:9000': 10, '10.3.0.9:9001': 10 },
    "two addresses of weight 10 beside one: Kong gives each address the target's weight, not a share of it",
  )
  const named = peer(await first(src))
  const hostnames = new Set([named.hostname, peer(src.pick(1)).hostname, peer(src.pick(2)).hostname])
  t.same([...hostnames].sort(), ['10.3.0.9', 'multi.test'], 'a DNS address carries its target name as hostname')
})

t.test('hosts-file and AAAA-only target names', async (t) => {
  server.zones.set('v6only.test', { aaaa: ['fd00::7'], ttl: 30 })
  const balancers = await build(`upstreams:
- name: backend
  targets:
  - target: localhost:9000
  - target: v6only.test:9001
`)
  const balancer = balancers.upstream('backend')
  await balancer?.ready()
  t.same(
    balancer?.addresses().map((a) => [a.hostPort, a.hostname]).sort(),
    [
      ['127.0.0.1:9000', 'localhost'],
      ['[fd00::7]:9001', 'v6only.test'],
    ],
  )
  t.equal(server.count('localhost'), 0, 'localhost never reaches DNS')
})

t.test('a target whose name fails is left out; the others serve', async (t) => {
  server.zones.set('good.test', { a: ['10.4.0.1'], ttl: 30 })
  const src = await sourceOf(
    `upstreams:
- name: backend
  targets:
  - target: good.test:80
  - target: gone.test:80
services:
- { name: s, host: backend }
`,
    's',
  )
  t.same(await tally(src, 5), { '10.4.0.1:80': 5 })
  const clock = { now: 0 }
  const dns = new DnsCache({ resolver: server.resolver(), now: () => clock.now })
  const alone = await sourceOf('upstreams:\n- { name: u, targets: [{ target: "later.test:80" }] }\nservices:\n- { name: s, host: u }\n', 's', dns)
  t.equal(await first(alone), NO_PEER, 'a target name that fails is no peer, not a DNS error (as in Kong)')

  server.zones.set('later.test', { a: ['10.4.0.2'] })
  clock.now = 30_000
  const refreshed = once(dns, 'resolved')
  t.equal(alone.ready(), undefined, 'once answered, a target name never holds a request: it is asked again in the background')
  t.equal(alone.pick(0), NO_PEER, 'still no peer meanwhile')
  await refreshed
  t.match(alone.pick(0), { hostPort: '10.4.0.2:80' }, 'then the name serves')
})

t.test('DNS changes reach the wheel: TTL expiry, failing refresh, name error', async (t) => {
  server.zones.set('moving.test', { a: ['10.5.0.1'], ttl: 5 })
  const clock = { now: 0 }
  const dns = new DnsCache({ resolver: server.resolver(), now: () => clock.now })
  const src = await sourceOf(
    `upstreams:
- { name: backend, targets: [{ target: "moving.test:80" }, { target: "10.5.0.9:80" }] }
services:
- { name: s, host: backend }
`,
    's',
    dns,
  )
  t.same(await tally(src, 4), { '10.5.0.1:80': 2, '10.5.0.9:80': 2 })
  const queries = server.count('moving.test')

  clock.now = 4000
  t.equal(src.ready(), undefined, 'nothing to do before expiry')
  t.equal(server.count('moving.test'), queries, 'no query')

  server.zones.set('moving.test', { a: ['10.5.0.2', '10.5.0.3'], ttl: 5 })
  clock.now = 5000
  let refreshed = once(dns, 'resolved')
  t.equal(src.ready(), undefined, 'an expired name does not hold the request')
  t.same(await tally(src, 2), { '10.5.0.1:80': 1, '10.5.0.9:80': 1 }, 'the stale address serves meanwhile')
  await refreshed
  t.same(await tally(src, 6), { '10.5.0.2:80': 2, '10.5.0.3:80': 2, '10.5.0.9:80': 2 }, 'then the new addresses')

  server.zones.set('moving.test', { rcode: 'SERVFAIL' })
  clock.now = 10_000
  refreshed = once(dns, 'resolved')
  src.ready()
  await refreshed
  t.same(await tally(src, 6), { '10.5.0.2:80': 2, '10.5.0.3:80': 2, '10.5.0.9:80': 2 }, 'a failed refresh keeps them')

  server.zones.delete('moving.test')
  clock.now = 11_000
  refreshed = once(dns, 'resolved')
  src.ready()
  await refreshed
  t.same(await tally(src, 3), { '10.5.0.9:80': 3 }, 'a name error removes them')
})

t.test('services sharing an upstream share its balancer, and its wheel', async (t) => {
  const sources = await sourcesOf(`upstreams:
- { name: backend, targets: [{ target: "10.6.0.1:80" }, { target: "10.6.0.2:80" }] }
services:
- { name: a, host: backend }
- { name: b, host: backend }
`)
  const a = sources.get('a')
  const b = sources.get('b')
  if (!a || !b) throw new Error('sources missing')
  for (let i = 0; i < 3; i++) {
    t.not(peer(a.pick(0)).hostPort, peer(b.pick(0)).hostPort, `round ${i}: one wheel, so a then b take its two entries`)
  }
  t.equal((await build('services: []\n')).forService('no-such-id'), undefined, 'no source for an unknown service')
})

t.test('an algorithm not written yet runs round-robin, and says so', async (t) => {
  const balancers = await build(`upstreams:
- { name: lc, algorithm: least-connections, targets: [{ target: "10.7.0.1:80" }] }
- { name: rr, targets: [{ target: "10.7.0.1:80" }] }
`)
  t.equal(balancers.upstream('lc')?.algorithmName, 'round-robin')
  t.equal(balancers.upstream('lc')?.upstream.algorithm, 'least-connections', 'the upstream keeps its setting')
  t.match(balancers.upstream('lc')?.pick(0), { hostPort: '10.7.0.1:80' })
})

t.test('prefetch resolves every name without a request', async (t) => {
  server.zones.set('pre1.test', { a: ['10.8.0.1'] })
  server.zones.set('pre2.test', { a: ['10.8.0.2'] })
  const dns = new DnsCache({ resolver: server.resolver() })
  const balancers = await build(
    `upstreams:
- { name: backend, targets: [{ target: "pre1.test:80" }] }
services:
- { name: s, host: pre2.test }
`,
    dns,
  )
  const resolved = new Set<string>()
  const both = new Promise<void>((resolve) => {
    dns.on('resolved', (answer) => {
      resolved.add(answer.name)
      if (resolved.size === 2) resolve()
    })
  })
  balancers.prefetch()
  await both
  t.same([...resolved].sort(), ['pre1.test', 'pre2.test'])
  t.equal(balancers.upstream('backend')?.ready(), undefined, 'a request then has nothing to wait for')
})
