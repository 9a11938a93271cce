/**
 * A DNS cache with Kong's semantics: hosts-file names and IP literals answered without a query,
 * A then AAAA records cached for their TTL, expired answers served while a background refresh
 * runs (and kept when it fails), name errors and empty answers cached as failures. One cache per
 * process, shared by every snapshot's balancers, so a new config resolves nothing twice.
 */
import type { RecordWithTtl } from 'node:dns'
import { Resolver } from 'node:dns/promises'
import { EventEmitter } from 'node:events'
import { isIP } from 'node:net'
import { parseHosts, readHostsFile, type HostsTable } from './hosts-file.js'

/** What the cache asks of a resolver; a `dns.promises.Resolver` fits, with the servers its owner set. */
export interface AddressResolver {
  resolve4(hostname: string, options: { ttl: true }): Promise<RecordWithTtl[]>
  resolve6(hostname: string, options: { ttl: true }): Promise<RecordWithTtl[]>
}

/** Why a name has no address: Kong's three cases, with Kong's error text. */
export interface DnsFailure {
  /** `name-error`: the name does not exist; `empty`: it has no A/AAAA record; `error`: anything else. */
  readonly kind: 'name-error' | 'empty' | 'error'
  /** As Kong's resolver words it, e.g. `dns server error: 3 name error`. */
  readonly message: string
}

/** What the cache knows of one name. Read-only outside the cache; replaced fields, never mutated arrays. */
export interface DnsAnswer {
  /** Lower case, as queried. */
  readonly name: string
  /** The addresses of the last good answer (IPv6 without brackets), sorted; empty when there are none. */
  readonly addresses: readonly string[]
  /** Why `addresses` is empty, once a lookup failed and no earlier answer could stand in. */
  readonly failure: DnsFailure | undefined
  /** The failure of the last refresh, kept while the previous addresses are served stale. */
  readonly lastError: DnsFailure | undefined
  /** When the answer expires, on the cache's clock (ms); the first use after it starts a refresh. */
  readonly expiresAt: number
  /** Until when `addresses` may be served while a refresh is pending or failing (ms). */
  readonly staleUntil: number
  /** Changes whenever `addresses` or `failure` change. */
  readonly version: number
}

/** Options of a {@link DnsCache}; the defaults are Kong's. */
export interface DnsCacheOptions {
  /** Default: a `dns.promises.Resolver` on the system's name servers. */
  readonly resolver?: AddressResolver
  /** Names answered without DNS. Default: only `localhost`; {@link createDnsCache} reads /etc/hosts. */
  readonly hosts?: HostsTable
  /** The clock, in milliseconds; default `performance.now` (monotonic). */
  readonly now?: () => number
  /** Seconds an expired answer is still served while it is refreshed, or while refreshes fail (Kong's `dns_stale_ttl`): 3600. */
  readonly staleTtl?: number
  /** Seconds a name error or an empty answer is kept before the name is asked again (Kong's `dns_not_found_ttl`): 30. */
  readonly notFoundTtl?: number
  /** Seconds another failure is kept, and between refresh attempts while a stale answer is served (Kong's `dns_error_ttl`): 1. */
  readonly errorTtl?: number
}

/** Events of a {@link DnsCache}. Listeners must not throw. */
export interface DnsCacheEvents {
  /** A query finished, well or not; the answer holds its outcome (`lastError` for a failed refresh). */
  resolved: [answer: DnsAnswer]
}

class Entry implements DnsAnswer {
  addresses: readonly string[] = NONE
  failure: DnsFailure | undefined = undefined
  lastError: DnsFailure | undefined = undefined
  expiresAt = -Infinity
  staleUntil = -Infinity
  version = 0
  pending: Promise<void> | undefined = undefined
  constructor(readonly name: string) {}
}

const NONE: readonly string[] = Object.freeze([])
const TTL = { ttl: true } as const
const EMPTY: DnsFailure = Object.freeze({ kind: 'empty', message: 'dns client error: 101 empty record received' })
const NAME_ERROR: DnsFailure = Object.freeze({ kind: 'name-error', message: 'dns server error: 3 name error' })
/** c-ares codes for DNS response codes, worded as Kong's resolver words them. */
const SERVER_ERRORS: Readonly<Record<string, string>> = {
  EFORMERR: 'dns server error: 1 format error',
  ESERVFAIL: 'dns server error: 2 server failure',
  ENOTIMP: 'dns server error: 4 not implemented',
  EREFUSED: 'dns server error: 5 refused',
}

/** Caches A/AAAA answers per name; see the module comment for the rules. */
export class DnsCache extends EventEmitter<DnsCacheEvents> {
  readonly #entries = new Map<string, Entry>()
  readonly #resolver: AddressResolver
  readonly #hosts: HostsTable
  readonly #now: () => number
  readonly #staleMs: number
  readonly #notFoundMs: number
  readonly #errorMs: number
  #version = 0

  constructor(options: DnsCacheOptions = {}) {
    super()
    this.#resolver = options.resolver ?? new Resolver()
    this.#hosts = options.hosts ?? parseHosts('')
    this.#now = options.now ?? (() => performance.now())
    this.#staleMs = (options.staleTtl ?? 3600) * 1000
    this.#notFoundMs = (options.notFoundTtl ?? 30) * 1000
    this.#errorMs = (options.errorTtl ?? 1) * 1000
  }

  /** The cache's clock, in milliseconds. */
  now(): number {
    return this.#now()
  }

  /** Changes whenever any answer's addresses or failure change: one number for a balancer to watch. */
  get version(): number {
    return this.#version
  }

  /** The answer for a name (created empty, not queried, on first use); IP literals and hosts-file names are answered at once. */
  answer(name: string): DnsAnswer {
    const key = name.toLowerCase()
    let entry = this.#entries.get(key)
    if (entry) return entry
    entry = new Entry(key)
    const fixed = isIP(key) !== 0 ? key : this.#fromHosts(key)
    if (fixed !== undefined) {
      entry.addresses = Object.freeze([fixed])
      entry.expiresAt = entry.staleUntil = Infinity
    }
    this.#entries.set(key, entry)
    return entry
  }

  /**
   * Starts a refresh of an expired answer (one at a time per name), and returns a promise only
   * when there is nothing to serve until it completes: never queried yet, a failure that
   * expired, or addresses past their stale limit. `now` is the cache's clock, read by the caller.
   */
  check(answer: DnsAnswer, now: number): Promise<void> | undefined {
    if (now < answer.expiresAt) return undefined
    const entry = answer as Entry
    const pending = (entry.pending ??= this.#query(entry))
    return entry.addresses.length > 0 && now <= entry.staleUntil ? undefined : pending
  }

  /** Resolves a name, waiting only when there is nothing to serve yet. */
  async resolve(name: string): Promise<DnsAnswer> {
    const answer = this.answer(name)
    await this.check(answer, this.#now())
    return answer
  }

  #fromHosts(name: string): string | undefined {
    const hosts = this.#hosts.get(name)
    return hosts?.ipv4 ?? hosts?.ipv6
  }

  async #query(entry: Entry): Promise<void> {
    let result: RecordWithTtl[] | DnsFailure
    try {
      result = await this.#lookup(entry.name)
    } catch (err) {
      // A resolver that throws instead of rejecting must not leave the name pending forever.
      result = failureOf(err)
    }
    const now = this.#now()
    if (Array.isArray(result)) this.#take(entry, result, now)
    else this.#fail(entry, result, now)
    entry.pending = undefined
    this.emit('resolved', entry)
  }

  /** A records, else AAAA records, else why not. Never throws. */
  async #lookup(name: string): Promise<RecordWithTtl[] | DnsFailure> {
    const v4 = await settle(this.#resolver.resolve4(name, TTL))
    if (Array.isArray(v4) ? v4.length > 0 : v4 !== EMPTY) return v4
    const v6 = await settle(this.#resolver.resolve6(name, TTL))
    return Array.isArray(v6) && v6.length === 0 ? EMPTY : v6
  }

  #take(entry: Entry, records: readonly RecordWithTtl[], now: number): void {
    let ttl = Infinity
    for (const r of records) ttl = Math.min(ttl, r.ttl)
    const addresses = records.map((r) => r.address).sort()
    if (entry.failure !== undefined || !sameList(entry.addresses, addresses)) {
      entry.addresses = Object.freeze(addresses)
      entry.failure = undefined
      this.#changed(entry)
    }
    entry.lastError = undefined
    entry.expiresAt = now + ttl * 1000
    entry.staleUntil = entry.expiresAt + this.#staleMs
  }

  #fail(entry: Entry, failure: DnsFailure, now: number): void {
    entry.lastError = failure
    // Kong's resolver keeps a stale answer over an empty one or an error, but a name error
    // replaces it: the name is gone, not the server.
    if (failure.kind !== 'name-error' && entry.addresses.length > 0 && now <= entry.staleUntil) {
      entry.expiresAt = now + this.#errorMs
      return
    }
    const changed = entry.addresses.length > 0 || entry.failure?.message !== failure.message
    entry.addresses = NONE
    entry.failure = failure
    entry.expiresAt = entry.staleUntil = now + (failure.kind === 'error' ? this.#errorMs : this.#notFoundMs)
    if (changed) this.#changed(entry)
  }

  #changed(entry: Entry): void {
    entry.version++
    this.#version++
  }
}

/** A cache whose hosts table is read from a hosts file (default /etc/hosts), as Kong reads it once at start. */
export async function createDnsCache(options: DnsCacheOptions & { readonly hostsFile?: string } = {}): Promise<DnsCache> {
  return new DnsCache({ ...options, hosts: options.hosts ?? (await readHostsFile(options.hostsFile)) })
}

/** The records, or the failure a rejected query stands for. */
async function settle(query: Promise<RecordWithTtl[]>): Promise<RecordWithTtl[] | DnsFailure> {
  try {
    return await query
  } catch (err) {
    return failureOf(err)
  }
}

function failureOf(err: unknown): DnsFailure {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? ''
  if (code === 'ENOTFOUND') return NAME_ERROR
  if (code === 'ENODATA') return EMPTY
  const server = SERVER_ERRORS[code]
  if (server !== undefined) return { kind: 'error', message: server }
  return { kind: 'error', message: `dns client error: ${code || String(err)}` }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
