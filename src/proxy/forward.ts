/**
 * One try of forwarding a request to an upstream address over its keep-alive pool, with the
 * response streamed to the client as it arrives. What a failure means (a 502 or 504, and
 * whether another try may follow) is decided here, from where the try failed: nginx retries on
 * errors and timeouts up to the response head, never on an HTTP status, and never a
 * non-idempotent request that may have reached the upstream.
 */
import type { Readable, Writable } from 'node:stream'
import type { Dispatcher, Pool } from 'undici'
import { BODY_TOO_LARGE } from './body-limit.js'

/** What one try sends. */
export interface TryRequest {
  readonly method: string
  /** Path and query as sent upstream. */
  readonly path: string
  /** Request headers as sent upstream, flat: name, value, name, value. */
  readonly headers: string[]
  /** Null for no body; a Buffer can be sent again on a retry, a stream cannot. */
  readonly body: Buffer | Readable | null
  /** Kong's `read_timeout` (between two reads) and `write_timeout`, in ms. */
  readonly readTimeoutMs: number
}

/** How a try failed before the client got a response head. */
export interface TryFailure {
  /** 502 or 504, as Kong answers when no try is left; 413 for a body over its bound. */
  readonly status: 413 | 502 | 504
  /** Whether the next try may follow (the request cannot have been processed upstream). */
  readonly retryable: boolean
  /** Why, for the error log. */
  readonly reason: string
}

/** Called with the upstream's status and headers; returns where the body goes. */
export type ResponseStart = (statusCode: number, headers: Record<string, string | string[] | undefined>) => Writable

/** How a try ended: a response was streamed (possibly cut short), or it failed before one began. */
export type TryOutcome =
  | { readonly kind: 'responded'; readonly error?: Error }
  | { readonly kind: 'failed'; readonly failure: TryFailure }

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE'])

/** Failures that happen before a request can have been sent. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'UND_ERR_CONNECT_TIMEOUT'])
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'])
/** Failures after which the same request may be sent again (nginx's `error timeout`). */
const CONNECTION_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_HEADERS_TIMEOUT', 'ETIMEDOUT'])

/** What a failure before the response head means: the status and whether to try again. */
export function classifyFailure(err: Error & { code?: string }, method: string, body: TryRequest['body']): TryFailure {
  const code = err.code ?? ''
  if (code === BODY_TOO_LARGE) return { status: 413, retryable: false, reason: err.message }
  const status = TIMEOUTS.has(code) ? 504 : 502
  const replayable = body === null || Buffer.isBuffer(body)
  let retryable = false
  if (replayable) {
    if (NOT_SENT.has(code)) retryable = true
    else if (CONNECTION_ERRORS.has(code)) retryable = IDEMPOTENT.has(method)
  }
  return { status, retryable, reason: code !== '' ? `${code}: ${err.message}` : err.message }
}

const RESPONDED: TryOutcome = Object.freeze({ kind: 'responded' })

/** Sends one try over `pool`; `done` is called once the response is fully streamed or the try failed. */
export function forwardTry(pool: Pool, request: TryRequest, start: ResponseStart, done: (outcome: TryOutcome) => void): void {
  let started = false
  const options: Dispatcher.RequestOptions = {
    path: request.path,
    method: request.method,
    headers: request.headers,
    body: request.body,
    headersTimeout: request.readTimeoutMs,
    bodyTimeout: request.readTimeoutMs,
    // The client decides about keep-alive towards us; towards the upstream, the pool does.
    reset: false,
  }
  pool.stream(
    options,
    ({ statusCode, headers }) => {
      started = true
      return start(statusCode, headers)
    },
    (err) => {
      if (err === null) done(RESPONDED)
      else if (started) done({ kind: 'responded', error: err })
      else done({ kind: 'failed', failure: classifyFailure(err, request.method, request.body) })
    },
  )
}

/** forwardTry as a promise (tests, and callers off the hot path). */
export function forwardTryAsync(pool: Pool, request: TryRequest, start: ResponseStart): Promise<TryOutcome> {
  return new Promise((resolve) => forwardTry(pool, request, start, resolve))
}
