/**
 * Kong's control-plane endpoints: `GET /clustering/data-planes` (the data planes, paged) and the
 * deprecated `GET /clustering/status` (a map by node id). Anywhere but on a control plane both
 * answer Kong's 400.
 */
import type { Router } from '@koa/router'
import type { Context } from 'koa'
import { HttpError } from '../http/app.js'
import { opaqueOffset, opaqueToken, pageSize } from '../http/paging.js'
import type { ControlPlaneView, NodeState } from '../node/state.js'

const NOT_A_CONTROL_PLANE = { message: 'this endpoint is only available when Kong is configured to run as Control Plane for the cluster' }

function controlPlaneOf(state: NodeState): ControlPlaneView {
  if (!state.controlPlane) throw new HttpError(400, NOT_A_CONTROL_PLANE)
  return state.controlPlane
}

/** Kong's page of data planes: `{data, next}`, with `offset` when there are more. */
function page(ctx: Context, planes: readonly unknown[]): void {
  const size = pageSize(ctx)
  const start = opaqueOffset(ctx)
  const data = planes.slice(start, start + size)
  if (start + size < planes.length) {
    const offset = opaqueToken(start + size)
    const query = new URLSearchParams({ ...(typeof ctx.query.size === 'string' ? { size: ctx.query.size } : {}), offset })
    ctx.body = { data, offset, next: `${ctx.path}?${query.toString()}` }
  } else {
    ctx.body = { data, next: null }
  }
}

/** Mounts `GET /clustering/data-planes` and `GET /clustering/status`. */
export function addClusteringRoutes(router: Router, state: NodeState): void {
  router.get('/clustering/data-planes', (ctx) => {
    page(ctx, controlPlaneOf(state).dataPlanes())
  })
  router.get('/clustering/status', (ctx) => {
    const planes = controlPlaneOf(state).dataPlanes()
    ctx.set('Deprecation', 'true')
    ctx.body = Object.fromEntries(planes.map((p) => [p.id, { config_hash: p.config_hash, hostname: p.hostname, ip: p.ip, last_seen: p.last_seen }]))
  })
}
