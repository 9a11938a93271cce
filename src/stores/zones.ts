/**
 * What `/status` reports as `lua_shared_dicts`: Kong's zones, in Kong's order, each with its
 * capacity and the bytes in it. The runtime stores are real bounded dicts (`shared-dict.ts`).
 * The entity caches are the snapshot itself: Kong keeps entities in LMDB and caches hot ones in
 * `kong_core_db_cache` and `kong_db_cache`; a worker here holds the whole snapshot, indexed, in
 * its runtime, so those zones are sized as the serialized bytes of the snapshot's entities,
 * against `mem_cache_size`.
 */
import type { SharedDict } from './shared-dict.js'

/** Kong's HTTP zones, in the order Kong lists them. */
export const ZONES = [
  'kong',
  'kong_locks',
  'kong_healthchecks',
  'kong_cluster_events',
  'kong_rate_limiting_counters',
  'kong_core_db_cache',
  'kong_core_db_cache_miss',
  'kong_db_cache',
  'kong_db_cache_miss',
  'kong_secrets',
  'prometheus_metrics',
] as const

/** Collections Kong caches in `kong_core_db_cache`; the rest (consumers, credentials) go to `kong_db_cache`. */
const CORE: ReadonlySet<string> = new Set(['services', 'routes', 'upstreams', 'targets', 'certificates', 'snis', 'ca_certificates', 'plugins'])

/** Bytes a zone uses before holding anything, as nginx counts its first slab page. */
export const ZONE_BASE_BYTES = 4 * 4096

/** A zone's capacity and the bytes in it. */
export interface ZoneSize {
  readonly capacity: number
  readonly allocated: number
}

/** Every zone's size: dicts as they are, entity caches from the live config's collection sizes. */
export function zoneSizes(
  dicts: ReadonlyMap<string, SharedDict>,
  entityBytes: Readonly<Record<string, number>>,
  memCacheSize: number,
): [string, ZoneSize][] {
  let core = ZONE_BASE_BYTES
  let rest = ZONE_BASE_BYTES
  for (const [collection, n] of Object.entries(entityBytes)) {
    if (CORE.has(collection)) core += n
    else rest += n
  }
  const out: [string, ZoneSize][] = []
  for (const name of ZONES) {
    if (name === 'kong_core_db_cache') out.push([name, { capacity: memCacheSize, allocated: core }])
    else if (name === 'kong_db_cache') out.push([name, { capacity: memCacheSize, allocated: rest }])
    else {
      const dict = dicts.get(name)
      if (dict) out.push([name, { capacity: dict.capacity, allocated: dict.allocated }])
    }
  }
  return out
}
