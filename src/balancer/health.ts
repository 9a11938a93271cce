/**
 * Manual health marks (Kong's `PUT /upstreams/{u}/targets/{t}[/{address}]/healthy|unhealthy`)
 * and the balancer status reports `/upstreams/{u}/health` is made of. Marks are kept the way
 * Kong's healthchecker keeps target states: per upstream, by target hostname, address and port.
 * The primary holds the node's marks and sends the whole list to every worker; each worker
 * holds a copy its balancers read.
 */
import { isIP } from 'node:net'
import { splitFormattedTarget, usesHealthchecks } from '../declarative/schema/entities/index.js'
import type { Snapshot } from '../declarative/snapshot.js'

/** One mark: every address of a target (`ip` null), or one address of it. */
export interface HealthMark {
  /** The upstream's id. */
  readonly upstream: string
  /** Kong's target name: the host of `target`, an IPv6 literal in brackets. */
  readonly hostname: string
  readonly port: number
  /** The address (IPv6 without brackets), or null for every address of the target. */
  readonly ip: string | null
  readonly healthy: boolean
}

/** What a balancer asks of the marks. */
export interface HealthLookup {
  /** The marked health of an address of a target, or undefined when nothing marks it. */
  healthOf(upstream: string, hostname: string, ip: string, port: number): boolean | undefined
}

/** An IP in one spelling, so `0:0:0:0:0:0:0:1`, `[::1]` and `::1` name the same address. */
export function canonicalIp(ip: string): string {
  const bare = ip.replace(/^\[(.*)\]$/, '$1')
  if (isIP(bare) !== 6) return bare
  return new URL(`http://[${bare}]/`).hostname.slice(1, -1)
}

/** The node's (or a worker's copy of the) marks. */
export class HealthMarks implements HealthLookup {
  /** By upstream id, then by `hostname port` (a whole target) or `hostname port ip` (one address). */
  readonly #byUpstream = new Map<string, Map<string, HealthMark>>()

  constructor(marks: readonly HealthMark[] = []) {
    this.replace(marks)
  }

  /**
   * Records a mark. A mark of a whole target replaces the marks of its addresses, as Kong sets
   * every address the target has; an address mark then overrides it for that address.
   */
  set(mark: HealthMark): void {
    let marks = this.#byUpstream.get(mark.upstream)
    if (!marks) this.#byUpstream.set(mark.upstream, (marks = new Map<string, HealthMark>()))
    const target = `${mark.hostname} ${mark.port}`
    if (mark.ip === null) {
      for (const key of [...marks.keys()]) if (key.startsWith(`${target} `)) marks.delete(key)
      marks.set(target, mark)
    } else {
      const ip = canonicalIp(mark.ip)
      marks.set(`${target} ${ip}`, { ...mark, ip })
    }
  }

  /** Every mark, for a message to the workers. */
  list(): HealthMark[] {
    return [...this.#byUpstream.values()].flatMap((marks) => [...marks.values()])
  }

  /** Takes a whole list in place of the marks held. */
  replace(marks: readonly HealthMark[]): void {
    this.#byUpstream.clear()
    for (const mark of marks) this.set(mark)
  }

  /**
   * Keeps the marks of a new config's targets: an upstream that is gone or has no healthchecker
   * any more loses its marks, and so does a target no longer in its upstream. Returns whether
   * anything was dropped.
   */
  retain(snapshot: Snapshot): boolean {
    const kept = new Map<string, Set<string>>()
    for (const upstream of snapshot.entities.upstreams ?? []) if (usesHealthchecks(upstream)) kept.set(upstream.id, new Set())
    for (const target of snapshot.entities.targets ?? []) {
      const { hostname, port } = splitFormattedTarget(target.target)
      kept.get(target.upstream.id)?.add(`${hostname} ${port}`)
    }
    let dropped = false
    for (const [id, marks] of this.#byUpstream) {
      const targets = kept.get(id)
      for (const [key, mark] of marks) {
        if (targets?.has(`${mark.hostname} ${mark.port}`)) continue
        marks.delete(key)
        dropped = true
      }
      if (marks.size === 0) this.#byUpstream.delete(id)
    }
    return dropped
  }

  healthOf(upstream: string, hostname: string, ip: string, port: number): boolean | undefined {
    const marks = this.#byUpstream.get(upstream)
    if (!marks) return undefined
    const target = `${hostname} ${port}`
    return (marks.get(`${target} ${canonicalIp(ip)}`) ?? marks.get(target))?.healthy
  }
}

/** Weights of a target or a balancer, as Kong reports them. */
export interface WeightStatus {
  readonly total: number
  readonly unavailable: number
  readonly available: number
}

/** One target as Kong's `balancer:getTargetStatus` reports it. */
export interface TargetStatus {
  readonly host: string
  readonly port: number
  /** The record type the addresses came from (`A`, `AAAA`), the DNS error, or `unknown` before the first answer. */
  readonly dns: string
  readonly nodeWeight: number
  readonly weight: WeightStatus
  readonly addresses: readonly { readonly ip: string; readonly port: number; readonly weight: number; readonly healthy: boolean }[]
}

/** A balancer as Kong's `balancer:getStatus` reports it. */
export interface BalancerStatus {
  readonly healthy: boolean
  readonly weight: WeightStatus
  readonly hosts: readonly TargetStatus[]
}
