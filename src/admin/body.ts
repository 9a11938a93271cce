/** Admin request bodies as Kong gates them: one Content-Type, of a type the route accepts. */
import type { Context } from 'koa'
import { HttpError } from '../http/app.js'
import { hasBody, headerLines } from '../http/header-lines.js'

/** The media type of a request, lower-cased, without parameters ('' when absent). */
export function requestMediaType(ctx: Context): string {
  const types = headerLines(ctx.req, 'content-type') ?? []
  if (types.length > 1) {
    ctx.type = 'text/plain'
    throw new HttpError(400, 'Multiple Content-Type headers not allowed')
  }
  return ((types[0] ?? '').split(';')[0] ?? '').trim().toLowerCase()
}

/**
 * Kong's Content-Type gate, checked before the body is read: a media type the route accepts,
 * or none at all for an empty body; anything else is 415 with no body.
 */
export function checkContentType(ctx: Context, accepted: ReadonlySet<string>): string {
  const mediaType = requestMediaType(ctx)
  if (mediaType === '') {
    const length = ctx.get('Content-Length')
    const encoding = ctx.get('Transfer-Encoding')
    if (hasBody(ctx.req, length === '' ? undefined : length, /chunked/i.test(encoding) ? encoding : undefined)) throw new HttpError(415)
    return mediaType
  }
  if (!accepted.has(mediaType)) throw new HttpError(415)
  return mediaType
}
