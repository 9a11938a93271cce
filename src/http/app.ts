/**
 * What Kong's admin and status APIs share, on Koa: JSON 404 and 405 bodies, OPTIONS with a
 * sorted `Allow`, HEAD, trailing slashes, case-sensitive paths, CORS and `Server` headers, the
 * admin latency header, and a generic 500 that never leaks internals.
 */
import Koa, { type Middleware } from 'koa'
import { Router } from '@koa/router'
import { PRODUCT, VERSION } from '../version.js'
import type { NodeLogger } from '../log.js'
import { KONG_BODIES } from './kong-errors.js'

/** An error whose status and JSON body go to the client as they are. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body?: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`HTTP ${status}`)
  }
}

/** Whether the `headers` setting's tokens ask for the `Server` header (`server_tokens` or `server`). */
export function sendsServerHeader(headers: readonly string[]): boolean {
  return headers.some((h) => h === 'server_tokens' || h === 'server')
}

/** A router with Kong's matching rules: case-sensitive, trailing slash tolerated. */
export function createRouter(): Router {
  return new Router({ sensitive: true, strict: false })
}

export interface AppOptions {
  /** The admin API adds `Access-Control-Allow-Credentials` and echoes request headers on OPTIONS. */
  readonly admin: boolean
  /** Settings `headers` tokens: decide `Server` and `X-Kong-Admin-Latency`. */
  readonly headers: readonly string[]
  readonly log: NodeLogger
  /** Run before the routes, after errors are caught and trailing slashes removed (Kong's `before_filter`). */
  readonly before?: readonly Middleware[]
}

/** A Koa app serving `router` the way Kong's lapis apps answer. */
export function createApp(router: Router, options: AppOptions): Koa {
  const app = new Koa()
  const serverTokens = sendsServerHeader(options.headers)
  const latencyTokens = options.headers.some((h) => h === 'latency_tokens' || h === 'x-kong-admin-latency')
  app.use(async (ctx, next) => {
    const started = performance.now()
    ctx.set('Access-Control-Allow-Origin', ctx.get('Origin') || '*')
    if (options.admin) ctx.set('Access-Control-Allow-Credentials', 'true')
    if (serverTokens) ctx.set('Server', `${PRODUCT}/${VERSION}`)
    try {
      await next()
    } catch (err) {
      if (err instanceof HttpError) {
        ctx.status = err.status
        ctx.set(err.headers)
        if (err.body !== undefined) ctx.body = err.body
      } else {
        options.log.error({ error: (err as Error).stack ?? String(err), path: ctx.path }, 'unexpected error in API handler')
        ctx.status = 500
        ctx.body = KONG_BODIES.unexpected
      }
    }
    if (latencyTokens) ctx.set('X-Kong-Admin-Latency', String(Math.round(performance.now() - started)))
  })
  app.use(async (ctx, next) => {
    if (ctx.path.length > 1 && ctx.path.endsWith('/')) ctx.path = ctx.path.replace(/\/+$/, '')
    await next()
  })
  for (const middleware of options.before ?? []) app.use(middleware)
  app.use(router.routes())
  app.use((ctx) => {
    if ((ctx.matched as unknown[] | undefined)?.length && ctx.body !== undefined) return
    const match = router.match(ctx.path, ctx.method)
    if (match.pathAndMethod.length > 0) return
    if (match.path.length === 0) {
      ctx.status = 404
      if (ctx.method !== 'HEAD') ctx.body = KONG_BODIES.notFound
      return
    }
    const methods = new Set<string>(['OPTIONS'])
    for (const layer of match.path) for (const m of layer.methods) methods.add(m)
    const allow = [...methods].sort().join(', ')
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204
      ctx.set('Allow', allow)
      ctx.set('Access-Control-Allow-Methods', allow)
      ctx.set('Access-Control-Allow-Headers', (options.admin && ctx.get('Access-Control-Request-Headers')) || 'Content-Type')
      return
    }
    ctx.status = 405
    ctx.body = KONG_BODIES.methodNotAllowed
  })
  return app
}
