/**
 * The balancers of a snapshot: for each service, where its requests go. A service whose `host`
 * is an upstream's `name` balances over that upstream's targets (its `port` is then unused);
 * any other service goes to its own host and port, resolved through DNS when the host is a name.
 * Building is pure: no query is sent until a request (or `prefetch`) needs an answer.
 */
import { isIP } from 'node:net'
import { compareTargets, type Service, type Target, type Upstream } from '../declarative/schema/entities/index.js'
import type { Snapshot } from '../declarative/snapshot.js'
import type { AlgorithmFactory, AlgorithmOptions } from './algorithm.js'
import { createRoundRobin } from './algorithms/round-robin.js'
import type { DnsAnswer, DnsCache } from './dns.js'
import type { BalancerStatus, HealthLookup } from './health.js'
import { Address, bracketIPv6, nameResolutionFailed, resolveFailed, type BalancerError, type Peer, type PeerSource } from './peer.js'
import { UpstreamBalancer } from './upstream-balancer.js'

/** The algorithms written so far; an upstream naming another one runs round-robin until it is. */
const ALGORITHMS: { readonly [K in Upstream['algorithm']]?: AlgorithmFactory } = {
  'round-robin': createRoundRobin,
}

/** Options of {@link buildBalancers}. */
export interface BalancerOptions {
  /** A number in [0, 1) for shuffling round-robin wheels; default `Math.random`. */
  readonly random?: () => number
  /** The largest round-robin wheel (entries) built; beyond it, smooth weighted round-robin. Default 2^20. */
  readonly maxWheelSize?: number
  /** Manual health marks the upstreams' balancers read; none: every address is available. */
  readonly health?: HealthLookup
}

/** Every service's peer source and every upstream's balancer, for one snapshot. */
export class Balancers {
  readonly #sources: ReadonlyMap<string, PeerSource>
  readonly #upstreams: ReadonlyMap<string, UpstreamBalancer>

  constructor(sources: ReadonlyMap<string, PeerSource>, upstreams: ReadonlyMap<string, UpstreamBalancer>) {
    this.#sources = sources
    this.#upstreams = upstreams
  }

  /** The peer source of a service, by id; undefined for an id the snapshot does not hold. */
  forService(serviceId: string): PeerSource | undefined {
    return this.#sources.get(serviceId)
  }

  /** The balancer of an upstream, by name. */
  upstream(name: string): UpstreamBalancer | undefined {
    return this.#upstreams.get(name)
  }

  /** Makes every upstream's balancer take the health marks anew (they changed). */
  refreshHealth(): void {
    for (const balancer of this.#upstreams.values()) balancer.refreshHealth()
  }

  /** Kong's status of an upstream's balancer, by upstream id; undefined for an id the snapshot does not hold. */
  statusOf(upstreamId: string): BalancerStatus | undefined {
    for (const balancer of this.#upstreams.values()) if (balancer.upstream.id === upstreamId) return balancer.status()
    return undefined
  }

  /** Starts resolving every name the snapshot's services and targets use; waits for nothing. */
  prefetch(): void {
    for (const source of this.#sources.values()) void source.ready()
    for (const balancer of this.#upstreams.values()) void balancer.ready()
  }
}

/** Builds the balancers of a snapshot over a process-wide DNS cache. */
export function buildBalancers(snapshot: Snapshot, dns: DnsCache, options: BalancerOptions = {}): Balancers {
  const algorithmOptions: AlgorithmOptions = { random: options.random ?? Math.random, maxWheelSize: options.maxWheelSize ?? 2 ** 20 }
  const targetsOf = new Map<string, Target[]>()
  for (const target of snapshot.entities.targets ?? []) {
    const list = targetsOf.get(target.upstream.id)
    if (list) list.push(target)
    else targetsOf.set(target.upstream.id, [target])
  }
  const upstreams = new Map<string, UpstreamBalancer>()
  for (const upstream of snapshot.entities.upstreams ?? []) {
    const targets = (targetsOf.get(upstream.id) ?? []).sort(compareTargets)
    const factory = ALGORITHMS[upstream.algorithm]
    const name = factory ? upstream.algorithm : 'round-robin'
    const algorithm = (factory ?? createRoundRobin)(upstream, algorithmOptions)
    upstreams.set(upstream.name, new UpstreamBalancer(upstream, targets, dns, name, algorithm, options.health))
  }
  const sources = new Map<string, PeerSource>()
  for (const service of snapshot.entities.services ?? []) {
    const balancer = upstreams.get(service.host)
    sources.set(
      service.id,
      balancer ? new UpstreamSource(service, balancer) : isIP(unbracket(service.host)) !== 0 ? new FixedSource(service) : new NameSource(service, dns),
    )
  }
  return new Balancers(sources, upstreams)
}

/** A service balanced over an upstream: the upstream's balancer, shared with the upstream's other services. */
class UpstreamSource implements PeerSource {
  readonly retries: number
  readonly hostHeader: string | null
  readonly upstream: string
  readonly #balancer: UpstreamBalancer

  constructor(service: Service, balancer: UpstreamBalancer) {
    this.retries = service.retries
    this.hostHeader = balancer.upstream.host_header
    this.upstream = balancer.upstream.name
    this.#balancer = balancer
  }

  ready(): Promise<void> | undefined {
    return this.#balancer.ready()
  }

  pick(previousTries: number): Peer | BalancerError {
    return this.#balancer.pick(previousTries)
  }
}

/** A service whose host is an IP: always that address, no DNS. */
class FixedSource implements PeerSource {
  readonly retries: number
  readonly hostHeader = null
  readonly upstream = null
  readonly #peer: Peer

  constructor(service: Service) {
    this.retries = service.retries
    const ip = unbracket(service.host)
    this.#peer = new Address(ip, service.port, bracketIPv6(ip), 1, undefined)
  }

  ready(): undefined {
    return undefined
  }

  pick(_previousTries: number): Peer {
    return this.#peer
  }
}

/**
 * A service whose host is a name: its addresses in turn, as Kong's `toip` takes a name's records
 * in turn (unweighted, the next one on each try). Failures are Kong's: a name error or an empty
 * answer is 503 `name resolution failed`, anything else 500.
 */
class NameSource implements PeerSource {
  readonly retries: number
  readonly hostHeader = null
  readonly upstream = null
  readonly #service: Service
  readonly #dns: DnsCache
  readonly #answer: DnsAnswer
  #seen = -1
  #peers: readonly Peer[] = []
  #failure: BalancerError
  /** Moves before it reads, so the first pick takes the first address. */
  #cursor = -1

  constructor(service: Service, dns: DnsCache) {
    this.retries = service.retries
    this.#service = service
    this.#dns = dns
    this.#answer = dns.answer(service.host)
    this.#failure = this.#take()
  }

  ready(): Promise<void> | undefined {
    return this.#dns.check(this.#answer, this.#dns.now())
  }

  pick(_previousTries: number): Peer | BalancerError {
    if (this.#answer.version !== this.#seen) this.#failure = this.#take()
    const peers = this.#peers
    if (peers.length === 0) return this.#failure
    if (++this.#cursor >= peers.length) this.#cursor = 0
    return peers[this.#cursor]
  }

  /** Takes the answer's addresses as peers, and returns the error to give while there are none. */
  #take(): BalancerError {
    const { host, port } = this.#service
    const answer = this.#answer
    this.#seen = answer.version
    this.#peers = answer.addresses.map((ip) => new Address(ip, port, host, 1, undefined))
    const failure = answer.failure
    // Picked before the first answer came (a retry never queries): Kong's cache-only miss.
    if (failure === undefined) return resolveFailed(host, 'dns client error: 100 cache only lookup failed')
    return failure.kind === 'error' ? resolveFailed(host, failure.message) : nameResolutionFailed(failure.message)
  }
}

function unbracket(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1')
}
