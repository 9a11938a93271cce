/**
 * One proxied request, as Kong's runloop takes it: match a route, check its protocols, work out
 * the upstream URI and headers, ask the balancer for a peer, forward (trying again on connection
 * failures up to the service's `retries`), and answer with the upstream's response or Kong's
 * error. Every request reads the worker's current runtime once and keeps it to the end.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import type { Readable } from 'node:stream'
import { BalancerError, type PeerSource } from '../balancer/peer.js'
import { PROXY_MESSAGES } from '../http/kong-errors.js'
import type { NodeLogger } from '../log.js'
import type { ClientAddressSettings } from '../proxy/client-address.js'
import { errorPage, kongError, type ErrorResponse } from '../proxy/error-response.js'
import { forwardTry, type TryRequest } from '../proxy/forward.js'
import type { HeaderSettings } from '../proxy/header-settings.js'
import { forwarded, readRequestHead, upstreamRequestHeaders, wantsTrailers, type RequestHead } from '../proxy/request-headers.js'
import { addDebugHeaders, addKongResponseHeaders, stripResponseHopByHop, type ResponseHeaders } from '../proxy/response-headers.js'
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
}


/** What a request did, for the access log and Kong's latency headers. */
interface Trace {
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
}

/** The handler of the proxy listeners. */
export function createProxyHandler(deps: ProxyDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const trace: Trace = {
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
    handle(deps, req, res, trace).then(
      () => logAccess(deps, req, res, trace),
      (err: unknown) => {
        deps.log.error({ request_id: trace.requestId, error: (err as Error).message }, 'the proxy failed a request')
        if (!res.headersSent) answer(deps, res, kongError(500, PROXY_MESSAGES.unexpected, req, trace.requestId), trace)
        else res.destroy()
        logAccess(deps, req, res, trace)
      },
    )
  }
}

function logAccess(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse, trace: Trace): void {
  const now = performance.now()
  deps.accessLog.write({
    method: req.method ?? '',
    path: req.url ?? '',
    status: res.statusCode,
    client_ip: req.socket.remoteAddress ?? '',
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

/** Sends one of Kong's own answers with Kong's headers. */
function answer(deps: ProxyDeps, res: ServerResponse, response: ErrorResponse, trace: Trace, extra?: Readonly<Record<string, string>>): void {
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
  res.writeHead(response.status, headers as Record<string, string | string[]>)
  res.end(response.body)
}

const noBody = (head: RequestHead): boolean => head.transferEncoding === undefined && (head.contentLength === undefined || head.contentLength === '0')

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
  })
}

async function handle(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse, trace: Trace): Promise<void> {
  const runtime = deps.current()
  const rawHeaders = req.rawHeaders
  const method = req.method ?? 'GET'
  const target = req.url ?? '/'
  const q = target.indexOf('?', 1)
  const rawPath = q === -1 ? target : target.slice(0, q)
  const head = readRequestHead(rawHeaders)
  const socket = req.socket
  const port = socket.localPort ?? 0
  const scheme = 'http'

  // What nginx refuses before Kong sees the request.
  if (method === 'TRACE') return answer(deps, res, errorPage(405, req, trace.requestId, deps.errorDefaultType), trace)
  if (head.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor === 1) {
    return answer(deps, res, errorPage(400, req, trace.requestId, deps.errorDefaultType), trace)
  }
  if (deps.maxBodyBytes > 0 && head.contentLength !== undefined && Number(head.contentLength) > deps.maxBodyBytes) {
    return answer(deps, res, errorPage(413, req, trace.requestId, deps.errorDefaultType), trace)
  }

  const match = runtime?.router.match({
    method,
    rawPath,
    host: head.host,
    port,
    scheme,
    header: (name) => req.headers[name],
  })
  if (match === undefined) return answer(deps, res, kongError(404, PROXY_MESSAGES.noRoute, req, trace.requestId), trace)
  trace.route = match
  const route = match.route
  const prefix = strippedPrefix(match.prefix, route.strip_path)
  const fwd = forwarded(deps.clientAddress, head, rawHeaders, { peer: socket.remoteAddress, scheme, port, target }, prefix)

  // An https-only route over plain http: 426, or the redirect the route asks for.
  const protocols = route.protocols
  if (fwd.proto !== 'https' && protocols.includes('https') && !protocols.includes('http')) {
    const code = route.https_redirect_status_code
    if (code === 426) {
      return answer(deps, res, kongError(426, PROXY_MESSAGES.useHttps, req, trace.requestId), trace, { connection: 'Upgrade', upgrade: 'TLS/1.2, HTTP/1.1' })
    }
    return answer(deps, res, { status: code, headers: { location: `https://${fwd.host}${target}`, 'content-length': '0' }, body: '' }, trace)
  }

  const service = match.service
  if (service === undefined) return answer(deps, res, kongError(503, PROXY_MESSAGES.noService, req, trace.requestId), trace)
  const plan = runtime?.plans.get(service.id)
  const source = runtime?.balancers.forService(service.id)
  if (plan === undefined || source === undefined) {
    return answer(deps, res, kongError(502, `protocol '${service.protocol}' of service '${service.name ?? service.id}' is not proxied over HTTP/1.1 yet`, req, trace.requestId), trace)
  }

  const upstream = upstreamRequestHeaders(deps.headers, rawHeaders, head, fwd, req.httpVersion, trace.requestId)
  const path = upstreamUri(match.path, match.prefix, route.strip_path, service.path, q === -1 ? undefined : target.slice(q + 1))

  let body: Buffer | Readable | null = null
  if (!noBody(head)) {
    const length = head.contentLength === undefined ? Number.NaN : Number(head.contentLength)
    body = route.request_buffering && length <= deps.bufferBodyBytes ? await readBody(req, length) : req
  }

  const ready = source.ready()
  if (ready !== undefined) await ready
  trace.balanced = performance.now()
  await forward(deps, req, res, trace, { plan, source, head, headers: upstream.headers, path, body, method, preserveHost: route.preserve_host })
}

interface Forwarding {
  readonly plan: ServicePlan
  readonly source: PeerSource
  readonly head: RequestHead
  readonly headers: string[]
  readonly path: string
  readonly body: Buffer | Readable | null
  readonly method: string
  readonly preserveHost: boolean
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

async function forward(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse, trace: Trace, f: Forwarding): Promise<void> {
  const { plan, source } = f
  const headers = f.headers
  headers.push('host', '')
  const hostAt = headers.length - 1
  const request: TryRequest = { method: f.method, path: f.path, headers, body: f.body, readTimeoutMs: plan.readTimeoutMs }
  const clientTrailers = wantsTrailers(f.head)
  const debug = deps.debugHeaders && f.head.kongDebug
  const start = (status: number, upstreamHeaders: ResponseHeaders): ServerResponse => {
    trace.upstreamStatus = status
    const firstByte = performance.now()
    stripResponseHopByHop(upstreamHeaders, undefined, clientTrailers)
    const via = upstreamHeaders.via
    addKongResponseHeaders(deps.headers, upstreamHeaders, {
      proxied: true,
      requestId: trace.requestId,
      upstreamLatency: firstByte - trace.tryStarted,
      proxyLatency: trace.balanced - trace.started,
      responseLatency: 0,
      upstreamStatus: status,
      upstreamVia: Array.isArray(via) ? via.join(', ') : via,
      grpcUpstream: false,
    })
    if (debug) addDebugHeaders(upstreamHeaders, trace.route?.route, trace.route?.service)
    res.writeHead(status, upstreamHeaders as Record<string, string | string[]>)
    return res
  }

  trace.proxied = true
  for (;;) {
    const peer = source.pick(trace.tries)
    if (peer instanceof BalancerError) {
      // Kong answers a failure of the first pick from its access phase, a later one from its error page.
      if (trace.tries === 0) {
        trace.proxied = false
        if (peer.reason !== undefined) deps.log.error({ request_id: trace.requestId, reason: peer.reason }, peer.message)
        return answer(deps, res, kongError(peer.status, peer.message, req, trace.requestId), trace)
      }
      return answer(deps, res, errorPage(peer.status, req, trace.requestId, deps.errorDefaultType), trace)
    }
    trace.tries++
    trace.upstream = peer.hostPort
    trace.tryStarted = performance.now()
    headers[hostAt] = hostHeader(f, peer.hostname, peer.port)
    const address: UpstreamAddress = plan.tls
      ? { scheme: 'https', ip: peer.ip, port: peer.port, connectTimeoutMs: plan.connectTimeoutMs, tls: { ...plan.tls, servername: serverName(headers[hostAt] ?? '') } }
      : { scheme: 'http', ip: peer.ip, port: peer.port, connectTimeoutMs: plan.connectTimeoutMs }
    const outcome = await forwardTry(deps.pools.get(address, poolKey(address)), request, start)
    if (outcome.kind === 'responded') {
      if (outcome.error !== undefined) {
        deps.log.error({ request_id: trace.requestId, upstream: peer.hostPort, error: outcome.error.message }, 'upstream response cut short')
        res.destroy()
      }
      return
    }
    const { failure } = outcome
    const more = failure.retryable && trace.tries <= source.retries
    deps.log.error(
      { request_id: trace.requestId, upstream: peer.hostPort, try: trace.tries, reason: failure.reason },
      more ? 'upstream try failed; trying the next peer' : 'upstream try failed',
    )
    if (!more) return answer(deps, res, errorPage(failure.status, req, trace.requestId, deps.errorDefaultType), trace)
  }
}
