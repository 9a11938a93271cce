/**
 * The read side of Kong's own upstream routes (`kong/api/routes/upstreams.lua`), which Kong's
 * status API also serves in DB-less mode: an upstream's targets newest first, every target
 * (`/targets/all`), a target by id or by `host:port`, and the targets' health as the workers'
 * balancers see it.
 */
import type { Router } from '@koa/router'
import type { Context } from 'koa'
import { compareTargets, usesHealthchecks, type Target, type Upstream } from '../declarative/schema/entities/index.js'
import { UUID } from '../declarative/schema/validate.js'
import { HttpError } from '../http/app.js'
import { KONG_BODIES, kongError } from '../http/kong-errors.js'
import { hasTags, opaqueOffset, opaqueToken, pageSize } from '../http/paging.js'
import type { BalancerStatus, NodeState } from '../node/state.js'
import { addressesHealth } from './target-health.js'

const param = (ctx: Context, name: string): string => (ctx.params as Record<string, string>)[name] ?? ''

/** The upstream named by the URL (id or name), or Kong's 404. */
export function upstreamOf(ctx: Context, state: NodeState): Upstream {
  const key = param(ctx, 'upstreams')
  const index = state.config.live?.index
  const upstream = index && (UUID.test(key) ? index.byId('upstreams', key.toLowerCase()) : index.byKey('upstreams', key))
  if (!upstream) throw new HttpError(404, KONG_BODIES.notFound)
  return upstream as unknown as Upstream
}

/** Every target of an upstream in Kong's order (oldest first). */
function targetsOf(state: NodeState, upstream: Upstream): Target[] {
  const children = state.config.live?.index.children('targets', 'upstream', upstream.id) ?? []
  return (children as unknown as Target[]).slice().sort(compareTargets)
}

/**
 * The target named by the URL, as Kong's `target_endpoint` finds it: by id (when it belongs to
 * the upstream), else by its `host:port` exactly as stored; Kong's 404 otherwise.
 */
export function targetOf(ctx: Context, state: NodeState, upstream: Upstream): Target {
  const key = param(ctx, 'targets')
  const targets = targetsOf(state, upstream)
  const found = UUID.test(key) ? targets.find((t) => t.id === key.toLowerCase()) : targets.findLast((t) => t.target === key)
  if (!found) throw new HttpError(404, KONG_BODIES.notFound)
  return found
}

/** A page with Kong's `page_for_upstream` offsets: the index of the next item, as a decimal string. */
function numberedPage<T>(ctx: Context, items: readonly T[], nextPath: string): { data: T[]; offset?: string; next: string | null } {
  const size = pageSize(ctx)
  const raw = ctx.query.offset
  let start = 0
  if (typeof raw === 'string') {
    if (!/^\d+$/.test(raw)) throw new HttpError(400, kongError('INVALID_OFFSET', `'${raw}' is not a valid offset: bad offset string`))
    start = Number(raw)
  }
  const data = items.slice(start, start + size)
  if (start + size >= items.length) return { data, next: null }
  const offset = String(start + size)
  return { data, offset, next: `${nextPath}?offset=${encodeURIComponent(offset)}` }
}

/** A page with opaque offsets, as Kong's DB-less strategy pages: `/targets/all`. */
function opaquePage<T>(ctx: Context, items: readonly T[], nextPath: string): { data: T[]; offset?: string; next: string | null } {
  const size = pageSize(ctx)
  const start = opaqueOffset(ctx)
  const data = items.slice(start, start + size)
  if (start + size >= items.length) return { data, next: null }
  const offset = opaqueToken(start + size)
  return { data, offset, next: `${nextPath}?offset=${encodeURIComponent(offset)}` }
}

/**
 * A target with Kong's `health` and `data` (`page_for_upstream_with_health`): a target the
 * balancer has no address for is `DNS_ERROR`; otherwise `HEALTHY` when an address is healthy,
 * `UNHEALTHY` when one is unhealthy and none healthy, `HEALTHCHECKS_OFF` without a
 * healthchecker or for a target of weight 0.
 */
function withHealth(target: Target, report: BalancerStatus, checked: boolean): Record<string, unknown> {
  const status = report.hosts.find((h) => `${h.host}:${h.port}` === target.target)
  if (!status) return { ...target, health: 'DNS_ERROR' }
  const addresses = addressesHealth(status, checked)
  let health = addresses.length > 0 ? 'HEALTHCHECKS_OFF' : 'DNS_ERROR'
  for (const a of addresses) {
    if (a.health === 'HEALTHY') {
      health = 'HEALTHY'
      break
    }
    if (a.health === 'UNHEALTHY') health = 'UNHEALTHY'
  }
  const { host, port, dns, nodeWeight, weight } = status
  return { ...target, health, data: { host, port, dns, nodeWeight, weight, addresses } }
}

/** Mounts the GET routes both the admin and the status API serve. */
export function addUpstreamReadRoutes(router: Router, state: NodeState): void {
  router.get('/upstreams/:upstreams/health', async (ctx) => {
    const upstream = upstreamOf(ctx, state)
    const checked = usesHealthchecks(upstream)
    const answer = await state.workers.upstreamHealth([upstream.id])
    if ('unanswered' in answer) state.log.warn({ upstream: upstream.name, reason: answer.unanswered }, 'failed getting upstream health')
    const report = 'reports' in answer ? (answer.reports[0] ?? undefined) : undefined
    if (ctx.query.balancer_health === '1') {
      const balancerHealth = report?.healthy ? 'HEALTHY' : 'UNHEALTHY'
      ctx.body = {
        ...(report ? { data: { health: checked ? balancerHealth : 'HEALTHCHECKS_OFF', balancer_health: balancerHealth, id: upstream.id, details: report } } : {}),
        next: null,
        node_id: state.nodeId,
      }
      return
    }
    // Newest first, as Kong's page_for_upstream walks them.
    const page = numberedPage(ctx, targetsOf(state, upstream).reverse(), `/upstreams/${param(ctx, 'upstreams')}/health`)
    const data = report ? page.data.map((t) => withHealth(t, report, checked)) : page.data
    ctx.body = { data, ...(page.offset ? { offset: page.offset } : {}), next: page.next, node_id: state.nodeId }
  })
  router.get('/upstreams/:upstreams/targets/all', (ctx) => {
    const upstream = upstreamOf(ctx, state)
    ctx.body = opaquePage(ctx, targetsOf(state, upstream), `/upstreams/${param(ctx, 'upstreams')}/targets/all`)
  })
  router.get('/upstreams/:upstreams/targets', (ctx) => {
    const upstream = upstreamOf(ctx, state)
    const tags = typeof ctx.query.tags === 'string' ? ctx.query.tags : undefined
    const targets = targetsOf(state, upstream).reverse()
    ctx.body = numberedPage(ctx, tags === undefined ? targets : targets.filter((x) => hasTags(x.tags, tags)), `/upstreams/${param(ctx, 'upstreams')}/targets`)
  })
  router.get('/upstreams/:upstreams/targets/:targets', (ctx) => {
    ctx.body = targetOf(ctx, state, upstreamOf(ctx, state))
  })
}

