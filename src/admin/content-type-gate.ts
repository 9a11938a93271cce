/**
 * Kong's admin `before_filter`: a PUT, POST or PATCH whose body is not JSON, a form or multipart
 * is 415 before its route runs, so a DB-less write with `text/plain` is 415, not 405.
 */
import type { Router } from '@koa/router'
import type { Middleware } from 'koa'
import { checkContentType } from './body.js'

/** The media types every admin endpoint accepts (Kong's `before_filter`). */
export const ADMIN_MEDIA_TYPES: ReadonlySet<string> = new Set(['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'])

const NEEDS_BODY = new Set(['PUT', 'POST', 'PATCH'])

/**
 * The gate, for paths `router` serves. Paths in `ownGate` check their own media types (`/config`
 * also takes YAML).
 */
export function contentTypeGate(router: Router, ownGate: ReadonlySet<string>): Middleware {
  return async (ctx, next) => {
    if (NEEDS_BODY.has(ctx.method) && !ownGate.has(ctx.path) && router.match(ctx.path, ctx.method).path.length > 0) {
      checkContentType(ctx, ADMIN_MEDIA_TYPES)
    }
    await next()
  }
}
