// The DNS cache against a real DNS server (a UDP responder started here), with the cache's clock
// in the test's hands so TTLs expire when the test says, and refreshes awaited by their event.
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { createDnsCache, DnsCache, type DnsCacheOptions } from '../../src/balancer/dns.js'
import { parseHosts, readHostsFile } from '../../src/balancer/hosts-file.js'
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js'

let server: DnsServer
t.before(async () => {
  server = await startDnsServer()
})
t.teardown(() => server.close())

/** A cache asking the test server, on a clock the test moves (milliseconds). */
function cache(options: DnsCacheOptions = {}): { dns: DnsCache; clock: { now: number } } {
  const clock = { now: 0 }
  return { dns: new DnsCache({ resolver: server.resolver(), now: () => clock.now, ...options }), clock }
}

t.test('an answer is cached for its TTL, then refreshed in the background while the old one is served', async (t) => {
  server.zones.set('ttl.test', { a: ['10.0.0.2', '10.0.0.1'], ttl: 5 })
  const { dns, clock } = cache()
  const answer = dns.answer('TTL.test')
  const first = dns.check(answer, clock.now)
  t.ok(first instanceof Promise, 'the first resolution is awaited')
  await first
  t.same(answer.addresses, ['10.0.0.1', '10.0.0.2'], 'A records, sorted')
  t.equal(answer.expiresAt, 5000, 'expires after its TTL')
  t.equal(server.count('ttl.test'), 1, 'one query')

  clock.now = 4999
  t.equal(dns.check(answer, clock.now), undefined, 'nothing to wait for before expiry')
  t.equal(server.count('ttl.test'), 1, 'and no query')

  server.zones.set('ttl.test', { a: ['10.0.0.3'], ttl: 5 })
  clock.now = 5000
  const version = answer.version
  const refreshed = once(dns, 'resolved')
  t.equal(dns.check(answer, clock.now), undefined, 'an expired answer is served while it is refreshed')
  t.same(answer.addresses, ['10.0.0.1', '10.0.0.2'], 'the stale addresses meanwhile')
  t.equal(dns.check(answer, clock.now), undefined, 'a second use during the refresh')
  await refreshed
  t.same(answer.addresses, ['10.0.0.3'], 'the refreshed addresses')
  t.ok(answer.version > version, 'the version moved')
  t.equal(answer.expiresAt, 10000, 'a new expiry')
  t.equal(server.count('ttl.test'), 2, 'one refresh query for both uses')
})

t.test('an unchanged refresh keeps the version', async (t) => {
  server.zones.set('same.test', { a: ['10.0.1.1'], ttl: 1 })
  const { dns, clock } = cache()
  const answer = await dns.resolve('same.test')
  const version = answer.version
  const dnsVersion = dns.version
  clock.now = 1000
  const refreshed = once(dns, 'resolved')
  dns.check(answer, clock.now)
  await refreshed
  t.equal(answer.version, version, 'same addresses, same version')
  t.equal(dns.version, dnsVersion, 'and the cache-wide version too')
  t.equal(answer.expiresAt, 2000, 'but a new expiry')
})

t.test('a failing refresh keeps serving the stale addresses, until the stale limit', async (t) => {
  server.zones.set('flaky.test', { a: ['10.0.2.1'], ttl: 5 })
  const { dns, clock } = cache({ staleTtl: 60 })
  const answer = await dns.resolve('flaky.test')

  server.zones.set('flaky.test', { rcode: 'SERVFAIL' })
  clock.now = 6000
  let refreshed = once(dns, 'resolved')
  t.equal(dns.check(answer, clock.now), undefined, 'stale addresses are served, no wait')
  await refreshed
  t.same(answer.addresses, ['10.0.2.1'], 'kept after the failed refresh')
  t.equal(answer.failure, undefined, 'no failure to report')
  t.same(answer.lastError, { kind: 'error', message: 'dns server error: 2 server failure' }, 'the refresh error, for the log')

  const queries = server.count('flaky.test')
  clock.now = 6999
  t.equal(dns.check(answer, clock.now), undefined, 'no wait')
  t.equal(server.count('flaky.test'), queries, 'and no new query within the error TTL (1 s)')

  server.zones.set('flaky.test', { rcode: 'REFUSED' })
  clock.now = 7000
  refreshed = once(dns, 'resolved')
  dns.check(answer, clock.now)
  await refreshed
  t.same(answer.addresses, ['10.0.2.1'], 'still kept after another failure')
  t.equal(answer.lastError?.message, 'dns server error: 5 refused')

  server.zones.set('flaky.test', { a: [], aaaa: [] })
  clock.now = 8000
  refreshed = once(dns, 'resolved')
  dns.check(answer, clock.now)
  await refreshed
  t.same(answer.addresses, ['10.0.2.1'], 'an empty answer does not replace a stale one either (as in Kong)')

  server.zones.set('flaky.test', { rcode: 'SERVFAIL' })
  clock.now = 5000 + 60_000 + 1
  const wait = dns.check(answer, clock.now)
  t.ok(wait instanceof Promise, 'past the stale limit, the next use waits')
  await wait
  t.same(answer.addresses, [], 'and the addresses are gone')
  t.same(answer.failure, { kind: 'error', message: 'dns server error: 2 server failure' }, 'the failure is reported')

  server.zones.set('flaky.test', { a: ['10.0.2.2'], ttl: 5 })
  clock.now += 1000
  await dns.check(answer, clock.now)
  t.same(answer.addresses, ['10.0.2.2'], 'a working server brings the name back')
  t.equal(answer.failure, undefined)
})

t.test('a refresh against a server that is gone keeps the stale addresses', async (t) => {
  const gone = await startDnsServer()
  gone.zones.set('gone.test', { a: ['10.0.3.1'], ttl: 1 })
  const clock = { now: 0 }
  const dns = new DnsCache({ resolver: gone.resolver(), now: () => clock.now })
  const answer = await dns.resolve('gone.test')
  await gone.close()
  clock.now = 1000
  const refreshed = once(dns, 'resolved')
  t.equal(dns.check(answer, clock.now), undefined, 'no wait')
  await refreshed
  t.same(answer.addresses, ['10.0.3.1'], 'kept')
  t.match(answer.lastError, { kind: 'error', message: /^dns client error: E/ }, 'the client error, for the log')
})

t.test("a name error replaces even a stale answer: the name is gone (Kong's resolver does the same)", async (t) => {
  server.zones.set('vanish.test', { a: ['10.0.4.1'], ttl: 1 })
  const { dns, clock } = cache()
  const answer = await dns.resolve('vanish.test')
  server.zones.delete('vanish.test')
  clock.now = 1000
  const refreshed = once(dns, 'resolved')
  dns.check(answer, clock.now)
  await refreshed
  t.same(answer.addresses, [])
  t.same(answer.failure, { kind: 'name-error', message: 'dns server error: 3 name error' })
  t.equal(answer.expiresAt, 31_000, 'kept for the not-found TTL (30 s)')
})

t.test('failures: name error, empty answer, server error, each cached for its TTL', async (t) => {
  server.zones.set('empty.test', {})
  server.zones.set('broken.test', { rcode: 'SERVFAIL' })
  const { dns, clock } = cache()
  const missing = await dns.resolve('missing.test')
  t.same(missing.failure, { kind: 'name-error', message: 'dns server error: 3 name error' }, 'NXDOMAIN')
  t.same(server.queries.filter((q) => q.endsWith('missing.test')), ['A missing.test'], 'no AAAA query after a name error')
  const empty = await dns.resolve('empty.test')
  t.same(empty.failure, { kind: 'empty', message: 'dns client error: 101 empty record received' }, 'no A and no AAAA record')
  t.same(server.queries.filter((q) => q.endsWith('empty.test')), ['A empty.test', 'AAAA empty.test'], 'both families asked')
  const broken = await dns.resolve('broken.test')
  t.same(broken.failure, { kind: 'error', message: 'dns server error: 2 server failure' }, 'SERVFAIL')

  clock.now = 999
  t.equal(dns.check(broken, clock.now), undefined, 'a server failure is kept for 1 s')
  clock.now = 29_999
  t.equal(dns.check(missing, clock.now), undefined, 'a name error for 30 s')
  t.equal(dns.check(empty, clock.now), undefined, 'an empty answer for 30 s')
  t.equal(server.count('missing.test'), 1, 'without a new query')
  clock.now = 30_000
  const wait = dns.check(missing, clock.now)
  t.ok(wait instanceof Promise, 'an expired failure is asked again, and waited for')
  await wait
  t.equal(server.count('missing.test'), 2)
})

t.test('AAAA records when a name has no A record', async (t) => {
  server.zones.set('six.test', { aaaa: ['fd00::2', 'fd00::1'], ttl: 7 })
  const { dns } = cache()
  const answer = await dns.resolve('six.test')
  t.same(answer.addresses, ['fd00::1', 'fd00::2'], 'IPv6 addresses without brackets')
  t.equal(answer.expiresAt, 7000)
})

t.test('TTL 0: every use after an answer asks again, one query at a time', async (t) => {
  server.zones.set('zero.test', { a: ['10.0.5.1'], ttl: 0 })
  const { dns, clock } = cache()
  const answer = dns.answer('zero.test')
  const a = dns.check(answer, clock.now)
  const b = dns.check(answer, clock.now)
  t.equal(a, b, 'two first uses share one query')
  await a
  t.equal(server.count('zero.test'), 1)
  const refreshed = once(dns, 'resolved')
  t.equal(dns.check(answer, clock.now), undefined, 'the next use is served the answer it has')
  await refreshed
  t.equal(server.count('zero.test'), 2, 'and asks again')
})

t.test('IP literals and hosts-file names are answered without a query', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kong-dbless-hosts-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, 'hosts')
  await writeFile(path, '10.9.9.9 Custom.Test alias.test # trailing comment\n10.9.9.8 custom.test\n::2 custom.test\r\n# 10.1.1.1 commented.test\nnot-an-ip bad.test\n')
  const clock = { now: 0 }
  const dns = await createDnsCache({ hostsFile: path, resolver: server.resolver(), now: () => clock.now })
  const before = server.queries.length
  for (const [name, want] of [
    ['custom.test', '10.9.9.9'],
    ['ALIAS.test', '10.9.9.9'],
    ['localhost', '127.0.0.1'],
    ['10.1.2.3', '10.1.2.3'],
    ['::1', '::1'],
  ] as const) {
    const answer = dns.answer(name)
    t.equal(dns.check(answer, clock.now), undefined, `${name}: nothing to wait for`)
    t.same(answer.addresses, [want], `${name}: ${want}`)
    t.equal(answer.expiresAt, Infinity, `${name}: never expires`)
  }
  t.equal(server.queries.length, before, 'no query was sent')
  const commented = await dns.resolve('commented.test')
  t.equal(commented.failure?.kind, 'name-error', 'a commented line defines nothing: DNS is asked')
})

t.test('the hosts file is read as Kong reads it', async (t) => {
  const table = parseHosts('10.0.0.1 a.test b.test\n10.0.0.2 a.test\nfe80::1 a.test\n::3 c.test\n127.0.1.1 LOCALHOST.Test\n')
  t.same(table.get('a.test'), { ipv4: '10.0.0.1', ipv6: 'fe80::1' }, 'the first address of each family wins')
  t.same(table.get('c.test'), { ipv6: '::3' }, 'IPv6 only')
  t.same(table.get('localhost'), { ipv4: '127.0.0.1', ipv6: '::1' }, 'localhost is defined when the file does not')
  t.same(parseHosts('10.1.1.1 localhost\n').get('localhost'), { ipv4: '10.1.1.1' }, 'and as the file says when it does')
  t.same([...(await readHostsFile('/nonexistent/hosts')).keys()], ['localhost'], 'a missing file gives localhost only')
  await t.rejects(readHostsFile('/'), { message: /directory/ }, 'a directory is an error')
})

t.test('a cache with no options knows localhost and runs on a monotonic clock', async (t) => {
  const dns = new DnsCache()
  t.same((await dns.resolve('localhost')).addresses, ['127.0.0.1'], 'localhost is built in, as in Kong')
  t.type(dns.now(), 'number', 'the clock is performance.now')
})
