/**
 * Bounded key-value stores standing in for Kong's `lua_shared_dict`s: a capacity in bytes, least
 * recently used entries evicted past it, per-entry time-to-live, and atomic increments. One copy
 * lives in the primary; workers reach it through `remote-dict.ts`, so every worker sees the same
 * counts, as nginx workers share a zone.
 */
import { LRUCache } from 'lru-cache'
import { ZONE_BASE_BYTES as BASE_BYTES } from './zones.js'

/** What a dict holds per key. */
export type DictValue = string | number | boolean

/** Per-entry bookkeeping, on top of key and value bytes. */
const ENTRY_BYTES = 64

function entrySize(key: string, value: DictValue): number {
  return ENTRY_BYTES + Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : 8)
}

/** One bounded store. */
export class SharedDict {
  readonly #cache: LRUCache<string, DictValue>

  constructor(
    readonly name: string,
    /** Capacity in bytes, as `lua_shared_dict` sizes it. */
    readonly capacity: number,
    /** The clock time-to-live is measured with, in milliseconds; injected by tests. */
    clock?: { now(): number },
  ) {
    this.#cache = new LRUCache<string, DictValue>({
      maxSize: Math.max(1, capacity - BASE_BYTES),
      sizeCalculation: (value, key) => entrySize(key, value),
      ...(clock ? { perf: clock, ttlResolution: 0 } : {}),
    })
  }

  /** The value under `key`, if present and not expired. */
  get(key: string): DictValue | undefined {
    return this.#cache.get(key)
  }

  /** Stores a value, evicting least recently used entries to make room; false when it cannot fit at all. */
  set(key: string, value: DictValue, ttlMs?: number): boolean {
    if (entrySize(key, value) > this.capacity - BASE_BYTES) return false
    this.#cache.set(key, value, ttlMs === undefined ? {} : { ttl: ttlMs })
    return this.#cache.has(key)
  }

  /**
   * Adds `by` to the number under `key` and returns the result; an absent key starts at `init`
   * with `initTtlMs` (ngx.shared.DICT:incr's init and init_ttl). Exact: one process owns the dict.
   */
  incr(key: string, by: number, init = 0, initTtlMs?: number): number {
    const current = this.#cache.get(key)
    if (current === undefined) {
      const value = init + by
      this.set(key, value, initTtlMs)
      return value
    }
    if (typeof current !== 'number') throw new TypeError(`${this.name}: '${key}' does not hold a number`)
    const value = current + by
    // Keeps the remaining time to live of the key.
    const remaining = this.#cache.getRemainingTTL(key)
    this.#cache.set(key, value, Number.isFinite(remaining) && remaining > 0 ? { ttl: remaining } : {})
    return value
  }

  /** Removes a key. */
  delete(key: string): void {
    this.#cache.delete(key)
  }

  /** Drops every entry. */
  clear(): void {
    this.#cache.clear()
  }

  /** Entries held. */
  get size(): number {
    return this.#cache.size
  }

  /** Bytes in use (capacity minus free space, as nginx reports it): never 0. */
  get allocated(): number {
    return BASE_BYTES + this.#cache.calculatedSize
  }
}

const MiB = 1024 * 1024

/** Kong's default HTTP shared dicts that hold runtime state (the entity caches are reported from the snapshot). */
export function createSharedDicts(): ReadonlyMap<string, SharedDict> {
  const sizes: [string, number][] = [
    ['kong', 5 * MiB],
    ['kong_locks', 8 * MiB],
    ['kong_healthchecks', 5 * MiB],
    ['kong_cluster_events', 5 * MiB],
    ['kong_rate_limiting_counters', 12 * MiB],
    ['kong_core_db_cache_miss', 12 * MiB],
    ['kong_db_cache_miss', 12 * MiB],
    ['kong_secrets', 5 * MiB],
    ['prometheus_metrics', 5 * MiB],
  ]
  return new Map(sizes.map(([name, size]) => [name, new SharedDict(name, size)]))
}
