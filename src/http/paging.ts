/**
 * Kong's list paging and tag filtering for the admin and status APIs: `?size=`, opaque
 * `?offset=` tokens and `?tags=`, with Kong's error bodies for bad values.
 */
import type { Context } from 'koa'
import { HttpError } from './app.js'
import { kongError } from './kong-errors.js'

/** Kong's page size when a request names none. */
export const DEFAULT_PAGE = 100
/** The largest page Kong serves. */
export const MAX_PAGE = 1000

/** Kong's `tags` filter: `a,b` needs every tag, `a/b` any of them. */
export function hasTags(own: readonly string[] | null | undefined, filter: string): boolean {
  const tags = own ?? []
  if (filter.includes('/')) return filter.split('/').some((x) => tags.includes(x))
  return filter.split(',').every((x) => tags.includes(x))
}

/** `?size=`: Kong's default, at most MAX_PAGE; Kong's 400 otherwise. */
export function pageSize(ctx: Context): number {
  const raw = ctx.query.size
  if (typeof raw !== 'string') return DEFAULT_PAGE
  if (!/^\d+$/.test(raw)) throw new HttpError(400, kongError('INVALID_SIZE', 'size must be a number'))
  const size = Number(raw)
  if (size < 1 || size > MAX_PAGE) throw new HttpError(400, kongError('INVALID_SIZE', `size must be an integer between 1 and ${MAX_PAGE}`))
  return size
}

/** Where an opaque `?offset=` (as Kong's DB-less strategy makes them) starts: 0 without one, Kong's 400 for a bad one. */
export function opaqueOffset(ctx: Context): number {
  const raw = ctx.query.offset
  if (typeof raw !== 'string') return 0
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(raw) ? Buffer.from(raw, 'base64').toString('utf8') : ''
  const m = /^o:(\d+)$/.exec(decoded)
  if (!m) throw new HttpError(400, kongError('INVALID_OFFSET', `'${raw}' is not a valid offset: bad base64 encoding`))
  return Number(m[1])
}

/** The opaque offset token of the page that starts at `start`. */
export function opaqueToken(start: number): string {
  return Buffer.from(`o:${start}`).toString('base64')
}
