/**
 * The shared memory zones Kong's nginx template always declares: plugin settings that name a
 * zone (proxy-cache's dictionary, acme's shm storage) must name one of these to be accepted.
 */
export const KONG_SHARED_DICTS: ReadonlySet<string> = new Set([
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
])
