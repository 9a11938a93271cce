/** The status API: `/status`, `/status/ready` (with drain), `/status/config`, `/metrics` and the read-only upstream routes. */
import type Koa from 'koa'
import { createApp, createRouter } from '../http/app.js'
import type { NodeState } from '../node/state.js'
import { addMetricsRoute } from './metrics-route.js'
import { addReadyRoutes, addStatusRoute } from './routes.js'
import { addUpstreamReadRoutes } from './upstream-routes.js'

/** The status listener's Koa app, with every route Kong serves there. */
export function createStatusApp(state: NodeState): Koa {
  const router = createRouter()
  addStatusRoute(router, state)
  addReadyRoutes(router, state)
  addMetricsRoute(router, state)
  // Kong's status API serves the GET upstream routes in DB-less mode; other methods there are 405.
  addUpstreamReadRoutes(router, state)
  return createApp(router, { admin: false, headers: state.conf.headers, log: state.log })
}
