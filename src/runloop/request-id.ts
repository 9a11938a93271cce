/**
 * Kong's `$kong_request_id`: 32 lower-case hex characters, random per request. Random bytes are
 * drawn a few kilobytes at a time rather than one call per request.
 */
import { randomFillSync } from 'node:crypto'

const BLOCK = 4096
const ID_BYTES = 16
const pool = Buffer.alloc(BLOCK)
let at = BLOCK

/** A new request id. */
export function nextRequestId(): string {
  if (at + ID_BYTES > BLOCK) {
    randomFillSync(pool)
    at = 0
  }
  const id = pool.toString('hex', at, at + ID_BYTES)
  at += ID_BYTES
  return id
}
