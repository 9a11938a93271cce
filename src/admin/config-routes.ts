/**
 * `POST /config` (every body form, flatten_errors, check_hash) and `GET /config`. The body is
 * read here and decoded with the config on the loader thread; every answer that follows a load
 * carries `X-Kong-Configuration-Hash`, the hash that is live once it is sent.
 */
import type { Router } from '@koa/router'
import type { Context } from 'koa'
import { EMPTY_CONFIG_HASH } from '../declarative/hash.js'
import { HttpError } from '../http/app.js'
import { readBody } from '../http/body.js'
import { KONG_BODIES } from '../http/kong-errors.js'
import { CONFIG_MEDIA_TYPES } from '../loader/config-request.js'
import type { NodeState } from '../node/state.js'
import { checkContentType } from './body.js'
import { exportBody } from './config-export.js'

/** nginx_admin_client_max_body_size = 10m. */
export const ADMIN_BODY_LIMIT = 10 * 1024 * 1024

/** The response header naming the hash that is live when the answer is sent. */
export const HASH_HEADER = 'X-Kong-Configuration-Hash'

function queryOf(ctx: Context): Record<string, string> {
  // No prototype: a `__proto__` parameter stays a key, for the decoder to refuse.
  const out = Object.create(null) as Record<string, string>
  for (const [k, v] of Object.entries(ctx.query)) {
    const value = Array.isArray(v) ? v[v.length - 1] : v
    if (value !== undefined) out[k] = value
  }
  return out
}

export function addConfigRoutes(router: Router, state: NodeState): void {
  router.get('/config', (ctx) => {
    ctx.type = 'application/json; charset=utf-8'
    ctx.body = exportBody(state.config.live?.snapshot)
  })
  router.post('/config', async (ctx) => {
    // Taken on arrival: a request that arrived later wins even if this body takes longer to come in.
    const ticket = state.config.ticket()
    checkContentType(ctx, CONFIG_MEDIA_TYPES)
    const raw = await readBody(ctx, ADMIN_BODY_LIMIT)
    const outcome = await state.config.loadRequest({ raw, contentType: ctx.get('Content-Type'), query: queryOf(ctx) }, ticket)
    const liveHash = (): string => state.config.live?.snapshot.hash ?? EMPTY_CONFIG_HASH
    switch (outcome.kind) {
      case 'loaded':
        ctx.set(HASH_HEADER, outcome.live.snapshot.hash)
        state.log.notice({ configuration_hash: outcome.live.snapshot.hash, source: 'POST /config' }, 'configuration loaded')
        ctx.status = 201
        ctx.type = 'application/json; charset=utf-8'
        ctx.body = outcome.body ?? '{}'
        return
      case 'unchanged':
        ctx.set(HASH_HEADER, outcome.live.snapshot.hash)
        ctx.status = 304
        return
      case 'invalid':
        throw new HttpError(outcome.status, outcome.body, { [HASH_HEADER]: liveHash() })
      case 'busy':
        throw new HttpError(429, KONG_BODIES.loadBusy, { 'Retry-After': '1' })
      case 'superseded': {
        const hash = liveHash()
        throw new HttpError(
          409,
          { message: `a configuration sent after this one is already live (${hash}); this one was not applied`, configuration_hash: hash },
          { [HASH_HEADER]: hash },
        )
      }
      case 'failed':
        throw new HttpError(500, { message: outcome.message }, { [HASH_HEADER]: liveHash() })
    }
  })
}
