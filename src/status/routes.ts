/**
 * `GET /status` (served by the admin and status listeners alike), and the status listener's
 * `/status/ready` (readiness and drain) and `/status/config` (what is loaded, and what was
 * last refused).
 */
import type { Router } from '@koa/router'
import { EMPTY_CONFIG_HASH } from '../declarative/hash.js'
import { countEntities, type LoadTimings } from '../declarative/snapshot.js'
import { sumStats } from '../server/connection-counters.js'
import { HttpError, readBody } from '../server/kong-http.js'
import type { NodeState } from '../server/node-state.js'
import { checkUnit, formatBytes } from './memory-units.js'

/** GET /status: memory, connection counters, database reachability, configuration hash. */
export function addStatusRoute(router: Router, state: NodeState): void {
  router.get('/status', async (ctx) => {
    const unit = typeof ctx.query.unit === 'string' ? ctx.query.unit : 'm'
    const scaleNum = typeof ctx.query.scale === 'string' ? Number(ctx.query.scale) : NaN
    const scale = Number.isFinite(scaleNum) && ctx.query.scale !== '' ? scaleNum : 2
    const problem = checkUnit(unit, scale)
    if (problem) throw new HttpError(400, { message: problem })
    const fmt = (bytes: number): number | string => formatBytes(bytes, unit, Math.floor(scale))

    const workers = await state.pool.stats()
    const kong = state.dicts.get('kong')
    const vms = workers
      .map((w) => {
        if ('error' in w) return { pid: w.pid, err: `could not get worker's HTTP Lua VM memory (pid: ${w.pid}): ${w.error}` }
        kong?.set(`kong:mem:${w.pid}`, String(w.heapUsed / 1024))
        return { pid: w.pid, http_allocated_gc: fmt(w.heapUsed) }
      })
      .sort((a, b) => a.pid - b.pid)
    const dicts: Record<string, { capacity: number | string; allocated_slabs: number | string }> = {}
    for (const [name, dict] of state.dicts) dicts[name] = { capacity: fmt(dict.capacity), allocated_slabs: fmt(dict.allocated) }
    const total = sumStats([state.counters.snapshot(), ...workers.flatMap((w) => ('error' in w ? [] : [w.connections]))])
    ctx.body = {
      memory: { workers_lua_vms: vms, lua_shared_dicts: dicts },
      server: {
        connections_accepted: total.accepted,
        connections_active: total.active,
        connections_handled: total.handled,
        connections_reading: total.reading,
        connections_writing: total.writing,
        connections_waiting: total.waiting,
        total_requests: total.requests,
      },
      database: { reachable: true },
      configuration_hash: state.store.live?.snapshot.hash ?? EMPTY_CONFIG_HASH,
    }
  })
}

/** Why the node is not ready, or undefined when it is. */
export function notReadyReason(state: NodeState): string | undefined {
  if (state.draining) return 'draining'
  const live = state.store.live
  if (!live) {
    const rejected = state.store.rejected
    if (rejected) return `no configuration available (the last configuration from ${rejected.source} was rejected with ${rejected.errors.length} error(s); see /status/config)`
    return 'no configuration available (configuration hash is not initialized)'
  }
  const { ready, total } = state.pool.applied(live.version)
  if (ready < total) return `router builds not yet complete, router ready in ${ready} of ${total} workers`
  return undefined
}

/** The status listener's readiness, drain and config routes. */
export function addReadyRoutes(router: Router, state: NodeState): void {
  router.get('/status/ready', (ctx) => {
    const reason = notReadyReason(state)
    ctx.status = reason === undefined ? 200 : 503
    ctx.body = { message: reason ?? 'ready' }
  })
  router.post('/status/ready', async (ctx) => {
    const raw = (await readBody(ctx, 1024 * 1024)).toString('utf8')
    const type = ctx.get('Content-Type')
    let status: unknown
    try {
      status = type.startsWith('application/json') ? (JSON.parse(raw) as { status?: unknown }).status : new URLSearchParams(raw).get('status')
    } catch {
      status = undefined
    }
    if (status !== 'draining') throw new HttpError(400)
    state.draining = true
    state.log.notice('node is draining: /status/ready answers 503 from now on')
    ctx.status = 204
  })
  router.get('/status/config', (ctx) => {
    const live = state.store.live
    const rejected = state.store.rejected
    ctx.body = {
      configuration_hash: live?.snapshot.hash ?? EMPTY_CONFIG_HASH,
      loaded_at: live ? new Date(live.snapshot.loadedAt).toISOString() : null,
      source: live?.snapshot.source ?? null,
      hashes: live ? { ...live.snapshot.hashes } : null,
      load_ms: live ? loadMs(live.snapshot.timings) : null,
      entities: live ? countEntities(live.snapshot) : {},
      workers: live ? state.pool.applied(live.version) : { ready: 0, total: state.conf.nginx_worker_processes },
      last_rejected: rejected
        ? { at: new Date(rejected.at).toISOString(), source: rejected.source, message: rejected.message, errors: rejected.errors }
        : null,
    }
  })
}

/** What loading the live config cost, by phase, in whole milliseconds. */
function loadMs(timings: LoadTimings): Record<keyof LoadTimings, number> {
  return {
    parse: Math.round(timings.parse),
    validate: Math.round(timings.validate),
    hash: Math.round(timings.hash),
    total: Math.round(timings.total),
  }
}
