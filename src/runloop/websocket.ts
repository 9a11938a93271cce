/**
 * Upgrades on the proxy: a WebSocket handshake is routed like any request, sent to the upstream
 * over an upgrade of its own, and once the upstream switches protocols the two connections are
 * joined byte for byte until either side closes. An upgrade to anything else (h2c) is proxied as
 * a plain request, without the upgrade, as nginx does.
 */
import { ServerResponse, type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { BalancerError } from '../balancer/peer.js'
import { errorPage, type ErrorResponse } from '../proxy/error-response.js'
import { classifyFailure } from '../proxy/forward.js'
import { addKongResponseHeaders, type ResponseHeaders } from '../proxy/response-headers.js'
import { poolKey } from '../proxy/upstream-pools.js'
import { rawHead } from '../http/raw-response.js'
import { createProxyHandler, logAccess, newTrace, noPeerAnswer, ownAnswerHeaders, resolveRequest, startTry, type Forwarding, type ProxyDeps, type Trace } from './proxy-request.js'

function refuse(deps: ProxyDeps, socket: Duplex, response: ErrorResponse, trace: Trace, extra?: Readonly<Record<string, string>>): number {
  const headers = ownAnswerHeaders(deps, response, trace, extra)
  headers.connection = 'close'
  socket.end(rawHead(response.status, headers) + response.body)
  return response.status
}

/** The handler of `upgrade` events on the proxy listeners. */
export function createUpgradeHandler(deps: ProxyDeps): (req: IncomingMessage, socket: Duplex, early: Buffer) => void {
  const plain = createProxyHandler(deps)
  return (req, socket, early) => {
    socket.on('error', () => socket.destroy())
    const trace = newTrace(req)
    const resolution = resolveRequest(deps, req, trace, deps.current())
    if (resolution.kind === 'answer') {
      logAccess(deps, req, refuse(deps, socket, resolution.response, trace, resolution.extra), trace)
      return
    }
    if (resolution.forwarding.upgrade === undefined) {
      // Not a WebSocket: a plain request on a connection that then closes.
      if (early.length > 0) socket.unshift(early)
      const res = new ServerResponse(req)
      res.shouldKeepAlive = false
      res.assignSocket(socket as never)
      res.once('finish', () => socket.end())
      plain(req, res)
      return
    }
    void upgrade(deps, req, socket, early, trace, resolution.forwarding).then((status) => logAccess(deps, req, status, trace))
  }
}

async function upgrade(deps: ProxyDeps, req: IncomingMessage, socket: Duplex, early: Buffer, trace: Trace, f: Forwarding): Promise<number> {
  const { plan, source } = f
  const ready = source.ready()
  if (ready !== undefined) await ready
  trace.balanced = performance.now()
  trace.proxied = true
  const headers = [...f.headers, 'host', '']
  const hostAt = headers.length - 1
  for (;;) {
    const peer = source.pick(trace.tries)
    if (peer instanceof BalancerError) return refuse(deps, socket, noPeerAnswer(deps, req, trace, peer), trace)
    const address = startTry(trace, f, peer, headers, hostAt)
    try {
      const upstream = await deps.pools.get(address, poolKey(address)).upgrade({
        path: f.path,
        method: 'GET',
        headers,
        protocol: 'websocket',
        headersTimeout: plan.readTimeoutMs,
      } as Parameters<ReturnType<typeof deps.pools.get>['upgrade']>[0])
      trace.upstreamStatus = 101
      const responseHeaders: ResponseHeaders = { ...upstream.headers }
      addKongResponseHeaders(deps.headers, responseHeaders, {
        proxied: true,
        requestId: trace.requestId,
        upstreamLatency: performance.now() - trace.tryStarted,
        proxyLatency: trace.balanced - trace.started,
        responseLatency: 0,
        upstreamStatus: 101,
        upstreamVia: typeof upstream.headers.via === 'string' ? upstream.headers.via : undefined,
        grpcUpstream: false,
      })
      socket.write(rawHead(101, responseHeaders))
      if (early.length > 0) upstream.socket.write(early)
      // Joined both ways until either side goes; an error on one closes the other.
      upstream.socket.on('error', () => socket.destroy())
      socket.on('error', () => upstream.socket.destroy())
      socket.on('close', () => upstream.socket.destroy())
      upstream.socket.on('close', () => socket.destroy())
      socket.pipe(upstream.socket)
      upstream.socket.pipe(socket)
      return 101
    } catch (err) {
      const failure = classifyFailure(err as Error & { code?: string }, 'GET', null)
      const more = failure.retryable && trace.tries <= source.retries
      deps.log.error({ request_id: trace.requestId, upstream: peer.hostPort, try: trace.tries, reason: failure.reason }, 'upstream WebSocket upgrade failed')
      if (!more) return refuse(deps, socket, errorPage(failure.status, req, trace.requestId, deps.errorDefaultType), trace)
    }
  }
}
