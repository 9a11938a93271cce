/** The admin API: `/`, `/endpoints`, `/status`, `/config`, `/schemas` and the read-only entity endpoints. */
import type Koa from 'koa'
import { createApp, createRouter } from '../http/app.js'
import type { NodeState } from '../node/state.js'
import { bundledPluginSchema } from '../plugins/registry.js'
import { addStatusRoute } from '../status/routes.js'
import { addConfigRoutes } from './config-routes.js'
import { contentTypeGate } from './content-type-gate.js'
import { addEndpointsRoute } from './endpoints-route.js'
import { addEntityRoutes } from './entity-routes.js'
import { addRootRoute } from './root-route.js'
import { addSchemaRoutes } from './schema-routes.js'

/** The admin API's Koa app, reading `state`. */
export function createAdminApp(state: NodeState): Koa {
  const router = createRouter()
  addRootRoute(router, state)
  addEndpointsRoute(router)
  addStatusRoute(router, state)
  addConfigRoutes(router, state)
  addEntityRoutes(router, state)
  // No vault schemas yet: `/schemas/vaults/{name}` answers Kong's 404 for every name.
  addSchemaRoutes(router, { plugins: bundledPluginSchema, vaults: () => undefined })
  const before = [contentTypeGate(router, new Set(['/config']))]
  return createApp(router, { admin: true, headers: state.conf.headers, log: state.log, before })
}
