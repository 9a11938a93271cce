/** `GET /`: what this node is, its plugins, its settings and its processes. */
import type { Router } from '@koa/router'
import { hostname } from 'node:os'
import { availablePlugins } from '../plugins/registry.js'
import type { NodeState } from '../node/state.js'
import { KONG_COMPAT_VERSION, PRODUCT, VERSION } from '../version.js'

export function addRootRoute(router: Router, state: NodeState): void {
  router.get('/', (ctx) => {
    const plugins = state.config.live?.snapshot.entities.plugins ?? []
    ctx.body = {
      tagline: 'Welcome to kong',
      version: KONG_COMPAT_VERSION,
      edition: 'community',
      product: { name: PRODUCT, version: VERSION },
      hostname: hostname(),
      node_id: state.nodeId,
      timers: { running: 0, pending: 0 },
      plugins: {
        available_on_server: availablePlugins(KONG_COMPAT_VERSION),
        enabled_in_cluster: [...new Set(plugins.map((p) => p.name))].sort(),
      },
      lua_version: `Node.js ${process.version}`,
      configuration: { ...state.conf.public, log_level: state.conf.log_level },
      pids: { master: process.pid, workers: state.workers.pids() },
    }
  })
}
