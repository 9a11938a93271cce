/**
 * `GET /metrics` (status and admin listeners, as Kong's prometheus plugin mounts it on both):
 * the node's metrics gathered at scrape time from the sources `/status` reads.
 */
import { X509Certificate } from 'node:crypto'
import type { Router } from '@koa/router'
import { EMPTY_CONFIG_HASH } from '../declarative/hash.js'
import { usesHealthchecks, type Plugin } from '../declarative/schema/entities/index.js'
import { sumStats } from '../http/connection-counters.js'
import type { LiveConfig, NodeState } from '../node/state.js'
import { zoneSizes } from '../stores/zones.js'
import { KONG_COMPAT_VERSION } from '../version.js'
import { METRICS_CONTENT_TYPE, renderMetrics, type NodeMetrics, type UpstreamTargetHealth } from './metrics.js'
import { targetAddressHealth } from './target-health.js'

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
 * worker reports `/upstreams/{u}/health` reads, asked for in one message. When no worker
 * answers, upstream health is left out and logged, as Kong logs a failed `get_upstream_health`;
 * an upstream the worker does not have is left out.
 */
async function gatherTargetHealth(state: NodeState, live: LiveConfig): Promise<UpstreamTargetHealth[]> {
  const upstreams = live.snapshot.entities.upstreams ?? []
  if (upstreams.length === 0) return []
  const answer = await state.workers.upstreamHealth(upstreams.map((u) => u.id))
  if ('unanswered' in answer) {
    state.log.warn({ reason: answer.unanswered }, 'failed getting upstream health')
    return []
  }
  return upstreams.flatMap((upstream, i) => {
    const report = answer.reports[i]
    return report ? targetAddressHealth(report, usesHealthchecks(upstream)).map((h) => ({ upstream: upstream.name, ...h })) : []
  })
}

/** What a scrape reports now: the workers are asked over IPC, so the proxy never waits on it. */
async function gatherMetrics(state: NodeState): Promise<NodeMetrics> {
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
    ...(state.dataPlane ? { dataPlane: { connected: state.dataPlane().connected, certExpiry: certExpiry(state.conf.cluster_cert) } } : {}),
    ...(state.controlPlane ? { dataPlanes: state.controlPlane.dataPlanes() } : {}),
  }
}

/** When a PEM certificate expires, in epoch seconds (0 when there is none). */
function certExpiry(pem: string | undefined): number {
  return pem === undefined ? 0 : Math.floor(Date.parse(new X509Certificate(pem).validTo) / 1000)
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
