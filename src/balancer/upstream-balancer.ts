/**
 * One upstream's balancer: its targets' addresses, hostname targets expanded through DNS, under
 * the upstream's algorithm. Built per snapshot; DNS answers change its addresses in place.
 */
import { isIP } from 'node:net'
import { splitFormattedTarget, type Target, type Upstream } from '../declarative/schema/entities/index.js'
import type { Algorithm } from './algorithm.js'
import type { DnsAnswer, DnsCache } from './dns.js'
import type { BalancerStatus, HealthLookup, TargetStatus } from './health.js'
import { Address, NO_PEER, type BalancerError } from './peer.js'

interface TargetState {
  readonly target: Target
  readonly port: number
  /** The host name, or the IP (IPv6 in brackets) of an IP target: Kong's balancer hostname. */
  readonly hostname: string
  addresses: readonly Address[]
}

interface NamedTarget extends TargetState {
  readonly answer: DnsAnswer
  /** The answer's version the addresses were taken from. */
  seen: number
}

/** An upstream's balancer; services whose host names the upstream share it (and its wheel). */
export class UpstreamBalancer {
  readonly #algorithm: Algorithm
  readonly #dns: DnsCache
  readonly #targets: readonly TargetState[]
  readonly #named: readonly NamedTarget[]
  readonly #threshold: number
  readonly #health: HealthLookup | undefined
  #addresses: readonly Address[] = []
  #healthy = false
  #dnsVersion: number
  /** The earliest expiry among the named targets' answers: before it, `ready()` has nothing to check. */
  #nextCheck = -Infinity

  constructor(
    readonly upstream: Upstream,
    /** The targets, in Kong's order (`compareTargets` of the upstreams entity). */
    targets: readonly Target[],
    dns: DnsCache,
    /** The algorithm that runs, which is round-robin for algorithms not written yet. */
    readonly algorithmName: string,
    algorithm: Algorithm,
    /** Manual health marks, read whenever the addresses change and on {@link refreshHealth}. */
    health?: HealthLookup,
  ) {
    this.#algorithm = algorithm
    this.#dns = dns
    this.#health = health
    this.#threshold = thresholdOf(upstream)
    const named: NamedTarget[] = []
    this.#targets = targets.map((target): TargetState => {
      const { hostname, port } = splitFormattedTarget(target.target)
      const host = hostname.replace(/^\[(.*)\]$/, '$1')
      if (isIP(host) !== 0) {
        return { target, port, hostname, addresses: [new Address(host, port, hostname, target.weight, target)] }
      }
      const state: NamedTarget = { target, port, hostname: host, addresses: [], answer: dns.answer(host), seen: -1 }
      named.push(state)
      return state
    })
    this.#named = named
    this.#dnsVersion = dns.version
    for (const t of named) this.#take(t)
    this.#rebuild()
  }

  /** Whether a pick can succeed: some weight, and more than `healthchecks.threshold` percent of it available. */
  get healthy(): boolean {
    if (this.#dns.version !== this.#dnsVersion) this.#sync()
    return this.#healthy
  }

  /** Every address, targets in order; for status reports and health checks. */
  addresses(): readonly Address[] {
    if (this.#dns.version !== this.#dnsVersion) this.#sync()
    return this.#addresses
  }

  /**
   * See {@link PeerSource.ready}: refreshes expired target names in the background, and waits
   * only for names never answered yet. Kong resolves a balancer's targets when it creates it,
   * then refreshes them from a timer, so no later request waits: a target whose name fails just
   * has no address meanwhile, and the other targets serve.
   */
  ready(): Promise<void> | undefined {
    const named = this.#named
    if (named.length === 0) return undefined
    const now = this.#dns.now()
    if (now < this.#nextCheck) return undefined
    let waits: Promise<void>[] | undefined
    let next = Infinity
    for (const t of named) {
      const answer = t.answer
      const wait = this.#dns.check(answer, now)
      if (wait !== undefined && answer.failure === undefined && answer.addresses.length === 0) (waits ??= []).push(wait)
      if (answer.expiresAt < next) next = answer.expiresAt
    }
    this.#nextCheck = next
    return waits === undefined ? undefined : Promise.all(waits).then(nothing)
  }

  /** See {@link PeerSource.pick}: the algorithm's next address, or Kong's 503 when there is none. */
  pick(previousTries: number): Address | BalancerError {
    if (this.#dns.version !== this.#dnsVersion) this.#sync()
    if (!this.#healthy) return NO_PEER
    return this.#algorithm.pick(previousTries) ?? NO_PEER
  }

  /** Takes new DNS answers of the named targets, if any changed. */
  #sync(): void {
    this.#dnsVersion = this.#dns.version
    let changed = false
    for (const t of this.#named) {
      if (t.answer.version !== t.seen) {
        this.#take(t)
        changed = true
      }
    }
    if (changed) this.#rebuild()
  }

  /** Every resolved address of a named target takes the target's full weight, as in Kong; addresses kept keep their state. */
  #take(t: NamedTarget): void {
    const old = t.addresses
    t.seen = t.answer.version
    t.addresses = t.answer.addresses.map(
      (ip) => old.find((a) => a.ip === ip) ?? new Address(ip, t.port, t.hostname, t.target.weight, t.target),
    )
  }

  /**
   * Takes the health marks anew: each address is available unless marked unhealthy. The
   * algorithm is not rebuilt (it walks past unavailable addresses), so the rotation goes on
   * where it was, as in Kong.
   */
  refreshHealth(): void {
    if (this.#dns.version !== this.#dnsVersion) this.#sync()
    this.#applyHealth()
  }

  /** Kong's `balancer:getStatus`: health, weights, and every target with its addresses. */
  status(): BalancerStatus {
    if (this.#dns.version !== this.#dnsVersion) this.#sync()
    let total = 0
    let unavailable = 0
    const hosts = this.#targets.map((t): TargetStatus => {
      let targetTotal = 0
      let targetUnavailable = 0
      for (const a of t.addresses) {
        targetTotal += a.weight
        if (!a.available) targetUnavailable += a.weight
      }
      total += targetTotal
      unavailable += targetUnavailable
      return {
        host: t.hostname,
        port: t.port,
        dns: dnsSource(t),
        nodeWeight: t.target.weight,
        weight: { total: targetTotal, unavailable: targetUnavailable, available: targetTotal - targetUnavailable },
        addresses: t.addresses.map((a) => ({ ip: a.ip, port: a.port, weight: a.weight, healthy: a.available })),
      }
    })
    return { healthy: this.#healthy, weight: { total, unavailable, available: total - unavailable }, hosts }
  }

  #rebuild(): void {
    this.#addresses = this.#targets.flatMap((t) => t.addresses)
    this.#applyHealth()
    this.#algorithm.rebuild(this.#addresses)
  }

  /** Sets each address's availability from the marks, then the balancer's health from the threshold. */
  #applyHealth(): void {
    const health = this.#health
    const id = this.upstream.id
    let total = 0
    let available = 0
    for (const a of this.#addresses) {
      if (health !== undefined) a.available = health.healthOf(id, a.hostname, a.ip, a.port) ?? true
      total += a.weight
      if (a.available) available += a.weight
    }
    this.#healthy = total > 0 && (available / total) * 100 > this.#threshold
  }
}

/** Kong's `dns` field: the record type of an IP or a good answer, the error of a failed one, `unknown` before any. */
function dnsSource(t: TargetState): string {
  if (!('answer' in t)) return t.hostname.startsWith('[') ? 'AAAA' : 'A'
  const answer = (t as NamedTarget).answer
  if (answer.addresses.length > 0) return isIP(answer.addresses[0]) === 6 ? 'AAAA' : 'A'
  return answer.failure?.message ?? 'unknown'
}

function thresholdOf(upstream: Upstream): number {
  const threshold = (upstream.healthchecks as { readonly threshold?: unknown } | null)?.threshold
  return typeof threshold === 'number' ? threshold : 0
}

function nothing(): void {}
