/**
 * One proxied request, as Kong's runloop takes it: match a route, check its protocols, work out
 * the upstream URI and headers, ask the balancer for a peer, forward (trying again on connection
 * failures up to the service's `retries`), and answer with the upstream's response or Kong's
 * error. Every request reads the worker's current runtime once and keeps it to the end.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isIP, type Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { Readable } from 'node:stream'
import { BalancerError, type Peer, type PeerSource } from '../balancer/peer.js'
import { proxiedClient } from '../http/connection-front.js'
import { hasBody, headerLines } from '../http/header-lines.js'
import { PROXY_MESSAGES } from '../http/kong-errors.js'
import type { NodeLogger } from '../log.js'
import type { ClientAddressSettings } from '../proxy/client-address.js'
import { errorPage, kongError, type ErrorResponse } from '../proxy/error-response.js'
import { limitBody } from '../proxy/body-limit.js'
import { forwardTry, type TryOutcome, type TryRequest } from '../proxy/forward.js'
import { grpcRouteCheck } from '../proxy/grpc-checks.js'
import { grpcTry, sendHttp2Answer, writeGrpcHead, type GrpcClientResponse, type GrpcResponseStart, type GrpcSessions } from '../proxy/grpc-forward.js'
import { firstHeader } from '../proxy/header-text.js'
import type { HeaderSettings } from '../proxy/header-settings.js'
import { forwarded, readRequestHead, upstreamRequestHeaders, wantsTrailers, type RequestHead } from '../proxy/request-headers.js'
import { addDebugHeaders, addKongResponseHeaders, dropConnectionHeaders, passedResponseHeaders, type ResponseHeaders } from '../proxy/response-headers.js'
import { poolKey, type UpstreamAddress, type UpstreamPools } from '../proxy/upstream-pools.js'
import { strippedPrefix, upstreamUri } from '../proxy/upstream-uri.js'
import type { RouteMatch } from '../router/router.js'
import type { Runtime } from '../runtime/runtime.js'
import type { ServicePlan } from '../runtime/service-plans.js'
import type { AccessLog } from './access-log.js'
import { nextRequestId } from './request-id.js'

/** What the proxy's request handler works with, fixed for the life of the worker. */
export interface ProxyDeps {
  /** The worker's current runtime; undefined until the first config is applied. */
  readonly current: () => Runtime | undefined
  readonly pools: UpstreamPools
  /** HTTP/2 sessions to grpc and grpcs upstreams. */
  readonly grpcSessions: GrpcSessions
  readonly headers: HeaderSettings
  readonly clientAddress: ClientAddressSettings
  readonly accessLog: AccessLog
  readonly log: NodeLogger
  /** allow_debug_header. */
  readonly debugHeaders: boolean
  /** error_default_type, for error pages. */
  readonly errorDefaultType: string
  /** nginx_http_client_max_body_size in bytes; 0 is no limit. */
  readonly maxBodyBytes: number
  /** nginx_http_client_body_buffer_size: bodies up to it are read before the first try, so a retry can send them again. */
  readonly bufferBodyBytes: number
  /** The size of one of nginx_http_large_client_header_buffers: the longest request line or header line. */
  readonly headerBufferBytes: number
  /** Told when a response is done, for the connection counters. */
  readonly responded: (socket: Socket) => void
}

/** What a request did, for the access log and Kong's latency headers. */
export interface Trace {
  readonly started: number
  readonly requestId: string
  route: RouteMatch | undefined
  proxied: boolean
  /** When the balancer step ended (first peer picked). */
  balanced: number
  tryStarted: number
  upstreamStatus: number | undefined
  upstream: string | undefined
  tries: number
  /** The client's connection and address, kept from the start: a request stream undici destroyed has no socket any more. */
  readonly socket: Socket
  readonly client: string
  /** The client speaks HTTP/2: its responses carry no connection-specific headers. */
  readonly http2: boolean
}

/** A request's trace, started now. */
export function newTrace(req: IncomingMessage): Trace {
  return {
    socket: req.socket,
    client: req.socket.remoteAddress ?? '',
    http2: req.httpVersionMajor === 2,
    started: performance.now(),
    requestId: nextRequestId(),
    route: undefined,
    proxied: false,
    balanced: 0,
    tryStarted: 0,
    upstreamStatus: undefined,
    upstream: undefined,
    tries: 0,
  }
}

/** The handler of the proxy listeners. */
export function createProxyHandler(deps: ProxyDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const trace = newTrace(req)
    let ended = false
    // Called once, however the request ends: the counters and the access log learn of it.
    const done = (): void => {
      if (ended) return
      ended = true
      deps.responded(trace.socket)
      logAccess(deps, req, res.statusCode, trace)
    }
    const fail = (err: unknown): void => {
      if (trace.socket.destroyed) {
        deps.log.info({ request_id: trace.requestId, reason: (err as Error).message }, 'the client closed the connection')
      } else {
        deps.log.error({ request_id: trace.requestId, error: (err as Error).message }, 'the proxy failed a request')
        if (!res.headersSent) answer(deps, res, kongError(500, PROXY_MESSAGES.unexpected, req, trace.requestId), trace)
        else res.destroy()
      }
      done()
    }
    try {
      handle(deps, req, res, trace, done, fail)
    } catch (err) {
      fail(err)
    }
  }
}

/** Writes a request's access log line. */
export function logAccess(deps: ProxyDeps, req: IncomingMessage, status: number, trace: Trace): void {
  const now = performance.now()
  deps.accessLog.write({
    method: req.method ?? '',
    path: req.url ?? '',
    status,
    client_ip: trace.client,
    request_id: trace.requestId,
    route_id: trace.route?.route.id,
    service_id: trace.route?.service?.id,
    latencies: {
      request: Math.round(now - trace.started),
      kong: Math.round((trace.proxied ? trace.balanced : now) - trace.started),
      proxy: trace.proxied && trace.upstreamStatus !== undefined ? Math.round(now - trace.tryStarted) : undefined,
    },
    upstream: trace.upstream,
    tries: trace.tries,
  })
}

/** Kong's own headers on an answer Kong makes itself (proxied when a try was made). */
export function ownAnswerHeaders(deps: ProxyDeps, response: ErrorResponse, trace: Trace, extra?: Readonly<Record<string, string>>): ResponseHeaders {
  const headers: ResponseHeaders = { ...response.headers, ...extra }
  const now = performance.now()
  addKongResponseHeaders(deps.headers, headers, {
    proxied: trace.proxied,
    requestId: trace.requestId,
    upstreamLatency: trace.proxied ? now - trace.tryStarted : 0,
    proxyLatency: trace.balanced - trace.started,
    responseLatency: now - trace.started,
    upstreamStatus: trace.upstreamStatus,
    upstreamVia: undefined,
    grpcUpstream: false,
  })
  return headers
}

/** Sends one of Kong's own answers with Kong's headers. */
function answer(deps: ProxyDeps, res: ServerResponse, response: ErrorResponse, trace: Trace, extra?: Readonly<Record<string, string>>): void {
  const headers = ownAnswerHeaders(deps, response, trace, extra)
  if (trace.http2) {
    // An empty answer goes as one HEADERS frame that ends the stream, where gRPC clients read its status.
    dropConnectionHeaders(headers)
    sendHttp2Answer(res, response.status, headers, response.body)
    return
  }
  res.writeHead(response.status, headers as Record<string, string | string[]>)
  res.end(response.body)
}

/** No body follows the head. */
const noBody = (req: IncomingMessage, head: RequestHead): boolean => !hasBody(req, head.contentLength, head.transferEncoding)

/** Reads a body of known, small size whole, so that a retry can send it again. */
function readBody(req: IncomingMessage, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const body = Buffer.allocUnsafe(length)
    let at = 0
    req.on('data', (chunk: Buffer) => {
      chunk.copy(body, at)
      at += chunk.length
    })
    req.once('end', () => resolve(at === length ? body : body.subarray(0, at)))
    req.once('error', reject)
    // A client that goes before its body is in: there is nobody left to answer.
    req.once('close', () => {
      if (!req.complete) reject(new Error('the client closed the connection before its request body was in'))
    })
  })
}

const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)/i

/** What a request resolves to before anything is sent upstream: Kong's own answer, or where to forward it. */
export type Resolution =
  | { readonly kind: 'answer'; readonly response: ErrorResponse; readonly extra?: Readonly<Record<string, string>> }
  | { readonly kind: 'forward'; readonly forwarding: Forwarding; readonly route: RouteMatch }

/**
 * Kong's access phase up to the balancer: nginx's own refusals, the route, the protocol checks,
 * the service, the upstream URI and headers. Shared by plain requests and WebSocket upgrades.
 */
export function resolveRequest(deps: ProxyDeps, req: IncomingMessage, trace: Trace, runtime: Runtime | undefined): Resolution {
  const rawHeaders = req.rawHeaders
  const method = req.method ?? 'GET'
  let target = req.url ?? '/'
  const head = readRequestHead(rawHeaders)
  // An absolute-form target (`GET http://host/path`): nginx routes by its path, and its host
  // stands for the Host header.
  if (target.charCodeAt(0) !== 0x2f) {
    const absolute = ABSOLUTE_FORM.exec(target)
    if (absolute !== null) {
      head.host = absolute[1]
      target = target.slice(absolute[0].length)
      if (target.charCodeAt(0) !== 0x2f) target = `/${target}`
    }
  }
  const q = target.indexOf('?', 1)
  const rawPath = q === -1 ? target : target.slice(0, q)
  const socket = trace.socket
  const port = socket.localPort ?? 0
  // An HTTP/2 request's socket is a stand-in whose reads reach the TLS socket.
  const tls = (socket as TLSSocket).encrypted === true
  const scheme = tls ? 'https' : 'http'
  const sni = tls ? (socket as TLSSocket).servername || undefined : undefined
  const refuse = (status: number): Resolution => ({ kind: 'answer', response: errorPage(status, req, trace.requestId, deps.errorDefaultType) })

  // What nginx refuses before Kong sees the request.
  if (method === 'TRACE') return refuse(405)
  if (head.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor === 1) return refuse(400)
  if (deps.maxBodyBytes > 0 && head.contentLength !== undefined && Number(head.contentLength) > deps.maxBodyBytes) return refuse(413)
  // nginx's large_client_header_buffers: the request line, and each header line, fit in one buffer.
  if (target.length + method.length + 10 > deps.headerBufferBytes) return refuse(414)
  let hosts = 0
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? ''
    if (name.length + (rawHeaders[i + 1] ?? '').length + 4 > deps.headerBufferBytes) return refuse(494)
    // nginx refuses a request with two Host lines.
    if (name.length === 4 && (name === 'Host' || name.toLowerCase() === 'host') && ++hosts > 1) return refuse(400)
  }

  // Every line of a repeated header is a value of its own, as Kong's router sees them.
  const match = runtime?.router.match({ method, rawPath, host: head.host, port, scheme, sni, header: (name) => headerLines(req, name) })
  if (match === undefined) return { kind: 'answer', response: kongError(404, PROXY_MESSAGES.noRoute, req, trace.requestId) }
  trace.route = match
  const route = match.route
  const prefix = strippedPrefix(match.prefix, route.strip_path)
  // Only real_ip_header = proxy_protocol reads what the listener's front took from a PROXY header.
  const proxied = deps.clientAddress.header === 'proxy_protocol' ? proxiedClient(socket)?.source : undefined
  const fwd = forwarded(deps.clientAddress, head, rawHeaders, { peer: socket.remoteAddress, scheme, port, target, proxied }, prefix)

  // An https-only route over plain http: 426, or the redirect the route asks for.
  const protocols = route.protocols
  if (fwd.proto !== 'https' && protocols.includes('https') && !protocols.includes('http')) {
    const code = route.https_redirect_status_code
    if (code === 426) return { kind: 'answer', response: kongError(426, PROXY_MESSAGES.useHttps, req, trace.requestId), extra: { connection: 'Upgrade', upgrade: 'TLS/1.2, HTTP/1.1' } }
    return { kind: 'answer', response: { status: code, headers: { location: `https://${fwd.host}${target}`, 'content-length': '0' }, body: '' } }
  }

  if (protocols.includes('grpc') || protocols.includes('grpcs')) {
    const facts = { protocols, httpVersionMajor: req.httpVersionMajor, contentType: firstHeader(rawHeaders, 'content-type'), forwardedProto: fwd.proto }
    const refusal = grpcRouteCheck(facts, req, trace.requestId)
    if (refusal !== undefined) return { kind: 'answer', response: refusal }
  }

  const service = match.service
  if (service === undefined) return { kind: 'answer', response: kongError(503, PROXY_MESSAGES.noService, req, trace.requestId) }
  const plan = runtime?.plans.get(service.id)
  const source = runtime?.balancers.forService(service.id)
  if (plan === undefined || source === undefined) {
    return { kind: 'answer', response: kongError(502, `protocol '${service.protocol}' of service '${service.name ?? service.id}' is not proxied yet`, req, trace.requestId) }
  }
  const upstream = upstreamRequestHeaders(deps.headers, rawHeaders, head, fwd, req.httpVersion, trace.requestId)
  // nginx's grpc_pass has no URI: a gRPC call goes upstream with the client's own.
  const path = plan.grpc ? target : upstreamUri(match.path, match.prefix, route.strip_path, service.path, q === -1 ? undefined : target.slice(q + 1))
  return {
    kind: 'forward',
    route: match,
    forwarding: { plan, source, head, headers: upstream.headers, path, body: null, method, preserveHost: route.preserve_host, upgrade: upstream.upgrade },
  }
}

/** How a request ends: `done` once it is answered, `fail` on an error of ours. */
type Done = () => void
type Fail = (err: unknown) => void

// Written with callbacks rather than async functions: a request that needs no wait (no body to
// read, no DNS answer to await) goes from socket to upstream without a promise.
function handle(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse, trace: Trace, done: Done, fail: Fail): void {
  const resolution = resolveRequest(deps, req, trace, deps.current())
  if (resolution.kind === 'answer') {
    answer(deps, res, resolution.response, trace, resolution.extra)
    return done()
  }
  const f = resolution.forwarding
  if (noBody(req, f.head)) return balance(deps, req, res, trace, f, done, fail)
  // gRPC streams both ways, as nginx's grpc module does: the body is never read ahead.
  if (f.plan.grpc) return balance(deps, req, res, trace, { ...f, body: req }, done, fail)
  const length = f.head.contentLength === undefined ? Number.NaN : Number(f.head.contentLength)
  if (resolution.route.route.request_buffering && length <= deps.bufferBodyBytes) {
    readBody(req, length).then((body) => balance(deps, req, res, trace, { ...f, body }, done, fail), fail)
    return
  }
  const body = deps.maxBodyBytes > 0 && f.head.contentLength === undefined ? req.pipe(limitBody(deps.maxBodyBytes)) : req
  balance(deps, req, res, trace, { ...f, body }, done, fail)
}

function balance(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse, trace: Trace, f: Forwarding, done: Done, fail: Fail): void {
  const ready = f.source.ready()
  if (ready === undefined) return forward(deps, req, res, trace, f, done)
  ready.then(() => forward(deps, req, res, trace, f, done)).catch(fail)
}

/** Everything a request needs to be sent upstream. */
export interface Forwarding {
  readonly plan: ServicePlan
  readonly source: PeerSource
  readonly head: RequestHead
  /** Upstream request headers (flat); the Host header is added per try. */
  readonly headers: string[]
  readonly path: string
  readonly body: Buffer | Readable | null
  readonly method: string
  readonly preserveHost: boolean
  /** `websocket` when the client asked to upgrade to it. */
  readonly upgrade: 'websocket' | undefined
}

/** The Host header of a try: the client's (preserve_host), else the upstream's host_header or the peer's name, with the port unless it is the scheme's. */
function hostHeader(f: Forwarding, hostname: string, port: number): string {
  if (f.preserveHost && f.head.host !== undefined) return f.head.host
  const name = f.source.hostHeader ?? hostname
  return port === f.plan.defaultPort ? name : `${name}:${port}`
}

/** The TLS server name of a try (nginx's `proxy_ssl_name $upstream_host`): the Host without its port; none for an IP. */
function serverName(host: string): string | undefined {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.split(':')[0] ?? host
  return isIP(name) === 0 && name !== '' ? name : undefined
}

/**
 * Kong's answer when the balancer has no peer: from its access phase on the first pick (Kong's
 * message, not proxied), from its error page on a retry.
 */
export function noPeerAnswer(deps: ProxyDeps, req: IncomingMessage, trace: Trace, failure: BalancerError): ErrorResponse {
  if (trace.tries > 0) return errorPage(failure.status, req, trace.requestId, deps.errorDefaultType)
  trace.proxied = false
  if (failure.reason !== undefined) deps.log.error({ request_id: trace.requestId, reason: failure.reason }, failure.message)
  return kongError(failure.status, failure.message, req, trace.requestId)
}

/** Starts a try on `peer`: counts it in the trace, writes its Host header at `headers[hostAt]`, and says where it connects. */
export function startTry(trace: Trace, f: Forwarding, peer: Peer, headers: string[], hostAt: number): UpstreamAddress {
  trace.tries++
  trace.upstream = peer.hostPort
  trace.tryStarted = performance.now()
  const host = hostHeader(f, peer.hostname, peer.port)
  headers[hostAt] = host
  return addressOf(f.plan, peer, host)
}

/** Where a try connects: the peer, with the plan's timeouts and TLS (server name from the Host header). */
function addressOf(plan: ServicePlan, peer: Peer, host: string): UpstreamAddress {
  return plan.tls
    ? { scheme: 'https', ip: peer.ip, port: peer.port, connectTimeoutMs: plan.connectTimeoutMs, tls: { ...plan.tls, servername: serverName(host) } }
    : { scheme: 'http', ip: peer.ip, port: peer.port, connectTimeoutMs: plan.connectTimeoutMs }
}

function forward(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse, trace: Trace, f: Forwarding, done: Done): void {
  const { plan, source } = f
  trace.balanced = performance.now()
  const headers = f.headers
  headers.push('host', '')
  const hostAt = headers.length - 1
  const request: TryRequest = { method: f.method, path: f.path, headers, body: f.body, readTimeoutMs: plan.readTimeoutMs }
  const clientTrailers = wantsTrailers(f.head)
  const debug = deps.debugHeaders && f.head.kongDebug
  const grpc = plan.grpc
  /** The client's response head from the upstream's: hop-by-hop headers out, Kong's in. */
  const responseHead = (status: number, received: ResponseHeaders): ResponseHeaders => {
    trace.upstreamStatus = status
    const firstByte = performance.now()
    const upstreamHeaders = passedResponseHeaders(received, undefined, clientTrailers)
    const via = upstreamHeaders.via
    addKongResponseHeaders(deps.headers, upstreamHeaders, {
      proxied: true,
      requestId: trace.requestId,
      upstreamLatency: firstByte - trace.tryStarted,
      proxyLatency: trace.balanced - trace.started,
      responseLatency: 0,
      upstreamStatus: status,
      upstreamVia: Array.isArray(via) ? via.join(', ') : via,
      grpcUpstream: grpc,
    })
    if (debug) addDebugHeaders(upstreamHeaders, trace.route?.route, trace.route?.service)
    if (trace.http2) dropConnectionHeaders(upstreamHeaders)
    return upstreamHeaders
  }
  const start = (status: number, received: ResponseHeaders): ServerResponse => {
    res.writeHead(status, responseHead(status, received) as Record<string, string | string[]>)
    return res
  }
  // A gRPC call whose client went away is cancelled upstream; its head, when the upstream ends
  // the stream with it (a trailers-only answer), must leave as one frame.
  let cancel: AbortController | undefined
  let grpcStart: GrpcResponseStart | undefined
  if (grpc) {
    const controller = (cancel = new AbortController())
    res.once('close', () => controller.abort())
    grpcStart = (status, received, trailersOnly) => {
      const target = res as unknown as GrpcClientResponse
      writeGrpcHead(target, status, responseHead(status, received), trailersOnly)
      return target
    }
  }

  let peerHostPort = ''
  const attempt = (): void => {
    const peer = source.pick(trace.tries)
    if (peer instanceof BalancerError) {
      answer(deps, res, noPeerAnswer(deps, req, trace, peer), trace)
      return done()
    }
    peerHostPort = peer.hostPort
    const address = startTry(trace, f, peer, headers, hostAt)
    if (cancel !== undefined && grpcStart !== undefined) grpcTry(deps.grpcSessions, address, { ...request, signal: cancel.signal }, grpcStart, settle)
    else forwardTry(deps.pools.get(address, poolKey(address)), request, start, settle)
  }
  const settle = (outcome: TryOutcome): void => {
    if (outcome.kind === 'responded') {
      if (outcome.error !== undefined) {
        // Either side may have gone: a client that left is not the upstream's failure.
        if (trace.socket.destroyed) deps.log.info({ request_id: trace.requestId }, 'the client closed the connection before the response was sent')
        else deps.log.error({ request_id: trace.requestId, upstream: peerHostPort, error: outcome.error.message }, 'upstream response cut short')
        res.destroy()
      }
      return done()
    }
    const { failure } = outcome
    // An HTTP/2 client can leave while its connection stays: nobody is left to answer.
    if (cancel?.signal.aborted === true) {
      deps.log.info({ request_id: trace.requestId }, 'the client cancelled the call')
      return done()
    }
    const more = failure.retryable && trace.tries <= source.retries
    deps.log.error(
      { request_id: trace.requestId, upstream: peerHostPort, try: trace.tries, reason: failure.reason },
      more ? 'upstream try failed; trying the next peer' : 'upstream try failed',
    )
    if (more) return attempt()
    if (failure.status === 413) trace.proxied = false
    answer(deps, res, errorPage(failure.status, req, trace.requestId, deps.errorDefaultType), trace)
    done()
  }
  trace.proxied = true
  attempt()
}
