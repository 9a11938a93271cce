/**
 * A bound on a request body whose size is not announced (chunked): the body passes through as
 * it comes, and the stream fails with a recognizable error once it goes past the bound, which
 * the proxy answers with nginx's 413.
 */
import { Transform, type TransformCallback } from 'node:stream'

/** The code of the error a body over its bound fails with. */
export const BODY_TOO_LARGE = 'KONG_BODY_TOO_LARGE'

/** Passes a body through, failing once more than `maxBytes` went by. */
export function limitBody(maxBytes: number): Transform {
  let seen = 0
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      seen += chunk.length
      if (seen > maxBytes) done(Object.assign(new Error(`the request body is over the limit of ${maxBytes} bytes`), { code: BODY_TOO_LARGE }))
      else done(null, chunk)
    },
  })
}
