import t from 'tap'
import { RoundRobin } from '../../src/balancer/algorithms/round-robin.js'
import { Address } from '../../src/balancer/peer.js'
import { seededRandom as seeded } from '../helpers/random.js'

const addresses = (weights: readonly number[]): Address[] =>
  weights.map((w, i) => new Address(`10.0.0.${i + 1}`, 80, `10.0.0.${i + 1}`, w, undefined))

function roundRobin(weights: readonly number[], opts: { maxWheelSize?: number; random?: () => number } = {}): { rr: RoundRobin; list: Address[] } {
  const rr = new RoundRobin({ random: opts.random ?? seeded(1), maxWheelSize: opts.maxWheelSize ?? 2 ** 20 })
  const list = addresses(weights)
  rr.rebuild(list)
  return { rr, list }
}

/** The ips of `n` picks in order. */
function picks(rr: RoundRobin, n: number): string[] {
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(rr.pick(0)?.ip ?? 'none')
  return out
}

function counts(ips: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const ip of ips) out[ip] = (out[ip] ?? 0) + 1
  return out
}

const CASES = [
  { desc: "Kong's round-robin spec: weights 100 and 50 over two wheels", weights: [100, 50], cycle: 3, expect: [2, 1] },
  { desc: 'two equal weights split exactly in half', weights: [100, 100], cycle: 2, expect: [1, 1] },
  { desc: 'three weights reduced by their gcd', weights: [100, 50, 25], cycle: 7, expect: [4, 2, 1] },
  { desc: 'coprime weights keep a wheel as long as their sum', weights: [3, 5, 7], cycle: 15, expect: [3, 5, 7] },
  { desc: 'a weight 0 address is never picked', weights: [10, 0, 30], cycle: 4, expect: [1, 0, 3] },
]

for (const mode of ['wheel', 'smooth'] as const) {
  t.test(`${mode}: every run of a full cycle picks each address exactly weight/gcd times`, async (t) => {
    for (const c of CASES) {
      const { rr } = roundRobin(c.weights, { maxWheelSize: mode === 'wheel' ? 2 ** 20 : 1 })
      const seq = picks(rr, c.cycle * 4)
      const want: Record<string, number> = {}
      c.expect.forEach((n, i) => {
        if (n > 0) want[`10.0.0.${i + 1}`] = n
      })
      // Any window of one cycle, wherever it starts, holds the exact counts: the order repeats.
      for (let start = 0; start + c.cycle <= seq.length; start++) {
        t.same(counts(seq.slice(start, start + c.cycle)), want, `${c.desc}, window at ${start}`)
      }
    }
  })
}

t.test('a large run keeps the exact ratio (the wheel is not an approximation)', async (t) => {
  const { rr } = roundRobin([65535, 1, 2])
  t.same(counts(picks(rr, 65538 * 3)), { '10.0.0.1': 65535 * 3, '10.0.0.2': 3, '10.0.0.3': 6 })
})

t.test('the wheel is shuffled: the order depends on the random source, the counts do not', async (t) => {
  const weights = [1, 1, 1, 1, 1, 1, 1, 1]
  const a = picks(roundRobin(weights, { random: seeded(1) }).rr, 8)
  const b = picks(roundRobin(weights, { random: seeded(2) }).rr, 8)
  t.not(a.join(), b.join(), 'two balancers (two workers) start in different orders')
  t.same(counts(a), counts(b), 'and pick each address once per cycle')
  const again = picks(roundRobin(weights, { random: seeded(1) }).rr, 8)
  t.same(again, a, 'the same random sequence gives the same wheel')
})

t.test('smooth mode interleaves instead of shuffling', async (t) => {
  const { rr } = roundRobin([5, 1, 1], { maxWheelSize: 1 })
  t.same(picks(rr, 7), ['10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.3', '10.0.0.1', '10.0.0.1'], "nginx's smooth sequence")
})

t.test('no weight, or no address, gives no pick', async (t) => {
  t.equal(roundRobin([0, 0]).rr.pick(0), undefined, 'every weight 0')
  t.equal(roundRobin([]).rr.pick(0), undefined, 'no address')
  t.equal(roundRobin([0, 0], { maxWheelSize: 1 }).rr.pick(0), undefined, 'every weight 0, smooth')
})

t.test('unavailable addresses are walked past, as Kong skips unhealthy ones', async (t) => {
  for (const maxWheelSize of [2 ** 20, 1]) {
    const { rr, list } = roundRobin([100, 50], { maxWheelSize })
    list[0].available = false
    t.same(counts(picks(rr, 30)), { '10.0.0.2': 30 }, `all picks go to the available one (max wheel ${maxWheelSize})`)
    list[1].available = false
    t.equal(rr.pick(0), undefined, 'none available: no pick')
  }
})

t.test('a retry is the next pick', async (t) => {
  const { rr } = roundRobin([1, 1, 1])
  const tries = [rr.pick(0), rr.pick(1), rr.pick(2)].map((a) => a?.ip)
  t.equal(new Set(tries).size, 3, 'three tries reach three different addresses')
})

t.test('a rebuild keeps the pointer and reshuffles', async (t) => {
  const { rr, list } = roundRobin([1, 1])
  picks(rr, 1)
  rr.rebuild([...list, ...addresses([0, 0, 1]).slice(2)])
  t.same(counts(picks(rr, 3)), { '10.0.0.1': 1, '10.0.0.2': 1, '10.0.0.3': 1 }, 'a full new cycle after the change')
})
