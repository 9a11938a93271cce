/** The seam between a balancer and its load-balancing algorithm: one implementation per algorithm. */
import type { Upstream } from '../declarative/schema/entities/index.js'
import type { Address } from './peer.js'

/** A load-balancing algorithm over one upstream's addresses. */
export interface Algorithm {
  /** Takes the upstream's addresses anew (targets in order, each target's addresses sorted) after a config or DNS change. */
  rebuild(addresses: readonly Address[]): void
  /** The address for a try, `previousTries` being the request's tries so far; undefined when none can be picked. Never allocates. */
  pick(previousTries: number): Address | undefined
}

/** What an algorithm may be built with besides its upstream. */
export interface AlgorithmOptions {
  /** A number in [0, 1), for the algorithms that shuffle. */
  readonly random: () => number
  /** The largest round-robin wheel built; a larger one runs smooth weighted round-robin instead. */
  readonly maxWheelSize: number
}

/** Builds an algorithm for an upstream. */
export type AlgorithmFactory = (upstream: Upstream, options: AlgorithmOptions) => Algorithm
