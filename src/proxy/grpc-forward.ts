/**
 * One try of a gRPC request to an upstream peer over HTTP/2, as nginx's `grpc_pass` in Kong's
 * `location @grpc`: h2c for grpc services, TLS with ALPN h2 for grpcs. Each peer (Kong's pool
 * key: address, and for TLS every TLS parameter) has one cached HTTP/2 session that carries
 * every concurrent try; it is closed when idle for upstream_keepalive_idle_timeout, after
 * upstream_keepalive_max_requests streams, and dropped on error or GOAWAY.
 *
 * The response streams to the client as it arrives, with the upstream's trailers (grpc-status,
 * grpc-message and any other) passed on, and a trailers-only response (grpc-status in a HEADERS
 * frame that ends the stream) passed as one. Failures are classified as forwardTry's are: a try
 * whose session never connected sent nothing and may be tried again (502, 504 on the connect
 * timeout); one that reached the upstream is not, gRPC calls being POSTs (nginx's rule for
 * non-idempotent requests), unless the upstream refused the stream unprocessed.
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2'
import type { Readable } from 'node:stream'
import { asciiLower } from '../util/ascii.js'
import { classifyFailure, type TryFailure, type TryOutcome } from './forward.js'
import type { ResponseHeaders } from './response-headers.js'
import { authorityOf, originOf, poolKey, type KeepaliveSettings, type UpstreamAddress } from './upstream-pools.js'
import { upstreamTlsOptions } from './upstream-tls.js'

/** What one gRPC try sends. */
export interface GrpcTryRequest {
  /** POST for every gRPC call; passed on as given. */
  readonly method: string
  /** Path and query as sent upstream: for gRPC, the client's own (grpc_pass takes no URI). */
  readonly path: string
  /**
   * Request headers: a flat name, value list (upstreamRequestHeaders' output, with `host` set
   * per try) or a record. `host` becomes `:authority`; pseudo-headers and HTTP/1.x hop-by-hop
   * headers are dropped, and TE is kept only as `trailers`.
   */
  readonly headers: readonly string[] | Readonly<Record<string, string | readonly string[] | undefined>>
  /** Null for no body; a stream is read only once the session is up, so a try that never connected leaves it whole. */
  readonly body: Buffer | Readable | null
  /** Kong's `read_timeout` (between two reads from the upstream), in ms; 0 for none. */
  readonly readTimeoutMs: number
  /** Aborted when the client went away: the upstream stream is then cancelled. */
  readonly signal?: AbortSignal
}

/** Where a gRPC response goes; the client's `Http2ServerResponse` is one. */
export interface GrpcResponseTarget {
  write(chunk: Buffer): boolean
  addTrailers(trailers: OutgoingHttpHeaders): void
  end(): unknown
  once(event: 'drain' | 'close', listener: () => void): unknown
  removeListener(event: 'drain' | 'close', listener: () => void): unknown
}

/**
 * Called with the upstream's status and headers (no pseudo-headers); returns where the body and
 * trailers go. `trailersOnly`: the upstream ended the stream with these headers, so grpcTry only
 * calls `end()`; the head should then leave with END_STREAM (writeGrpcHead does that).
 */
export type GrpcResponseStart = (status: number, headers: ResponseHeaders, trailersOnly: boolean) => GrpcResponseTarget

/** The client response writeGrpcHead writes to: Node's `Http2ServerResponse`. */
export interface GrpcClientResponse extends GrpcResponseTarget {
  statusCode: number
  setHeader(name: string, value: string | readonly string[]): unknown
  writeHead(status: number, headers: OutgoingHttpHeaders): unknown
  end(): unknown
  end(data: string): unknown
}

/**
 * Writes the head of a proxied gRPC response. A trailers-only one is only staged, so that the
 * `end()` grpcTry then calls sends it in a single HEADERS frame that ends the stream, as the
 * upstream sent it (gRPC clients read the status from such a frame only when it ends the stream).
 * `end('')` would not do: Node sends the head before an empty chunk, without END_STREAM.
 */
export function writeGrpcHead(res: GrpcClientResponse, status: number, headers: ResponseHeaders, trailersOnly: boolean): void {
  if (!trailersOnly) {
    res.writeHead(status, headers)
    return
  }
  res.statusCode = status
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined) res.setHeader(name, value)
  }
}

/**
 * Sends one of Kong's own answers (an ErrorResponse) to an HTTP/2 client. With no body it goes
 * as a single HEADERS frame that ends the stream, as nginx sends an empty response: a gRPC
 * client then reads its grpc-status and grpc-message. HTTP/1.x-only headers are left to Node,
 * which drops them from HTTP/2 responses.
 */
export function sendHttp2Answer(res: GrpcClientResponse, status: number, headers: ResponseHeaders, body: string): void {
  if (body === '') {
    writeGrpcHead(res, status, headers, true)
    res.end()
    return
  }
  res.writeHead(status, headers)
  res.end(body)
}

// HTTP/1.x connection headers HTTP/2 forbids (Node refuses to send them), and those nginx's grpc
// module drops (Expect) or replaces (Host, as :authority).
const DROPPED: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'expect', 'proxy'])

// RFC 9110's token: Node destroys the whole session, every stream on it, for a request with a
// header name outside it, so such a request is refused before it reaches Node.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/

/** The HTTP/2 request headers of a try: pseudo-headers first, then the request's own; throws for a header name that is no token. */
export function grpcRequestHeaders(address: UpstreamAddress, request: Pick<GrpcTryRequest, 'method' | 'path' | 'headers'>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': request.method, ':scheme': address.scheme, ':path': request.path }
  let authority: string | undefined
  const add = (name: string, value: string): void => {
    const lower = asciiLower(name)
    if (lower.charCodeAt(0) === 0x3a || DROPPED.has(lower)) return
    if (!TOKEN.test(lower)) throw new Error(`request header name ${JSON.stringify(name)} cannot be sent over HTTP/2`)
    if (lower === 'host') {
      authority ??= value
      return
    }
    // Node sends no TE but `trailers`, and Kong sends TE only as that.
    if (lower === 'te' && asciiLower(value.trim()) !== 'trailers') return
    const had = out[lower]
    if (had === undefined) out[lower] = value
    else if (Array.isArray(had)) had.push(value)
    else out[lower] = [String(had), value]
  }
  const headers = request.headers
  if (isFlat(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i], headers[i + 1])
  } else {
    for (const name in headers) {
      const value = headers[name]
      if (typeof value === 'string') add(name, value)
      else if (value !== undefined) for (const one of value) add(name, one)
    }
  }
  out[':authority'] = authority ?? authorityOf(address)
  return out
}

function isFlat(headers: GrpcTryRequest['headers']): headers is readonly string[] {
  return Array.isArray(headers)
}

/** Headers or trailers of an upstream response, without its pseudo-headers. */
function withoutPseudo(headers: IncomingHttpHeaders): ResponseHeaders {
  const out: ResponseHeaders = {}
  for (const name in headers) if (name.charCodeAt(0) !== 0x3a) out[name] = headers[name]
  return out
}

/** A session to one upstream peer, and what it carries (GrpcSessions keeps it). */
export interface GrpcSession {
  readonly key: string
  readonly h2: ClientHttp2Session
  connected: boolean
  /** Tries waiting for the connection: called with the error if it fails. */
  waiting: ((err: Error | undefined) => void)[]
  /** Streams open on it now. */
  active: number
  /** Streams ever opened on it. */
  sent: number
  /** The sweep period it was last used in. */
  usedIn: number
  /** Takes no new streams: closed once its streams are done. */
  retired: boolean
  idle: NodeJS.Timeout | undefined
  /** Why it failed, for the tries waiting on it. */
  error: Error | undefined
  /** Resolves once the session carries no stream and takes none (its socket may linger until the peer closes it). */
  readonly closed: Promise<void>
  /** Resolves `closed` and forgets the session; called by GrpcSessions only. */
  readonly settle: () => void
}

const CONNECT_TIMEOUT = 'ETIMEDOUT'

/** The HTTP/2 sessions of one worker, one per peer and TLS parameters. */
export class GrpcSessions {
  readonly #sessions = new Map<string, GrpcSession>()
  /** Every session not yet closed, cached or not. */
  readonly #live = new Set<GrpcSession>()
  #period = 0

  constructor(private readonly keepalive: KeepaliveSettings) {}

  /** How many sessions are cached for new tries. */
  get size(): number {
    return this.#sessions.size
  }

  /**
   * Calls `ready` with a connected session for `address`, or with why none could be had. A
   * cached session is reused unless it is retired; a new one is connected under the address's
   * connect timeout.
   */
  acquire(address: UpstreamAddress, ready: (session: GrpcSession | Error) => void, key: string = sessionKey(address)): void {
    let session = this.#sessions.get(key)
    if (session === undefined || session.retired || session.h2.destroyed || session.h2.closed) {
      session = this.#open(address, key)
      // With keep-alive off (pool size 0), each try has a session of its own.
      if (this.keepalive.poolSize === 0) session.retired = true
      else this.#sessions.set(key, session)
    }
    session.usedIn = this.#period
    if (session.connected) {
      ready(session)
      return
    }
    const waiting = session
    waiting.waiting.push((err) => ready(err ?? waiting))
  }

  /** Counts a stream opened on `session`; retires it once it carried upstream_keepalive_max_requests. */
  begin(session: GrpcSession): void {
    session.active++
    session.sent++
    if (session.idle !== undefined) {
      clearTimeout(session.idle)
      session.idle = undefined
    }
    session.h2.ref()
    const max = this.keepalive.maxRequests
    if (max > 0 && session.sent >= max) this.#retire(session)
  }

  /** Counts a stream of `session` closed: an idle session is closed now (retired) or after the idle timeout. */
  end(session: GrpcSession): void {
    session.active--
    if (session.active > 0) return
    if (session.retired) {
      this.#shut(session)
      return
    }
    // An idle session does not keep the process up.
    session.h2.unref()
    const idleMs = this.keepalive.idleTimeoutMs
    if (idleMs > 0) {
      session.idle = setTimeout(() => this.#retire(session), idleMs)
      session.idle.unref()
    }
  }

  /** Closes the sessions no try used since the previous sweep, once their streams are done. */
  sweep(): Promise<void> {
    const period = this.#period++
    return this.retain((_key, usedIn) => usedIn > period - 1)
  }

  /** Closes, once their streams are done, the cached sessions whose key `keep` rejects. */
  retain(keep: (key: string, usedIn: number) => boolean): Promise<void> {
    const closing: Promise<void>[] = []
    for (const session of [...this.#sessions.values()]) {
      if (keep(session.key, session.usedIn)) continue
      this.#retire(session)
      closing.push(session.closed)
    }
    return Promise.all(closing).then(() => undefined)
  }

  /** Closes every session once its streams are done. */
  close(): Promise<void> {
    const closing = [...this.#live].map((session) => {
      this.#retire(session)
      return session.closed
    })
    return Promise.all(closing).then(() => undefined)
  }

  /** No new streams on `session`; it closes once its streams are done. */
  #retire(session: GrpcSession): void {
    session.retired = true
    if (this.#sessions.get(session.key) === session) this.#sessions.delete(session.key)
    if (session.idle !== undefined) clearTimeout(session.idle)
    // Unconnected, it has no stream to finish; connected, it closes once its last stream ends (end()).
    if (!session.connected) session.h2.destroy()
    else if (session.active === 0) this.#shut(session)
  }

  /**
   * Closes an idle session. Node only reports the close once the peer has closed its side of
   * the socket too, which an upstream may never do after a GOAWAY; the session is done with here.
   */
  #shut(session: GrpcSession): void {
    session.h2.close()
    session.settle()
  }

  #open(address: UpstreamAddress, key: string): GrpcSession {
    const tls = address.scheme === 'https'
    const h2 = connect(originOf(address), {
      ...(tls ? upstreamTlsOptions(address.tls) : {}),
      // The upstream is a server: it has nothing to push to us.
      settings: { enablePush: false },
    })
    let resolveClosed!: () => void
    const closed = new Promise<void>((resolve) => (resolveClosed = resolve))
    const session: GrpcSession = {
      key,
      h2,
      connected: false,
      waiting: [],
      active: 0,
      sent: 0,
      usedIn: this.#period,
      retired: false,
      idle: undefined,
      error: undefined,
      closed,
      settle: () => {
        if (this.#sessions.get(key) === session) this.#sessions.delete(key)
        this.#live.delete(session)
        resolveClosed()
      },
    }
    this.#live.add(session)
    const timer = setTimeout(() => {
      const err = Object.assign(new Error(`connecting timed out after ${address.connectTimeoutMs} ms`), { code: CONNECT_TIMEOUT })
      h2.destroy(err)
    }, address.connectTimeoutMs)
    const flush = (err: Error | undefined): void => {
      const waiting = session.waiting
      session.waiting = []
      for (const ready of waiting) ready(err)
    }
    h2.once('connect', () => {
      clearTimeout(timer)
      session.connected = true
      flush(undefined)
    })
    // Without this listener an upstream's fault would take the whole worker down.
    h2.on('error', (err: Error) => {
      session.error ??= err
    })
    // A GOAWAY: the session takes no new streams; those it still carries finish.
    h2.on('goaway', () => this.#retire(session))
    h2.once('close', () => {
      clearTimeout(timer)
      if (session.idle !== undefined) clearTimeout(session.idle)
      session.retired = true
      flush(session.error ?? new Error('the upstream closed the connection before it was up'))
      session.settle()
    })
    return session
  }
}

/** The session key of an address: Kong's pool key (address, and for TLS every TLS parameter). */
export function sessionKey(address: UpstreamAddress): string {
  return `${address.scheme}|${poolKey(address)}`
}

/** A try that never got a connected session sent nothing: it may always be tried again. */
function connectFailure(err: Error & { code?: string }): TryFailure {
  const code = err.code ?? ''
  return { status: code === CONNECT_TIMEOUT ? 504 : 502, retryable: true, reason: code !== '' ? `${code}: ${err.message}` : err.message }
}

const RESPONDED: TryOutcome = Object.freeze({ kind: 'responded' })

/**
 * Sends one gRPC try to `address` over its session in `sessions`; `done` is called once, when
 * the response (trailers included) has been handed to the target, or the try failed.
 */
export function grpcTry(sessions: GrpcSessions, address: UpstreamAddress, request: GrpcTryRequest, start: GrpcResponseStart, done: (outcome: TryOutcome) => void): void {
  const gone: TryFailure = { status: 502, retryable: false, reason: 'the client went away before the try' }
  if (request.signal?.aborted === true) {
    done({ kind: 'failed', failure: gone })
    return
  }
  // A body stream that fails while the session connects must not go unheard.
  const body = request.body
  const readable = body !== null && !Buffer.isBuffer(body) ? body : undefined
  let bodyError: Error | undefined
  const early = (err: Error): void => {
    bodyError = err
  }
  readable?.once('error', early)
  sessions.acquire(address, (session) => {
    readable?.removeListener('error', early)
    if (bodyError !== undefined) done({ kind: 'failed', failure: classifyFailure(bodyError, request.method, body) })
    else if (session instanceof Error) done({ kind: 'failed', failure: connectFailure(session) })
    else if (request.signal?.aborted === true) done({ kind: 'failed', failure: gone })
    else streamTry(sessions, session, address, request, start, done)
  })
}

/** grpcTry as a promise (tests, and callers off the hot path). */
export function grpcTryAsync(sessions: GrpcSessions, address: UpstreamAddress, request: GrpcTryRequest, start: GrpcResponseStart): Promise<TryOutcome> {
  return new Promise((resolve) => grpcTry(sessions, address, request, start, resolve))
}

function streamTry(sessions: GrpcSessions, session: GrpcSession, address: UpstreamAddress, request: GrpcTryRequest, start: GrpcResponseStart, done: (outcome: TryOutcome) => void): void {
  const body = request.body
  let stream: ClientHttp2Stream
  try {
    stream = session.h2.request(grpcRequestHeaders(address, request), { endStream: body === null })
  } catch (err) {
    // Refused before anything left: a session that went away meanwhile, or a header that cannot be sent.
    const e = err as Error & { code?: string }
    const notSent = e.code === 'ERR_HTTP2_GOAWAY_SESSION' || e.code === 'ERR_HTTP2_INVALID_SESSION'
    done({ kind: 'failed', failure: { status: 502, retryable: notSent, reason: e.code !== undefined ? `${e.code}: ${e.message}` : e.message } })
    return
  }
  sessions.begin(session)

  let target: GrpcResponseTarget | undefined
  let trailers: ResponseHeaders | undefined
  let finished = false
  // Paused for a slow client, we are not waiting on the upstream: its read timeout does not run.
  let paused = false
  const readTimer = request.readTimeoutMs > 0
    ? setTimeout(() => {
      if (paused) readTimer?.refresh()
      else fail(Object.assign(new Error(`the upstream sent nothing for ${request.readTimeoutMs} ms`), { code: 'ETIMEDOUT' }))
    }, request.readTimeoutMs)
    : undefined
  const onRead = (): void => void readTimer?.refresh()

  const finish = (outcome: TryOutcome): void => {
    if (finished) return
    finished = true
    clearTimeout(readTimer)
    request.signal?.removeEventListener('abort', onAbort)
    target?.removeListener('close', onClientClose)
    if (body !== null && !Buffer.isBuffer(body)) body.removeListener('error', onBodyError)
    done(outcome)
  }
  const fail = (err: Error & { code?: string }): void => {
    if (finished) return
    if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL)
    if (target !== undefined) return finish({ kind: 'responded', error: err })
    const failure = classifyFailure(err, request.method, body)
    finish({ kind: 'failed', failure })
  }
  const onAbort = (): void => fail(new Error('the client went away'))
  const onClientClose = (): void => fail(new Error('the client closed the stream before the response was sent'))
  const onBodyError = (err: Error): void => fail(err)

  request.signal?.addEventListener('abort', onAbort, { once: true })
  stream.on('response', (headers, flags) => {
    onRead()
    const trailersOnly = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0
    try {
      target = start(Number(headers[':status']), withoutPseudo(headers), trailersOnly)
    } catch (err) {
      target = undefined
      fail(err as Error)
      return
    }
    target.once('close', onClientClose)
  })
  stream.on('data', (chunk: Buffer) => {
    onRead()
    if (finished || target === undefined) return
    if (!target.write(chunk)) {
      paused = true
      stream.pause()
      target.once('drain', () => {
        paused = false
        onRead()
        stream.resume()
      })
    }
  })
  stream.on('trailers', (headers: IncomingHttpHeaders) => {
    onRead()
    trailers = withoutPseudo(headers)
  })
  stream.on('end', () => {
    if (finished || target === undefined) return
    // Node also ends the stream it closes when the session goes: a code says it was cut short.
    const code = stream.rstCode
    if (code !== undefined && code !== constants.NGHTTP2_NO_ERROR) {
      fail(session.error ?? Object.assign(new Error(`the upstream stream was closed with HTTP/2 error ${code}`), { code: 'ECONNRESET' }))
      return
    }
    target.removeListener('close', onClientClose)
    if (trailers !== undefined) target.addTrailers(trailers)
    target.end()
    finish(RESPONDED)
  })
  // Read in the close handler below, with the session's error, which names the cause better.
  let streamError: Error | undefined
  stream.on('error', (err: Error) => {
    streamError ??= err
  })
  stream.once('close', () => {
    sessions.end(session)
    if (finished) return
    const code = stream.rstCode
    // REFUSED_STREAM (a GOAWAY's unprocessed streams too): the upstream did nothing with it.
    if (code === constants.NGHTTP2_REFUSED_STREAM && target === undefined && (body === null || Buffer.isBuffer(body))) {
      return finish({ kind: 'failed', failure: { status: 502, retryable: true, reason: 'the upstream refused the stream' } })
    }
    const cause = session.error ?? streamError ?? Object.assign(new Error(code !== undefined && code !== constants.NGHTTP2_NO_ERROR ? `the upstream reset the stream (HTTP/2 error ${code})` : 'the upstream closed the stream before its end'), { code: 'ECONNRESET' })
    fail(cause)
  })

  if (body === null) return
  if (Buffer.isBuffer(body)) {
    stream.end(body)
    return
  }
  body.once('error', onBodyError)
  body.pipe(stream)
}
