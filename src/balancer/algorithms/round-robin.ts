/**
 * Kong's weighted round-robin (`kong/runloop/balancer/round_robin.lua`): a wheel that holds each
 * address weight/gcd(all weights) times, shuffled whenever the addresses change, and a pointer
 * that moves one entry per pick and walks past unavailable addresses. Over any wheel-size run of
 * picks each address is picked exactly weight/gcd times, in an order that is random per balancer
 * and per process (each Kong worker shuffles its own wheel, so workers do not start in step).
 *
 * A wheel longer than `maxWheelSize` (many addresses whose weights share no large divisor) is
 * not built, so a config cannot make every worker hold a huge array: smooth weighted round-robin
 * (nginx's) then gives the same counts over the same cycle, interleaved instead of shuffled, at a
 * cost per pick that grows with the number of addresses instead of a constant one.
 */
import type { Upstream } from '../../declarative/schema/entities/index.js'
import type { Algorithm, AlgorithmOptions } from '../algorithm.js'
import type { Address } from '../peer.js'

const EMPTY_WHEEL = new Uint32Array(0)

/** Weighted round-robin over a shuffled wheel, or smooth weighted round-robin past the wheel bound. */
export class RoundRobin implements Algorithm {
  readonly #random: () => number
  readonly #maxWheelSize: number
  #addresses: readonly Address[] = []
  /** Indexes into #addresses; empty in smooth mode or when every weight is 0. */
  #wheel: Uint32Array = EMPTY_WHEEL
  /** Kong's pointer survives a rebuild and moves before it reads, so the first pick reads entry 1. */
  #pointer = 0
  /** Smooth mode: each address's weight/gcd, and its current weight; undefined in wheel mode. */
  #points: Float64Array | undefined
  #current: Float64Array = new Float64Array(0)

  constructor(options: AlgorithmOptions) {
    this.#random = options.random
    this.#maxWheelSize = options.maxWheelSize
  }

  /** Recomputes the wheel (or the smooth weights) from the addresses' weights. */
  rebuild(addresses: readonly Address[]): void {
    this.#addresses = addresses
    let divisor = 0
    let total = 0
    for (const a of addresses) {
      divisor = gcd(divisor, a.weight)
      total += a.weight
    }
    this.#wheel = EMPTY_WHEEL
    this.#points = undefined
    if (total === 0) return
    const size = total / divisor
    if (size > this.#maxWheelSize) {
      this.#points = Float64Array.from(addresses, (a) => a.weight / divisor)
      this.#current = new Float64Array(addresses.length)
      return
    }
    const wheel = new Uint32Array(size)
    let at = 0
    for (let i = 0; i < addresses.length; i++) {
      for (let n = addresses[i].weight / divisor; n > 0; n--) wheel[at++] = i
    }
    this.#wheel = shuffle(wheel, this.#random)
  }

  /** The next available address on the wheel; retries simply move on, as in Kong. */
  pick(_previousTries: number): Address | undefined {
    if (this.#points !== undefined) return this.#pickSmooth(this.#points)
    const wheel = this.#wheel
    const size = wheel.length
    for (let n = 0; n < size; n++) {
      if (++this.#pointer >= size) this.#pointer = 0
      const address = this.#addresses[wheel[this.#pointer]]
      if (address.available) return address
    }
    return undefined
  }

  /** nginx's smooth weighted round-robin: raise every current weight by its weight, take the highest, lower it by the total. */
  #pickSmooth(points: Float64Array): Address | undefined {
    const current = this.#current
    let best = -1
    let total = 0
    for (let i = 0; i < points.length; i++) {
      if (points[i] === 0 || !this.#addresses[i].available) continue
      current[i] += points[i]
      total += points[i]
      if (best < 0 || current[i] > current[best]) best = i
    }
    if (best < 0) return undefined
    current[best] -= total
    return this.#addresses[best]
  }
}

/** Builds Kong's round-robin for an upstream. */
export function createRoundRobin(_upstream: Upstream, options: AlgorithmOptions): RoundRobin {
  return new RoundRobin(options)
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const r = a % b
    a = b
    b = r
  }
  return a
}

/** Fisher-Yates, as Kong's wheel_shuffle. */
function shuffle(wheel: Uint32Array, random: () => number): Uint32Array {
  for (let i = wheel.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const swap = wheel[i]
    wheel[i] = wheel[j]
    wheel[j] = swap
  }
  return wheel
}
