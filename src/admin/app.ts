/** The admin API: `/`, `/status`, `/config` and the read-only entity endpoints. */
import type Koa from 'koa'
import { createApp, createRouter } from '../http/app.js'
import type { NodeState } from '../node/state.js'
import { addStatusRoute } from '../status/routes.js'
import { addConfigRoutes } from './config-routes.js'
import { addEntityRoutes } from './entity-routes.js'
import { addRootRoute } from './root-route.js'

export function createAdminApp(state: NodeState): Koa {
  const router = createRouter()
  addRootRoute(router, state)
  addStatusRoute(router, state)
  addConfigRoutes(router, state)
  addEntityRoutes(router, state)
  return createApp(router, { admin: true, headers: state.conf.headers, log: state.log })
}
