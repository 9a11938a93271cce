/** The admin API: `/`, `/endpoints`, `/status`, `/metrics`, `/config`, `/clustering`, `/schemas` and the read-only entity endpoints. */
import type Koa from 'koa'
import { bundledVaultSchema } from '../declarative/schema/entities/index.js'
import { createApp, createRouter } from '../http/app.js'
import type { NodeState } from '../node/state.js'
import { bundledPluginSchema } from '../plugins/registry.js'
import { addMetricsRoute } from '../status/metrics-route.js'
import { addStatusRoute } from '../status/routes.js'
import { addUpstreamReadRoutes } from '../status/upstream-routes.js'
import { addClusteringRoutes } from './clustering-routes.js'
import { addConfigRoutes } from './config-routes.js'
import { contentTypeGate } from './content-type-gate.js'
import { addEndpointsRoute } from './endpoints-route.js'
import { addEntityRoutes } from './entity-routes.js'
import { addRootRoute } from './root-route.js'
import { addTargetHealthRoutes } from './target-health-routes.js'
import { addSchemaRoutes } from './schema-routes.js'

/** The admin API's Koa app, reading `state`. */
export function createAdminApp(state: NodeState): Koa {
  const router = createRouter()
  addRootRoute(router, state)
  addEndpointsRoute(router)
  addStatusRoute(router, state)
  addMetricsRoute(router, state)
  addConfigRoutes(router, state)
  addClusteringRoutes(router, state)
  // Before the generic entity routes: Kong's own upstream routes win over them (`/targets/all`, targets newest first).
  addUpstreamReadRoutes(router, state)
  addTargetHealthRoutes(router, state)
  addEntityRoutes(router, state)
  addSchemaRoutes(router, { plugins: bundledPluginSchema, vaults: bundledVaultSchema })
  const before = [contentTypeGate(router, new Set(['/config']))]
  return createApp(router, { admin: true, headers: state.conf.headers, log: state.log, before })
}
