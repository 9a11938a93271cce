/**
 * What the balancer hands the forwarder: a peer to connect to, or the failure Kong answers with,
 * and the per-service source both come from.
 */
import { isIP } from 'node:net'
import type { Target } from '../declarative/schema/entities/index.js'

/** One address to connect to. Built when targets or DNS answers change, never per request. */
export interface Peer {
  /** An IPv4 or IPv6 literal, IPv6 without brackets (what a socket connects to). */
  readonly ip: string
  readonly port: number
  /** `ip:port` with IPv6 in brackets: the authority of an origin URL, or a connection pool key. */
  readonly hostPort: string
  /**
   * Kong's balancer hostname: the target's (or service's) host name, or the IP (IPv6 in brackets)
   * when that host is an IP. It is the Host header unless the upstream sets `host_header`
   * ({@link PeerSource.hostHeader}) or the route preserves the client's host.
   */
  readonly hostname: string
  /** The target the address came from; undefined when the service's own host is the peer. */
  readonly target: Target | undefined
}

/** An address of a balancer: a peer with the weight and state the algorithms read. */
export class Address implements Peer {
  readonly hostPort: string
  /**
   * Whether the algorithms may pick it. Always true until health checks come; Kong's
   * round-robin walks past unavailable entries of its wheel, and ours does too.
   */
  available = true

  constructor(
    readonly ip: string,
    readonly port: number,
    readonly hostname: string,
    /** The weight of its target (every address of a hostname target takes the full weight). */
    readonly weight: number,
    readonly target: Target | undefined,
  ) {
    this.hostPort = `${bracketIPv6(ip)}:${port}`
  }
}

/** `[::1]` for an IPv6 literal, anything else as it is. */
export function bracketIPv6(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host
}

/**
 * A failure to get a peer, with the status and message Kong answers on a request's first try.
 * Returned, never thrown; the instances are built once, so a failing pick allocates nothing.
 * On a retry Kong answers these statuses from its error page instead ("The upstream server is
 * currently unavailable"); that choice is the forwarder's.
 */
export class BalancerError {
  constructor(
    readonly status: 500 | 503,
    readonly message: string,
    /** The DNS error behind it, for the log, when there is one. */
    readonly reason?: string,
  ) {
    Object.freeze(this)
  }
}

/** No target, every weight 0, or every address unavailable (Kong: "No peers are available"). */
export const NO_PEER = new BalancerError(503, 'failure to get a peer from the ring-balancer')

/** The service host does not exist in DNS, or has no A/AAAA record. */
export function nameResolutionFailed(reason: string): BalancerError {
  return new BalancerError(503, 'name resolution failed', reason)
}

/** Resolving the service host failed otherwise (server failure, timeout, refused). */
export function resolveFailed(host: string, reason: string): BalancerError {
  return new BalancerError(500, `failed the initial dns/balancer resolve for '${host}' with: ${reason}`, reason)
}

/**
 * Where a service's requests go: an upstream's targets, or the service's own host. One per
 * service per snapshot. A request calls `ready()` once, awaits it when it returns a promise,
 * then `pick(0)`; each retry (Kong: on a connection error or timeout, up to `retries` of them)
 * calls `pick(triesSoFar)` without waiting for anything.
 */
export interface PeerSource {
  /** The service's `retries`: a request makes at most `retries + 1` tries. */
  readonly retries: number
  /** The upstream's `host_header` when the service balances over an upstream that sets one, else null. */
  readonly hostHeader: string | null
  /** The upstream's name when the service balances over an upstream, else null. */
  readonly upstream: string | null
  /**
   * Starts refreshing names whose DNS answers expired (in the background: stale answers keep
   * being served), and returns a promise only when there is nothing to serve until a query
   * completes: a name's first resolution, and for a service host also a failure that expired or
   * an answer past its stale limit. Allocates nothing when there is no wait.
   */
  ready(): Promise<void> | undefined
  /**
   * The peer for this try, `previousTries` being how many tries the request already made (0 for
   * the first). Never waits, never allocates.
   */
  pick(previousTries: number): Peer | BalancerError
}
