/** Request bodies read whole, within a byte limit. */
import type { Context } from 'koa'
import { HttpError } from './app.js'
import { KONG_BODIES } from './kong-errors.js'

/** Reads the request body, refusing more than `limit` bytes with Kong's 413. */
export async function readBody(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('Content-Length') || '0')
  if (declared > limit) throw new HttpError(413, KONG_BODIES.tooLarge)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) throw new HttpError(413, KONG_BODIES.tooLarge)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}
