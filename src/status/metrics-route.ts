/**
 * `GET /metrics` (status and admin listeners, as Kong's prometheus plugin mounts it on both):
 * the node's metrics gathered at scrape time from the sources `/status` reads.
 */
import type { Router } from '@koa/router'
import { EMPTY_CONFIG_HASH } from '../declarative/hash.js'
import { sumStats } from '../http/connection-counters.js'
import type { NodeState } from '../node/state.js'
import { zoneSizes } from '../stores/zones.js'
import { KONG_COMPAT_VERSION } from '../version.js'
import { METRICS_CONTENT_TYPE, renderMetrics, type NodeMetrics } from './metrics.js'

/** What a scrape reports now: the workers are asked over IPC, so the proxy never waits on it. */
export async function gatherMetrics(state: NodeState): Promise<NodeMetrics> {
  const workers = await state.workers.stats()
  const answered = workers.flatMap((w) => ('error' in w ? [] : [w]))
  const live = state.config.live
  const plugins = live?.snapshot.entities.plugins ?? []
  return {
    nodeId: state.nodeId,
    version: KONG_COMPAT_VERSION,
    connections: sumStats([state.counters.snapshot(), ...answered.map((w) => w.connections)]),
    workers: answered.map((w) => ({ pid: w.pid, heapUsed: w.heapUsed })),
    zones: zoneSizes(state.dicts, live?.bytes ?? {}, state.conf.mem_cache_size),
    configHash: live?.snapshot.hash ?? EMPTY_CONFIG_HASH,
    pluginEnabled: plugins.some((p) => p.name === 'prometheus' && p.enabled !== false),
  }
}

/** Mounts `GET /metrics`. */
export function addMetricsRoute(router: Router, state: NodeState): void {
  router.get('/metrics', async (ctx) => {
    const text = await renderMetrics(await gatherMetrics(state))
    // Set before the body, so that Koa keeps it instead of its own text/plain.
    ctx.set('Content-Type', METRICS_CONTENT_TYPE)
    ctx.body = text
  })
}
