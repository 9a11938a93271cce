/**
 * `GET /metrics` (status and admin listeners, as Kong's prometheus plugin mounts it on both):
 * the node's metrics gathered at scrape time from the sources `/status` reads.
 */
import type { Router } from '@koa/router'
import { EMPTY_CONFIG_HASH } from '../declarative/hash.js'
import { usesHealthchecks, type Plugin } from '../declarative/schema/entities/index.js'
import { sumStats } from '../http/connection-counters.js'
import type { LiveConfig, NodeState } from '../node/state.js'
import { zoneSizes } from '../stores/zones.js'
import { KONG_COMPAT_VERSION } from '../version.js'
import { METRICS_CONTENT_TYPE, renderMetrics, type NodeMetrics, type UpstreamTargetHealth } from './metrics.js'
import { targetAddressHealth } from './target-health.js'

/**
 * How many upstreams' reports a scrape asks for at once: a node with many upstreams then sends
 * the answering worker a trickle of small requests rather than a burst it must answer before
 * its next proxied request.
 */
const HEALTH_REPORTS_IN_FLIGHT = 8

/** The enabled prometheus plugins of the live config (any scope counts, as in Kong). */
function prometheusPlugins(live: LiveConfig | undefined): Plugin[] {
  return (live?.snapshot.entities.plugins ?? []).filter((p) => p.name === 'prometheus' && p.enabled !== false)
}

/** Whether a prometheus plugin's config sets `upstream_health_metrics` (its schema made `config` a record). */
function exportsTargetHealth(plugin: Plugin): boolean {
  return (plugin.config as { readonly upstream_health_metrics?: unknown } | null)?.upstream_health_metrics === true
}

/**
 * Every target address of every upstream of the live config with its state, from the same
 * worker reports `/upstreams/{u}/health` reads. An upstream no worker reports on is left out,
 * and logged, as Kong logs a failed `get_upstream_health`.
 */
async function gatherTargetHealth(state: NodeState, live: LiveConfig): Promise<UpstreamTargetHealth[]> {
  const upstreams = live.snapshot.entities.upstreams ?? []
  const found: UpstreamTargetHealth[][] = []
  let next = 0
  const ask = async (): Promise<void> => {
    while (next < upstreams.length) {
      const i = next++
      const upstream = upstreams[i]
      const report = await state.workers.upstreamHealth(upstream.id)
      if (report === undefined) {
        state.log.error({ upstream: upstream.name }, 'failed getting upstream health: no worker answered')
        continue
      }
      found[i] = targetAddressHealth(report, usesHealthchecks(upstream)).map((h) => ({ upstream: upstream.name, ...h }))
    }
  }
  await Promise.all(Array.from({ length: Math.min(HEALTH_REPORTS_IN_FLIGHT, upstreams.length) }, ask))
  return found.flat()
}

/** What a scrape reports now: the workers are asked over IPC, so the proxy never waits on it. */
export async function gatherMetrics(state: NodeState): Promise<NodeMetrics> {
  const live = state.config.live
  const plugins = prometheusPlugins(live)
  // Kong exports target health only on a node that proxies, and only when a plugin asks for it.
  const withTargets = live !== undefined && state.conf.role !== 'control_plane' && plugins.some(exportsTargetHealth)
  const [workers, targetHealth] = await Promise.all([state.workers.stats(), withTargets ? gatherTargetHealth(state, live) : []])
  const answered = workers.flatMap((w) => ('error' in w ? [] : [w]))
  return {
    nodeId: state.nodeId,
    version: KONG_COMPAT_VERSION,
    connections: sumStats([state.counters.snapshot(), ...answered.map((w) => w.connections)]),
    workers: answered.map((w) => ({ pid: w.pid, heapUsed: w.heapUsed })),
    zones: zoneSizes(state.dicts, live?.bytes ?? {}, state.conf.mem_cache_size),
    configHash: live?.snapshot.hash ?? EMPTY_CONFIG_HASH,
    pluginEnabled: plugins.length > 0,
    targetHealth,
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
