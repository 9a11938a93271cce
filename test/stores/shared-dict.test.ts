import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { malformedDictRequest, parseDictRequest, serveDictRequest } from '../../src/stores/dict-protocol.js'
import { DictChannel, RemoteDict } from '../../src/stores/remote-dict.js'
import { SharedDict, createSharedDicts } from '../../src/stores/shared-dict.js'
import { ZONE_BASE_BYTES, zoneSizes } from '../../src/stores/zones.js'

t.test('a dict holds values within its capacity, evicting the least recently used', async (t) => {
  const dict = new SharedDict('d', ZONE_BASE_BYTES + 300)
  t.equal(dict.allocated, ZONE_BASE_BYTES, 'an empty zone still uses its first page')
  t.ok(dict.set('a', 'x'.repeat(50)))
  t.ok(dict.set('b', 'y'.repeat(50)))
  t.equal(dict.allocated, ZONE_BASE_BYTES + 2 * (64 + 1 + 50), 'bytes are counted per entry: key, value, bookkeeping')
  t.equal(dict.get('a'), 'x'.repeat(50), 'reading a marks it recently used')
  t.ok(dict.set('c', 'z'.repeat(50)))
  t.equal(dict.get('b'), undefined, 'the least recently used entry made room')
  t.equal(dict.get('a'), 'x'.repeat(50))
  t.notOk(dict.set('huge', 'h'.repeat(400)), 'a value larger than the zone is refused, not stored')
  t.ok(dict.allocated <= dict.capacity, 'never more than the capacity')
})

t.test('values expire after their time to live; increments keep it', async (t) => {
  let now = 1_000
  const dict = new SharedDict('d', 1024 * 1024, { now: () => now })
  t.equal(dict.incr('hits', 1, 0, 1000), 1, 'an absent key starts at init + by')
  now += 400
  t.equal(dict.incr('hits', 2), 3)
  now += 500
  t.equal(dict.get('hits'), 3, 'still there within the window')
  now += 200
  t.equal(dict.get('hits'), undefined, 'gone once the window is over, counted from the first increment')
  dict.set('s', 'v')
  t.throws(() => dict.incr('s', 1), /does not hold a number/)
})

t.test('requests from a worker are checked before they are served', async (t) => {
  const dicts = createSharedDicts()
  t.equal(parseDictRequest({ type: 'dict', id: 1, dict: 'kong', op: 'drop', key: 'k' }), undefined, 'unknown operation')
  t.equal(parseDictRequest({ type: 'dict', id: 1.5, dict: 'kong', op: 'get', key: 'k' }), undefined, 'a fractional id')
  t.equal(parseDictRequest({ type: 'dict', id: 1, dict: 'kong', op: 'incr', key: 'k', by: 'one' }), undefined, 'a non-numeric step')
  t.equal(parseDictRequest({ type: 'dict', id: 1, dict: 'kong', op: 'set', key: 'k', value: { x: 1 } }), undefined, 'an object value')
  const req = parseDictRequest({ type: 'dict', id: 7, dict: 'nope', op: 'get', key: 'k' })
  t.same(req && serveDictRequest(dicts, req), { type: 'dict', id: 7, ok: false, error: "no shared dict named 'nope'" })
  t.match(malformedDictRequest({ type: 'dict', id: 9, dict: 'kong', op: 'incr', key: 'k', by: Number.NaN }), { type: 'dict', id: 9, ok: false, error: /malformed dict request/ }, 'a malformed request with an id gets an error reply')
  t.equal(malformedDictRequest({ type: 'dict', id: 'x' }), undefined, 'one without an id cannot be answered')
  t.equal(malformedDictRequest({ type: 'dict', id: 3, ok: true, value: 1 }), undefined, 'a reply is not a request')
})

t.test('a call the primary never answers fails after the timeout; close fails the rest', async (t) => {
  const sent: unknown[] = []
  const channel = new DictChannel((m) => sent.push(m) > 0, 50)
  const dict = new RemoteDict(channel, 'kong')
  await t.rejects(dict.get('k'), /no answer from the primary within 50 ms/)
  const waiting = dict.incr('k', 1)
  channel.close('the primary process went away')
  await t.rejects(waiting, /the primary process went away/)
  const answered = dict.get('k')
  const last = sent[sent.length - 1] as { id: number }
  t.ok(channel.receive({ type: 'dict', id: last.id, ok: true, value: 'v' }))
  t.equal(await answered, 'v', 'an answer in time settles the call')
  t.equal(sent.length, 3)
})

t.test('two worker processes incrementing one counter get exact, distinct counts', async (t) => {
  const dicts = createSharedDicts()
  const script = fileURLToPath(new URL('../fixtures/dict-client.mjs', import.meta.url))
  const N = 2000
  const run = (): Promise<number[]> =>
    new Promise((resolve, reject) => {
      const child = fork(script, [String(N)], { serialization: 'advanced' })
      child.on('message', (message: unknown) => {
        const request = parseDictRequest(message)
        if (request) child.send(serveDictRequest(dicts, request))
        else resolve((message as { done: number[] }).done)
      })
      child.on('error', reject)
    })
  const [a, b] = await Promise.all([run(), run()])
  const all = [...(a ?? []), ...(b ?? [])].sort((x, y) => x - y)
  t.equal(dicts.get('kong_rate_limiting_counters')?.get('requests'), 2 * N, 'the total is exact')
  t.same(all, Array.from({ length: 2 * N }, (_, i) => i + 1), 'every value 1..2N was handed out exactly once')
})

t.test("/status zones: Kong's order, entity caches sized from the snapshot's bytes", async (t) => {
  const zones = zoneSizes(createSharedDicts(), { services: 1000, routes: 500, consumers: 300 }, 64 * 1024 * 1024)
  t.same(
    zones.map(([name]) => name),
    ['kong', 'kong_locks', 'kong_healthchecks', 'kong_cluster_events', 'kong_rate_limiting_counters', 'kong_core_db_cache', 'kong_core_db_cache_miss', 'kong_db_cache', 'kong_db_cache_miss', 'kong_secrets', 'prometheus_metrics'],
  )
  const byName = Object.fromEntries(zones)
  t.same(byName.kong_core_db_cache, { capacity: 64 * 1024 * 1024, allocated: ZONE_BASE_BYTES + 1500 }, 'services and routes are core entities')
  t.same(byName.kong_db_cache, { capacity: 64 * 1024 * 1024, allocated: ZONE_BASE_BYTES + 300 }, 'consumers are not')
  t.equal(byName.kong_rate_limiting_counters?.capacity, 12 * 1024 * 1024)
})
