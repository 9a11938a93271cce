/**
 * The proxy's request handler. Routing arrives with the proxy; until then every request gets
 * Kong's "no route" answer, with the headers the `headers` setting asks for.
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { PROXY_MESSAGES, proxyErrorJson } from '../http/kong-errors.js'
import type { Runtime } from '../runtime/runtime.js'

/** Which of Kong's response headers to send. */
export interface ProxyHeaders {
  /** `Server: <product>/<version>` (server_tokens). */
  readonly server?: string
  /** `X-Kong-Response-Latency` (latency_tokens). */
  readonly latency: boolean
  /** `X-Kong-Request-Id`. */
  readonly requestId: boolean
}

/** Kong's `headers` tokens read once: which response headers the proxy adds. */
export function proxyHeaders(tokens: readonly string[], server: string): ProxyHeaders {
  const has = (...names: string[]): boolean => tokens.some((t) => names.includes(t))
  return {
    ...(has('server_tokens', 'server') ? { server } : {}),
    latency: has('latency_tokens', 'x-kong-response-latency'),
    requestId: has('x-kong-request-id'),
  }
}

/**
 * A request handler over the worker's current runtime. Each request will read it once, at its
 * start, and keep it to the end whatever swaps meanwhile; with no routes yet, nothing reads it.
 */
export function createProxyHandler(_current: () => Runtime | undefined, headers: ProxyHeaders): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    const started = performance.now()
    const requestId = randomBytes(16).toString('hex')
    const body = proxyErrorJson(PROXY_MESSAGES.noRoute, requestId)
    res.statusCode = 404
    res.setHeader('Content-Type', 'application/json; charset=utf-8')
    res.setHeader('Content-Length', Buffer.byteLength(body))
    if (headers.server !== undefined) res.setHeader('Server', headers.server)
    if (headers.latency) res.setHeader('X-Kong-Response-Latency', String(Math.round(performance.now() - started)))
    if (headers.requestId) res.setHeader('X-Kong-Request-Id', requestId)
    res.end(body)
  }
}
