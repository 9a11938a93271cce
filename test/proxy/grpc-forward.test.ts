// gRPC forwarding over real sockets: a grpc-js client talks to a small HTTP/2 front (standing in
// for the proxy) whose handler forwards each call with grpcTry to a real grpc-js upstream, plain
// or over TLS with a test CA. Raw node:http2 upstreams stand in where a test needs to count
// sessions or make the upstream misbehave.
import { EventEmitter } from 'node:events'
import { constants, createServer as createH2Server, type Http2Server, type Http2ServerRequest, type Http2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { credentials, Metadata, status } from '@grpc/grpc-js'
import t, { type Test } from 'tap'
import { BODY_TOO_LARGE } from '../../src/proxy/body-limit.js'
import { compileClientAddress } from '../../src/proxy/client-address.js'
import { parseHeaderSettings } from '../../src/proxy/header-settings.js'
import { forwarded, readRequestHead, upstreamRequestHeaders } from '../../src/proxy/request-headers.js'
import type { TryOutcome } from '../../src/proxy/forward.js'
import { grpcRequestHeaders, grpcTry, grpcTryAsync, GrpcSessions, sessionKey, writeGrpcHead, type GrpcResponseTarget, type GrpcSession, type GrpcTryRequest } from '../../src/proxy/grpc-forward.js'
import type { ResponseHeaders } from '../../src/proxy/response-headers.js'
import type { KeepaliveSettings, UpstreamAddress } from '../../src/proxy/upstream-pools.js'
import { clientStream, greeterClient, grpcFrame, grpcUpstream, serverStream, unary } from '../helpers/grpc.js'
import { makePki } from '../helpers/tls.js'
import { closedPort, resetUpstream, silentUpstream } from '../helpers/upstreams.js'

const KEEPALIVE: KeepaliveSettings = { poolSize: 512, maxRequests: 0, idleTimeoutMs: 60_000 }
const pki = makePki()
t.teardown(() => pki.dispose())

const plain = (port: number, connectTimeoutMs = 2000): UpstreamAddress => ({ scheme: 'http', ip: '127.0.0.1', port, connectTimeoutMs })

/** Resolves values in the order they are pushed. */
class Queue<T> {
  readonly #items: T[] = []
  readonly #waiting: ((item: T) => void)[] = []
  push(item: T): void {
    const next = this.#waiting.shift()
    if (next) next(item)
    else this.#items.push(item)
  }
  next(): Promise<T> {
    const item = this.#items.shift()
    return item !== undefined ? Promise.resolve(item) : new Promise((resolve) => this.#waiting.push(resolve))
  }
}

interface Front {
  readonly target: string
  /** Each try's outcome, in order. */
  readonly outcomes: Queue<TryOutcome>
  /** Whether each response began as trailers-only. */
  readonly trailersOnly: boolean[]
}

/**
 * The proxy's stand-in: an h2c server whose handler sends each request on with grpcTry, as
 * `host` (its :authority upstream), and answers a failed try with a gRPC UNAVAILABLE.
 */
async function front(t: Test, sessions: GrpcSessions, address: UpstreamAddress, host = 'grpc.test:8000', readTimeoutMs = 5000, headersOf: (req: Http2ServerRequest) => string[] = (req) => [...req.rawHeaders]): Promise<Front> {
  const outcomes = new Queue<TryOutcome>()
  const trailersOnly: boolean[] = []
  const server = createH2Server((req, res) => {
    const aborted = new AbortController()
    res.once('close', () => aborted.abort())
    const request: GrpcTryRequest = { method: req.method, path: req.url, headers: [...headersOf(req), 'host', host], body: req, readTimeoutMs, signal: aborted.signal }
    grpcTry(sessions, address, request, (code, headers, only) => {
      trailersOnly.push(only)
      headers['x-front'] = 'yes'
      writeGrpcHead(res, code, headers, only)
      return res
    }, (outcome) => {
      outcomes.push(outcome)
      if (outcome.kind === 'failed') {
        writeGrpcHead(res, 200, { 'content-type': 'application/grpc', 'grpc-status': String(status.UNAVAILABLE), 'grpc-message': `${outcome.failure.status}` }, true)
        res.end()
      } else if (outcome.error !== undefined) {
        res.destroy()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { target: `127.0.0.1:${(server.address() as AddressInfo).port}`, outcomes, trailersOnly }
}

function newSessions(t: Test, keepalive: KeepaliveSettings = KEEPALIVE): GrpcSessions {
  const sessions = new GrpcSessions(keepalive)
  t.teardown(() => sessions.close())
  return sessions
}

function insecureClient(t: Test, target: string): ReturnType<typeof greeterClient> {
  const client = greeterClient(target, credentials.createInsecure())
  t.teardown(() => client.close())
  return client
}

t.test('a unary call goes through: request, metadata, authority, reply, headers and trailers', async (t) => {
  const up = await grpcUpstream()
  t.teardown(() => up.close())
  const sessions = newSessions(t)
  const f = await front(t, sessions, plain(up.port))
  const client = insecureClient(t, f.target)
  const metadata = new Metadata()
  metadata.set('x-client', 'one')
  const result = await unary(client, 'Hello', { name: 'world' }, metadata)
  t.equal(result.status.code, status.OK)
  const reply = result.messages[0] as { greeting: string; host: string; metadata: Record<string, string> }
  t.equal(reply.greeting, 'hello world')
  t.equal(reply.host, 'grpc.test:8000', 'the host header became :authority')
  t.equal(reply.metadata['x-client'], 'one', 'request metadata reached the upstream')
  t.equal(result.headers?.get('x-initial')[0], 'yes', "the upstream's headers came back")
  t.equal(result.headers?.get('x-front')[0], 'yes', 'through the start callback')
  t.equal(result.status.metadata.get('x-trailer')[0], 'done', "the upstream's trailers came back")
  t.strictSame(await f.outcomes.next(), { kind: 'responded' })
  t.strictSame(f.trailersOnly, [false])
  t.equal(sessions.size, 1)
  const again = await unary(client, 'Hello', { name: 'again' })
  t.equal(again.status.code, status.OK)
  t.equal(sessions.size, 1, 'the second call went over the same session')
})

t.test("the request headers the proxy builds go out as grpc_pass sends Kong's: X-Forwarded-*, X-Real-IP, Via, TE", async (t) => {
  const up = await rawUpstream(t)
  const settings = parseHeaderSettings(['server_tokens'], ['x-kong-request-id'], { server: 'kong-dbless/0.1.0', via: 'kong/3.10.0' })
  const proxyHeaders = (req: Http2ServerRequest): string[] => {
    const head = readRequestHead(req.rawHeaders)
    const fwd = forwarded(compileClientAddress([]), head, req.rawHeaders, { peer: req.socket.remoteAddress, scheme: 'http', port: 8000, target: req.url }, undefined)
    return upstreamRequestHeaders(settings, req.rawHeaders, head, fwd, req.httpVersion, '0123456789abcdef0123456789abcdef').headers
  }
  const f = await front(t, newSessions(t), plain(up.port), '127.0.0.1:' + String(up.port), 5000, proxyHeaders)
  const metadata = new Metadata()
  metadata.set('x-forwarded-for', '10.0.0.1')
  metadata.set('x-real-ip', 'spoofed')
  metadata.set('via', '1.1 edge')
  const result = await unary(insecureClient(t, f.target), 'Hello', { name: 'h' }, metadata)
  t.equal(result.status.code, status.OK)
  const seen = up.requests[0] ?? {}
  t.match(seen, {
    ':method': 'POST',
    ':scheme': 'http',
    ':path': '/test.Greeter/Hello',
    ':authority': `127.0.0.1:${up.port}`,
    te: 'trailers',
    'content-type': 'application/grpc',
    via: '1.1 edge, 2 kong/3.10.0',
    'x-forwarded-for': '10.0.0.1, 127.0.0.1',
    'x-forwarded-proto': 'http',
    'x-forwarded-host': '127.0.0.1',
    'x-forwarded-port': '8000',
    'x-forwarded-path': '/test.Greeter/Hello',
    'x-real-ip': '127.0.0.1',
    'x-kong-request-id': '0123456789abcdef0123456789abcdef',
  })
  t.notOk('host' in seen, 'Host went as :authority')
})

t.test('a failed call: its status and message pass as the trailers-only response they were', async (t) => {
  const up = await grpcUpstream()
  t.teardown(() => up.close())
  const f = await front(t, newSessions(t), plain(up.port))
  const result = await unary(insecureClient(t, f.target), 'Fail', {})
  t.equal(result.status.code, status.NOT_FOUND)
  t.equal(result.status.details, 'no such greeting')
  t.strictSame(f.trailersOnly, [true])
  t.strictSame(await f.outcomes.next(), { kind: 'responded' })
})

t.test('server streaming: every message in order, then the status', async (t) => {
  const up = await grpcUpstream()
  t.teardown(() => up.close())
  const f = await front(t, newSessions(t), plain(up.port))
  const result = await serverStream(insecureClient(t, f.target), 'Count', { n: 50 })
  t.equal(result.status.code, status.OK)
  t.strictSame(result.messages.map((m) => m.i), Array.from({ length: 50 }, (_, i) => i + 1))
  t.strictSame(await f.outcomes.next(), { kind: 'responded' })
})

t.test('client streaming: the request body streams to the upstream', async (t) => {
  const up = await grpcUpstream()
  t.teardown(() => up.close())
  const f = await front(t, newSessions(t), plain(up.port))
  const result = await clientStream(insecureClient(t, f.target), 'Sum', [{ v: 1 }, { v: 2 }, { v: 39 }])
  t.equal(result.status.code, status.OK)
  t.strictSame(result.messages, [{ sum: 42 }])
})

t.test('a client that cancels a stream cancels the upstream call', async (t) => {
  const up = await grpcUpstream()
  t.teardown(() => up.close())
  const f = await front(t, newSessions(t), plain(up.port))
  const result = await serverStream(insecureClient(t, f.target), 'Forever', {}, (_m, cancel) => cancel())
  t.equal(result.status.code, status.CANCELLED)
  await up.cancelled
  const outcome = await f.outcomes.next()
  t.equal(outcome.kind, 'responded')
  t.ok(outcome.kind === 'responded' && outcome.error !== undefined, 'the try ended with an error, not a full response')
})

t.test('a dead upstream: the try fails before sending, 502 and retryable', async (t) => {
  const f = await front(t, newSessions(t), plain(await closedPort()))
  const result = await unary(insecureClient(t, f.target), 'Hello', { name: 'x' })
  t.equal(result.status.code, status.UNAVAILABLE)
  const outcome = await f.outcomes.next()
  t.match(outcome, { kind: 'failed', failure: { status: 502, retryable: true, reason: /ECONNREFUSED/ } })
})

t.test('grpcs: TLS with ALPN h2, verified against the test CA, with the server name', async (t) => {
  const up = await grpcUpstream({ certChain: pki.serverChain, key: pki.server.key })
  t.teardown(() => up.close())
  const sessions = newSessions(t)
  const address: UpstreamAddress = {
    scheme: 'https',
    ip: '127.0.0.1',
    port: up.port,
    connectTimeoutMs: 2000,
    tls: { servername: 'upstream.test', verify: true, verifyDepth: 1, ca: pki.root.cert, caIds: 'root', clientCert: undefined },
  }
  const f = await front(t, sessions, address, 'upstream.test')
  const result = await unary(insecureClient(t, f.target), 'Hello', { name: 'tls' })
  t.equal(result.status.code, status.OK)
  t.equal((result.messages[0] as { host: string }).host, 'upstream.test')

  // Without the CA the certificate cannot be verified: the session never comes up.
  const unverified = await grpcTryAsync(sessions, { ...address, tls: { ...address.tls!, ca: undefined, caIds: '' } }, helloRequest('x'), sinkStart().start)
  t.match(unverified, { kind: 'failed', failure: { status: 502, retryable: true, reason: /certificate/ } })
  // A chain longer than tls_verify_depth allows.
  const tooDeep = await grpcTryAsync(sessions, { ...address, tls: { ...address.tls!, verifyDepth: 0 } }, helloRequest('x'), sinkStart().start)
  t.match(tooDeep, { kind: 'failed', failure: { status: 502, retryable: true, reason: /chain too long/ } })
  // Kong's default for grpcs: no verification.
  const unchecked = await grpcTryAsync(sessions, { ...address, tls: undefined }, helloRequest('x'), sinkStart().start)
  t.equal(unchecked.kind, 'responded')
  t.equal(sessions.size, 2, 'one session per TLS parameter set; those that failed are not kept')
})

t.test('grpcs with a client certificate, for an upstream that requires one', async (t) => {
  const up = await grpcUpstream({ certChain: pki.serverChain, key: pki.server.key, clientCa: pki.root.cert })
  t.teardown(() => up.close())
  const address: UpstreamAddress = {
    scheme: 'https',
    ip: '127.0.0.1',
    port: up.port,
    connectTimeoutMs: 2000,
    tls: { servername: undefined, verify: true, verifyDepth: undefined, ca: pki.root.cert, caIds: 'root', clientCert: { id: 'c', ...pki.client } },
  }
  const f = await front(t, newSessions(t), address)
  const result = await unary(insecureClient(t, f.target), 'Hello', { name: 'mtls' })
  t.equal(result.status.code, status.OK)
})

/** A unary Hello request as one try sends it. */
function helloRequest(name: string, over: Partial<GrpcTryRequest> = {}): GrpcTryRequest {
  return {
    method: 'POST',
    path: '/test.Greeter/Hello',
    headers: ['content-type', 'application/grpc', 'te', 'trailers', 'host', 'direct.test'],
    body: grpcFrame({ name }),
    readTimeoutMs: 2000,
    ...over,
  }
}

/** A response target that collects what it is given. */
class Sink extends EventEmitter implements GrpcResponseTarget {
  readonly chunks: Buffer[] = []
  trailers: OutgoingHttpHeaders | undefined
  ended = false
  write(chunk: Buffer): boolean {
    this.chunks.push(chunk)
    return true
  }
  addTrailers(trailers: OutgoingHttpHeaders): void {
    this.trailers = trailers
  }
  end(): void {
    this.ended = true
  }
}

function sinkStart(): { sink: Sink; start: (status: number, headers: ResponseHeaders, trailersOnly: boolean) => Sink; head: { status?: number; headers?: ResponseHeaders; trailersOnly?: boolean } } {
  const sink = new Sink()
  const head: { status?: number; headers?: ResponseHeaders; trailersOnly?: boolean } = {}
  return {
    sink,
    head,
    start: (status, headers, trailersOnly) => {
      Object.assign(head, { status, headers, trailersOnly })
      return sink
    },
  }
}

interface RawUpstream {
  readonly port: number
  /** Sessions the upstream accepted. */
  sessions: number
  /** The headers of every request. */
  readonly requests: IncomingHttpHeaders[]
}

/** A raw HTTP/2 upstream; `handle` answers each stream (by default an OK gRPC reply). */
async function rawUpstream(t: Test, handle: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, session: Http2Session) => void = okReply): Promise<RawUpstream> {
  const server: Http2Server = createH2Server()
  const up: RawUpstream = { port: 0, sessions: 0, requests: [] }
  const open = new Set<Http2Session>()
  server.on('session', (session: Http2Session) => {
    up.sessions++
    open.add(session)
    session.on('close', () => open.delete(session))
  })
  server.on('stream', (stream, headers) => {
    up.requests.push(headers)
    stream.on('error', () => undefined)
    handle(stream, headers, stream.session!)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    for (const s of open) s.destroy()
    server.close(() => resolve())
  }))
  return Object.assign(up, { port: (server.address() as AddressInfo).port })
}

function okReply(stream: ServerHttp2Stream): void {
  stream.resume()
  stream.on('end', () => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'x-raw': 'trailer' }))
    stream.end(grpcFrame({ ok: true }))
  })
}

t.test('the HTTP/2 request headers: pseudo-headers, :authority from host, hop-by-hop dropped', async (t) => {
  const address = plain(50051)
  const flat = grpcRequestHeaders(address, {
    method: 'POST',
    path: '/a.B/C?x=1',
    headers: [':method', 'GET', 'Host', 'svc.test:81', 'host', 'second', 'Connection', 'close', 'Keep-Alive', '5', 'Transfer-Encoding', 'chunked', 'Upgrade', 'h2c', 'TE', 'trailers', 'Expect', '100-continue', 'X-Many', '1', 'x-many', '2', 'x-many', '3', 'Content-Type', 'application/grpc'],
  })
  t.strictSame(flat, {
    ':method': 'POST',
    ':scheme': 'http',
    ':path': '/a.B/C?x=1',
    te: 'trailers',
    'x-many': ['1', '2', '3'],
    'content-type': 'application/grpc',
    ':authority': 'svc.test:81',
  })
  const fromRecord = grpcRequestHeaders({ ...address, scheme: 'https', ip: '::1' }, { method: 'POST', path: '/p', headers: { te: 'gzip, trailers', 'x-list': ['a', 'b'], 'x-none': undefined, ':authority': 'ignored' } })
  t.strictSame(fromRecord, { ':method': 'POST', ':scheme': 'https', ':path': '/p', 'x-list': ['a', 'b'], ':authority': '[::1]:50051' }, 'TE other than trailers is dropped; no host gives the address')
})

t.test('direct: data, trailers and the session key; start throwing ends the try', async (t) => {
  const up = await rawUpstream(t)
  const sessions = newSessions(t)
  const { sink, start, head } = sinkStart()
  const outcome = await grpcTryAsync(sessions, plain(up.port), helloRequest('x'), start)
  t.strictSame(outcome, { kind: 'responded' })
  t.equal(head.status, 200)
  t.equal(head.trailersOnly, false)
  t.equal(head.headers?.['content-type'], 'application/grpc')
  t.notOk(Object.keys(head.headers ?? {}).some((k) => k.startsWith(':')), 'no pseudo-header is passed on')
  t.strictSame(Buffer.concat(sink.chunks), grpcFrame({ ok: true }))
  t.strictSame(sink.trailers, { 'grpc-status': '0', 'x-raw': 'trailer' })
  t.ok(sink.ended)
  t.equal(up.requests[0]?.[':authority'], 'direct.test')
  t.equal(up.requests[0]?.te, 'trailers')
  t.equal(sessionKey(plain(up.port)), `http|127.0.0.1|${up.port}|2000`)

  const thrown = await grpcTryAsync(sessions, plain(up.port), helloRequest('x'), () => {
    throw new Error('no target')
  })
  t.match(thrown, { kind: 'failed', failure: { status: 502, retryable: false, reason: 'no target' } }, 'a start that throws leaves a failed try')
})

t.test('sessions: reused, closed when idle, renewed after max requests, one per try without keep-alive', async (t) => {
  t.test('reuse and idle timeout', async (t) => {
    const up = await rawUpstream(t)
    const sessions = newSessions(t, { poolSize: 10, maxRequests: 0, idleTimeoutMs: 50 })
    await grpcTryAsync(sessions, plain(up.port), helloRequest('a'), sinkStart().start)
    const session = await acquired(sessions, plain(up.port))
    await grpcTryAsync(sessions, plain(up.port), helloRequest('b'), sinkStart().start)
    t.equal(up.sessions, 1, 'both tries went over one session')
    await session.closed
    t.equal(sessions.size, 0, 'the idle session was closed and dropped')
    await grpcTryAsync(sessions, plain(up.port), helloRequest('c'), sinkStart().start)
    t.equal(up.sessions, 2, 'a new session after the idle one closed')
  })
  t.test('upstream_keepalive_max_requests', async (t) => {
    const up = await rawUpstream(t)
    const sessions = newSessions(t, { poolSize: 10, maxRequests: 2, idleTimeoutMs: 0 })
    for (const name of ['a', 'b', 'c']) t.equal((await grpcTryAsync(sessions, plain(up.port), helloRequest(name), sinkStart().start)).kind, 'responded')
    t.equal(up.sessions, 2, 'the third try needed a new session')
  })
  t.test('pool size 0: a session per try, closed after it', async (t) => {
    const up = await rawUpstream(t)
    const sessions = newSessions(t, { poolSize: 0, maxRequests: 0, idleTimeoutMs: 0 })
    for (const name of ['a', 'b']) await grpcTryAsync(sessions, plain(up.port), helloRequest(name), sinkStart().start)
    t.equal(up.sessions, 2)
    t.equal(sessions.size, 0)
    await sessions.close()
  })
  t.test('sweep closes the sessions no try used since the last sweep; retain those a key keeps', async (t) => {
    const a = await rawUpstream(t)
    const b = await rawUpstream(t)
    const sessions = newSessions(t)
    await grpcTryAsync(sessions, plain(a.port), helloRequest('a'), sinkStart().start)
    await grpcTryAsync(sessions, plain(b.port), helloRequest('b'), sinkStart().start)
    await sessions.sweep()
    t.equal(sessions.size, 2, 'used in the period the sweep closed')
    await grpcTryAsync(sessions, plain(a.port), helloRequest('a'), sinkStart().start)
    await sessions.sweep()
    t.equal(sessions.size, 1, 'b was not used since the previous sweep')
    await sessions.retain((key) => !key.includes(`|${a.port}|`))
    t.equal(sessions.size, 0)
  })
})

/** The cached session for an address (connecting it if need be). */
function acquired(sessions: GrpcSessions, address: UpstreamAddress): Promise<GrpcSession> {
  return new Promise((resolve, reject) => sessions.acquire(address, (s) => (s instanceof Error ? reject(s) : resolve(s))))
}

t.test('a GOAWAY drops the session: the next try opens another', async (t) => {
  const up = await rawUpstream(t, (stream, headers, session) => {
    okReply(stream)
    if (up.requests.length === 1) stream.on('close', () => session.goaway(constants.NGHTTP2_NO_ERROR))
    void headers
  })
  const sessions = newSessions(t)
  const first = await acquired(sessions, plain(up.port))
  await grpcTryAsync(sessions, plain(up.port), helloRequest('a'), sinkStart().start)
  await first.closed
  t.equal(sessions.size, 0, 'dropped')
  t.equal((await grpcTryAsync(sessions, plain(up.port), helloRequest('b'), sinkStart().start)).kind, 'responded')
  t.equal(up.sessions, 2)
})

t.test('how a try fails', async (t) => {
  t.test('a refused stream was not processed: retryable', async (t) => {
    const up = await rawUpstream(t, (stream) => stream.close(constants.NGHTTP2_REFUSED_STREAM))
    const outcome = await grpcTryAsync(newSessions(t), plain(up.port), helloRequest('x'), sinkStart().start)
    t.strictSame(outcome, { kind: 'failed', failure: { status: 502, retryable: true, reason: 'the upstream refused the stream' } })
  })
  t.test('a stream reset before its response: 502, not retried (the call may have run)', async (t) => {
    const up = await rawUpstream(t, (stream) => stream.close(constants.NGHTTP2_INTERNAL_ERROR))
    const outcome = await grpcTryAsync(newSessions(t), plain(up.port), helloRequest('x'), sinkStart().start)
    t.match(outcome, { kind: 'failed', failure: { status: 502, retryable: false } })
  })
  t.test('a stream reset after its response began: the response is cut short', async (t) => {
    const up = await rawUpstream(t, (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' })
      stream.write(grpcFrame({ part: 1 }), () => stream.destroy(new Error('upstream fault')))
    })
    const { sink, start } = sinkStart()
    const outcome = await grpcTryAsync(newSessions(t), plain(up.port), helloRequest('x'), start)
    t.ok(outcome.kind === 'responded' && outcome.error !== undefined)
    t.strictSame(Buffer.concat(sink.chunks), grpcFrame({ part: 1 }), 'what came before the reset was passed on')
    t.notOk(sink.ended, 'the target was not ended as if complete')
  })
  t.test('a connection lost after the response began: the response is cut short', async (t) => {
    const up = await rawUpstream(t, (stream, _headers, session) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' })
      stream.write(grpcFrame({ part: 1 }), () => session.destroy())
    })
    const { sink, start } = sinkStart()
    const sessions = newSessions(t)
    const outcome = await grpcTryAsync(sessions, plain(up.port), helloRequest('x'), start)
    t.ok(outcome.kind === 'responded' && outcome.error !== undefined)
    t.notOk(sink.ended, 'the target was not ended as if complete')
  })
  t.test('no answer within read_timeout: 504, not retried', async (t) => {
    const up = await rawUpstream(t, (stream) => stream.resume())
    const outcome = await grpcTryAsync(newSessions(t), plain(up.port), helloRequest('x', { readTimeoutMs: 100 }), sinkStart().start)
    t.match(outcome, { kind: 'failed', failure: { status: 504, retryable: false, reason: /ETIMEDOUT/ } })
  })
  t.test('a TLS upstream that never completes the handshake: connect timeout, 504, retryable', async (t) => {
    const up = await silentUpstream()
    t.teardown(() => up.close())
    const address: UpstreamAddress = { scheme: 'https', ip: '127.0.0.1', port: up.port, connectTimeoutMs: 100 }
    const outcome = await grpcTryAsync(newSessions(t), address, helloRequest('x'), sinkStart().start)
    t.match(outcome, { kind: 'failed', failure: { status: 504, retryable: true, reason: /connecting timed out after 100 ms/ } })
  })
  t.test('an upstream that resets the connection once the request is sent: 502, not retried', async (t) => {
    const up = await resetUpstream()
    t.teardown(() => up.close())
    const outcome = await grpcTryAsync(newSessions(t), plain(up.port), helloRequest('x'), sinkStart().start)
    t.match(outcome, { kind: 'failed', failure: { status: 502 } })
  })
  t.test('a header name that is no token: 502, not retried, and the session (shared) stays up', async (t) => {
    const up = await rawUpstream(t)
    const sessions = newSessions(t)
    const bad = await grpcTryAsync(sessions, plain(up.port), helloRequest('x', { headers: ['bad name', 'x', 'host', 'a.test'] }), sinkStart().start)
    t.match(bad, { kind: 'failed', failure: { status: 502, retryable: false, reason: 'request header name "bad name" cannot be sent over HTTP/2' } })
    t.equal((await grpcTryAsync(sessions, plain(up.port), helloRequest('x'), sinkStart().start)).kind, 'responded')
    t.equal(up.sessions, 1)
  })
  t.test('a request body over its bound: 413', async (t) => {
    const up = await rawUpstream(t, (stream) => stream.resume())
    const body = new Readable({ read() {} })
    const outcome = grpcTryAsync(newSessions(t), plain(up.port), helloRequest('x', { body }), sinkStart().start)
    body.push(grpcFrame({ a: 1 }))
    body.destroy(Object.assign(new Error('request body too large'), { code: BODY_TOO_LARGE }))
    t.match(await outcome, { kind: 'failed', failure: { status: 413, retryable: false } })
  })
  t.test('a client gone before the try, or during it', async (t) => {
    const up = await rawUpstream(t, (stream) => stream.resume())
    const sessions = newSessions(t)
    const gone = new AbortController()
    gone.abort()
    t.match(await grpcTryAsync(sessions, plain(up.port), helloRequest('x', { signal: gone.signal }), sinkStart().start), { kind: 'failed', failure: { retryable: false } })
    const leaving = new AbortController()
    const pending = grpcTryAsync(sessions, plain(up.port), helloRequest('x', { signal: leaving.signal }), sinkStart().start)
    await new Promise<void>((resolve) => {
      const check = (): void => (up.requests.length > 0 ? resolve() : void setImmediate(check))
      check()
    })
    leaving.abort()
    t.match(await pending, { kind: 'failed', failure: { status: 502, retryable: false, reason: /went away/ } })
  })
})

/** An upstream handler answering with `frames` messages of about 1 kB each. */
function bulkReply(frames: number): (stream: ServerHttp2Stream) => void {
  return (stream) => {
    stream.resume()
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }))
    for (let i = 0; i < frames; i++) stream.write(grpcFrame({ i, pad: 'x'.repeat(1000) }))
    stream.end()
  }
}

t.test('a slow client: the upstream stream waits for the target to drain', async (t) => {
  const frames = 200
  const up = await rawUpstream(t, bulkReply(frames))
  let writes = 0
  let pauses = 0
  class SlowSink extends Sink {
    override write(chunk: Buffer): boolean {
      super.write(chunk)
      writes++
      // Full every other write; drains on the next turn.
      if (writes % 2 === 1) return true
      pauses++
      setImmediate(() => this.emit('drain'))
      return false
    }
  }
  const sink = new SlowSink()
  const outcome = await grpcTryAsync(newSessions(t), plain(up.port), helloRequest('x'), () => sink)
  t.strictSame(outcome, { kind: 'responded' })
  t.ok(pauses > 0, 'the stream was paused')
  const expected = Buffer.concat(Array.from({ length: frames }, (_, i) => grpcFrame({ i, pad: 'x'.repeat(1000) })))
  t.ok(Buffer.concat(sink.chunks).equals(expected), 'everything arrived, in order')
  t.strictSame(sink.trailers, { 'grpc-status': '0' })
})

t.test('a client slower than read_timeout: waiting on the client is not waiting on the upstream', async (t) => {
  const up = await rawUpstream(t, bulkReply(100))
  let stuck = true
  class StuckSink extends Sink {
    override write(chunk: Buffer): boolean {
      super.write(chunk)
      if (!stuck) return true
      // Full once, until well past the read timeout (this delay is the point of the test).
      stuck = false
      setTimeout(() => this.emit('drain'), 200)
      return false
    }
  }
  const sink = new StuckSink()
  const outcome = await grpcTryAsync(newSessions(t), plain(up.port), helloRequest('x', { readTimeoutMs: 50 }), () => sink)
  t.strictSame(outcome, { kind: 'responded' })
  t.strictSame(sink.trailers, { 'grpc-status': '0' })
})

t.test('close waits for the sessions and leaves none', async (t) => {
  const up = await rawUpstream(t)
  const sessions = new GrpcSessions(KEEPALIVE)
  await grpcTryAsync(sessions, plain(up.port), helloRequest('x'), sinkStart().start)
  const session = await acquired(sessions, plain(up.port))
  await sessions.close()
  t.equal(sessions.size, 0)
  t.ok(session.h2.closed, 'the session is closed')
})
