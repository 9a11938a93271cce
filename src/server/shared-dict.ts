/**
 * Bounded key-value stores standing in for Kong's lua_shared_dicts: each has a capacity, evicts
 * least-recently-used entries past it, and measures the bytes it holds, which `/status`
 * reports as `allocated_slabs`.
 */

/** Bytes a store uses before holding anything (its index and first slab page). */
const BASE_BYTES = 4 * 4096
/** Per-entry bookkeeping, on top of key and value bytes. */
const ENTRY_BYTES = 64

export class SharedDict {
  readonly #entries = new Map<string, string>()
  #used = BASE_BYTES

  constructor(
    readonly name: string,
    /** Capacity in bytes. */
    readonly capacity: number,
  ) {}

  static #size(key: string, value: string): number {
    return Buffer.byteLength(key) + Buffer.byteLength(value) + ENTRY_BYTES
  }

  /** Stores a value, evicting the least recently used entries if it would not fit. */
  set(key: string, value: string): boolean {
    this.delete(key)
    const size = SharedDict.#size(key, value)
    if (size + BASE_BYTES > this.capacity) return false
    while (this.#used + size > this.capacity) {
      const oldest = this.#entries.keys().next().value as string
      this.delete(oldest)
    }
    this.#entries.set(key, value)
    this.#used += size
    return true
  }

  /** Reads a value and marks it recently used. */
  get(key: string): string | undefined {
    const value = this.#entries.get(key)
    if (value !== undefined) {
      this.#entries.delete(key)
      this.#entries.set(key, value)
    }
    return value
  }

  delete(key: string): void {
    const value = this.#entries.get(key)
    if (value === undefined) return
    this.#entries.delete(key)
    this.#used -= SharedDict.#size(key, value)
  }

  /** Drops every entry. */
  clear(): void {
    this.#entries.clear()
    this.#used = BASE_BYTES
  }

  get size(): number {
    return this.#entries.size
  }

  /** Bytes in use (capacity minus free space, as nginx reports it). */
  get allocated(): number {
    return this.#used
  }
}

const MiB = 1024 * 1024

/** Kong's default HTTP shared dicts, with `mem_cache_size` for the two entity caches. */
export function createSharedDicts(memCacheSize: number): ReadonlyMap<string, SharedDict> {
  const sizes: [string, number][] = [
    ['kong', 5 * MiB],
    ['kong_locks', 8 * MiB],
    ['kong_healthchecks', 5 * MiB],
    ['kong_cluster_events', 5 * MiB],
    ['kong_rate_limiting_counters', 12 * MiB],
    ['kong_core_db_cache', memCacheSize],
    ['kong_core_db_cache_miss', 12 * MiB],
    ['kong_db_cache', memCacheSize],
    ['kong_db_cache_miss', 12 * MiB],
    ['kong_secrets', 5 * MiB],
    ['prometheus_metrics', 5 * MiB],
  ]
  return new Map(sizes.map(([name, size]) => [name, new SharedDict(name, size)]))
}
