/**
 * Kong's manual health marks: `PUT /upstreams/{u}/targets/{t}[/{address}]/healthy|unhealthy`,
 * 204 once the mark is recorded and sent to every worker; 404 for an unknown upstream or
 * target, 400 when the upstream has no healthchecker.
 */
import type { Router } from '@koa/router'
import type { Context } from 'koa'
import { isIP } from 'node:net'
import { DEFAULT_TARGET_PORT, splitFormattedTarget } from '../declarative/schema/entities/index.js'
import { HttpError } from '../http/app.js'
import type { NodeState } from '../node/state.js'
import { targetOf, upstreamOf } from '../status/upstream-routes.js'

/** An address as Kong's `normalize_ip` reads it: `ip`, `ip:port`, `[ipv6]:port` or a name; port 8000 when absent. */
function parseAddress(text: string): { readonly host: string; readonly port: number } | undefined {
  if (isIP(text) === 6) return { host: text, port: DEFAULT_TARGET_PORT }
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(text)
  if (!m || (m[1] !== undefined && isIP(m[1]) !== 6)) return undefined
  const port = m[3] === undefined ? DEFAULT_TARGET_PORT : Number(m[3])
  if (port > 65535) return undefined
  return { host: m[1] ?? m[2], port }
}

/**
 * Mounts Kong's `PUT .../healthy|unhealthy` routes (not on a control plane, as Kong). A mark
 * of a target covers its every address; an address given as a name marks the target's
 * addresses on that port, as Kong's `post_health` does.
 */
export function addTargetHealthRoutes(router: Router, state: NodeState): void {
  if (state.conf.role === 'control_plane') return
  const mark = (healthy: boolean) => (ctx: Context) => {
    const upstream = upstreamOf(ctx, state)
    const target = targetOf(ctx, state, upstream)
    const { hostname, port: targetPort } = splitFormattedTarget(target.target)
    let port = targetPort
    let ip: string | null = null
    const address = (ctx.params as Record<string, string | undefined>).address
    if (address !== undefined) {
      const parsed = parseAddress(address)
      if (!parsed) throw new HttpError(400, { message: `invalid address '${address}'` })
      port = parsed.port
      if (isIP(parsed.host) !== 0) ip = parsed.host
    }
    const refused = state.workers.markHealth({ upstream, hostname, port, ip, healthy })
    if (refused !== undefined) throw new HttpError(400, { message: refused })
    ctx.status = 204
  }
  for (const [verb, healthy] of [['healthy', true], ['unhealthy', false]] as const) {
    router.put(`/upstreams/:upstreams/targets/:targets/${verb}`, mark(healthy))
    router.put(`/upstreams/:upstreams/targets/:targets/:address/${verb}`, mark(healthy))
  }
}
