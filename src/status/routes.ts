/**
 * `GET /status` (served by the admin and status listeners alike), and the status listener's
 * `/status/ready` (readiness and drain) and `/status/config` (what is loaded, and what was
 * last refused).
 */
import type { Router } from '@koa/router'
import { EMPTY_CONFIG_HASH } from '../declarative/hash.js'
import { countEntities, type LoadTimings } from '../declarative/snapshot.js'
import { HttpError } from '../http/app.js'
import { readBody } from '../http/body.js'
import { sumStats } from '../http/connection-counters.js'
import type { ControlPlaneLink, NodeState } from '../node/state.js'
import { zoneSizes } from '../stores/zones.js'
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

    const workers = await state.workers.stats()
    const vms = workers
      .map((w) =>
        'error' in w
          ? { pid: w.pid, err: `could not get worker's HTTP Lua VM memory (pid: ${w.pid}): ${w.error}` }
          : { pid: w.pid, http_allocated_gc: fmt(w.heapUsed) },
      )
      .sort((a, b) => a.pid - b.pid)
    const dicts: Record<string, { capacity: number | string; allocated_slabs: number | string }> = {}
    for (const [name, zone] of zoneSizes(state.dicts, state.config.live?.bytes ?? {}, state.conf.mem_cache_size)) dicts[name] = { capacity: fmt(zone.capacity), allocated_slabs: fmt(zone.allocated) }
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
      configuration_hash: state.config.live?.snapshot.hash ?? EMPTY_CONFIG_HASH,
    }
  })
}

/** Why the node is not ready, or undefined when it is. */
export function notReadyReason(state: NodeState): string | undefined {
  if (state.draining) return 'draining'
  // Kong's control plane is ready as soon as it runs: it serves data planes, not traffic.
  if (state.conf.role === 'control_plane') return undefined
  const live = state.config.live
  if (!live) {
    const { problem, rejected } = state.config
    if (problem) return `no configuration available (${problem}; see /status/config)`
    if (rejected) return `no configuration available (the last configuration from ${rejected.source} was rejected with ${rejected.errorsTotal} error(s); see /status/config)`
    const link = state.dataPlane?.()
    if (link) return `no configuration available (configuration hash is not initialized; ${link.connected ? `connected to the control plane at ${link.control_plane}, waiting for its configuration` : `not connected to the control plane at ${link.control_plane}${link.last_error ? `: ${link.last_error.message}` : ''}`})`
    return 'no configuration available (configuration hash is not initialized)'
  }
  const { ready, total } = state.workers.applied(live.version)
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
    const { live, rejected, problem } = state.config
    ctx.body = {
      configuration_hash: live?.snapshot.hash ?? EMPTY_CONFIG_HASH,
      loaded_at: live ? new Date(live.snapshot.loadedAt).toISOString() : null,
      source: live?.snapshot.source ?? null,
      hashes: live ? { ...live.snapshot.hashes } : null,
      load_ms: live ? loadMs(live.snapshot.timings) : null,
      entities: live ? countEntities(live.snapshot) : {},
      workers: { ...(live ? state.workers.applied(live.version) : { ready: 0, total: state.conf.nginx_worker_processes }), processes: state.workers.configurations() },
      problem: problem ?? null,
      // What the live config holds that works but deserves a look (plugins not run, expired certificates).
      warnings: live ? live.snapshot.warnings : [],
      last_rejected: rejected
        ? { at: new Date(rejected.at).toISOString(), source: rejected.source, message: rejected.message, errors: rejected.errors, errors_total: rejected.errorsTotal }
        : null,
      // Hybrid mode: a data plane's link to its control plane; a control plane's data planes.
      ...(state.dataPlane ? { control_plane: linkView(state.dataPlane()) } : {}),
      ...(state.controlPlane ? { data_planes: state.controlPlane.dataPlanes() } : {}),
    }
  })
}

/** A data plane's link with its times as ISO text. */
function linkView(link: ControlPlaneLink): Record<string, unknown> {
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())
  return {
    url: link.control_plane,
    connected: link.connected,
    last_connected_at: iso(link.last_connected_at),
    last_push: link.last_push && { ...link.last_push, at: iso(link.last_push.at) },
    last_error: link.last_error && { ...link.last_error, at: iso(link.last_error.at) },
  }
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
