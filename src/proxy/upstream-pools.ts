/**
 * Keep-alive connection pools to upstream addresses, one undici Pool per Kong pool key: the
 * address for http, and the address with every TLS parameter for https, so that connections
 * made with one certificate or verification setting are never reused for another. Pools outlive
 * runtimes: a swap keeps the pools the new config still uses and closes the others once their
 * requests are done.
 */
import { Pool } from 'undici'
import { upstreamTlsOptions } from './upstream-tls.js'

/** Kong's `upstream_keepalive_*` settings. */
export interface KeepaliveSettings {
  /** Idle connections kept per pool (0 disables keep-alive). */
  readonly poolSize: number
  /** Requests sent over one connection before it is closed (0 = no limit). */
  readonly maxRequests: number
  /** How long an idle connection is kept, in ms (0 = as long as the upstream allows). */
  readonly idleTimeoutMs: number
}

/** TLS parameters of an https upstream, part of its pool key. */
export interface UpstreamTls {
  readonly servername: string | undefined
  readonly verify: boolean
  readonly verifyDepth: number | undefined
  /** PEM bundle of the service's `ca_certificates`, or undefined for the system store. */
  readonly ca: string | undefined
  readonly caIds: string
  readonly clientCert: { readonly id: string; readonly cert: string; readonly key: string } | undefined
}

/** Where a try connects: scheme, address, port, connect timeout and, for https, TLS. */
export interface UpstreamAddress {
  readonly scheme: 'http' | 'https'
  readonly ip: string
  readonly port: number
  readonly connectTimeoutMs: number
  readonly tls?: UpstreamTls
}

/** The pool key of an address, as Kong composes it (plus the connect timeout, a pool option here). */
export function poolKey(a: UpstreamAddress): string {
  const base = `${a.ip}|${a.port}|${a.connectTimeoutMs}`
  if (a.scheme === 'http' || !a.tls) return base
  const t = a.tls
  return `${base}|${t.servername ?? ''}|${t.verify ? 1 : 0}|${t.verifyDepth ?? ''}|${t.caIds}|${t.clientCert?.id ?? ''}`
}

/** `ip:port` of an address, an IPv6 address in brackets: a URL's authority. */
export function authorityOf(a: UpstreamAddress): string {
  return `${a.ip.includes(':') ? `[${a.ip}]` : a.ip}:${a.port}`
}

/** `scheme://ip:port` of an address. */
export function originOf(a: UpstreamAddress): string {
  return `${a.scheme}://${authorityOf(a)}`
}

interface Entry {
  readonly pool: Pool
  /** The sweep period it was last used in. */
  usedIn: number
}

/** The pools of one worker. */
export class UpstreamPools {
  readonly #pools = new Map<string, Entry>()
  #period = 0

  constructor(private readonly keepalive: KeepaliveSettings) {}

  /** The pool for an address, created on first use. */
  get(address: UpstreamAddress, key: string = poolKey(address)): Pool {
    let entry = this.#pools.get(key)
    if (entry === undefined) {
      entry = { pool: this.#create(address), usedIn: this.#period }
      this.#pools.set(key, entry)
    } else {
      entry.usedIn = this.#period
    }
    return entry.pool
  }

  /** How many pools are open. */
  get size(): number {
    return this.#pools.size
  }

  /**
   * Closes the pools no request used since the previous sweep: those of upstreams a new config
   * dropped, and any other that sat idle that long (its connections would have timed out).
   * Requests still queued on a closing pool finish first.
   */
  sweep(): Promise<void> {
    const period = this.#period++
    return this.retain((_key, usedIn) => usedIn > period - 1)
  }

  /** Closes, once their requests are done, the pools whose key `keep` rejects. */
  retain(keep: (key: string, usedIn: number) => boolean): Promise<void> {
    const closing: Promise<void>[] = []
    for (const [key, entry] of this.#pools) {
      if (keep(key, entry.usedIn)) continue
      this.#pools.delete(key)
      closing.push(entry.pool.close())
    }
    return Promise.all(closing).then(() => undefined)
  }

  /** Closes every pool once its requests are done. */
  close(): Promise<void> {
    return this.retain(() => false)
  }

  #create(a: UpstreamAddress): Pool {
    const { poolSize, maxRequests, idleTimeoutMs } = this.keepalive
    const tls = a.scheme === 'https' ? a.tls : undefined
    return new Pool(originOf(a), {
      // undici caps connections per pool rather than idle ones; no cap, as nginx has none.
      connections: null,
      pipelining: poolSize === 0 ? 0 : 1,
      ...(maxRequests > 0 ? { maxRequestsPerClient: maxRequests } : {}),
      ...(idleTimeoutMs > 0 ? { keepAliveTimeout: idleTimeoutMs, keepAliveMaxTimeout: idleTimeoutMs } : {}),
      connect: {
        timeout: a.connectTimeoutMs,
        ...(tls ? upstreamTlsOptions(tls) : {}),
      },
    })
  }
}
