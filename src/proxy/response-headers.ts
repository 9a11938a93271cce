/**
 * The headers of a response on its way to the client: the hop-by-hop cleanup of a proxied
 * response (kong/runloop/handler.lua header_filter.before, plus what nginx's proxy module never
 * passes), Kong's own headers (header_filter.after) and the debug headers (kong/router/utils.lua
 * add_debug_headers).
 *
 * Headers are a record with lower-case names, the form undici's `request()` returns an upstream
 * response in and Node's `writeHead` takes, so a response passes from one to the other, and
 * through the plugins that edit it, without being copied. The functions change it in place.
 */
import type { HeaderSettings } from './header-settings.js'
import { csvTokens, nameIs } from './header-text.js'

/** Response headers by lower-case name; a repeated header is an array. */
export type ResponseHeaders = Record<string, string | string[] | undefined>

// Upstream response headers nginx's proxy module handles itself or hides
// (ngx_http_proxy_hide_headers; Kong passes Date and Server through).
const NEVER_PASSED: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'transfer-encoding', 'x-pad', 'x-accel-expires', 'x-accel-redirect', 'x-accel-limit-rate', 'x-accel-buffering', 'x-accel-charset'])

const joined = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.join(', ') : value)

/**
 * The headers of a proxied response that go on to the client: all but its hop-by-hop ones,
 * those its Connection names (but close, upgrade, keep-alive), Upgrade unless it is the one the
 * client asked for (`upgrade`), Trailer unless the client sent `TE: trailers`, and what nginx
 * never passes on. A new record: removing keys from the upstream's would slow every later
 * access to it.
 */
export function passedResponseHeaders(headers: ResponseHeaders, upgrade: 'websocket' | undefined, clientTrailers: boolean): ResponseHeaders {
  const connection = joined(headers.connection)
  const listed = connection === undefined ? undefined : csvTokens(connection)
  const out: ResponseHeaders = {}
  for (const name in headers) {
    if (NEVER_PASSED.has(name)) continue
    if (listed !== undefined && name !== 'close' && name !== 'upgrade' && name !== 'keep-alive' && listed.includes(name)) continue
    const value = headers[name]
    if (value === undefined) continue
    if (name === 'upgrade') {
      const given = joined(value)
      if (given === undefined || upgrade === undefined || !nameIs(given, upgrade)) continue
    } else if (name === 'trailer' && !clientTrailers) {
      continue
    }
    out[name] = value
  }
  return out
}

// RFC 9113 §8.2.2: connection-specific fields are malformed in HTTP/2 (nginx drops them).
const CONNECTION_SPECIFIC = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'] as const

/** Removes what HTTP/2 forbids in a response; only HTTP/2 responses pay for the deletes. */
export function dropConnectionHeaders(headers: ResponseHeaders): void {
  for (const name of CONNECTION_SPECIFIC) if (headers[name] !== undefined) delete headers[name]
}

/** What Kong's own response headers depend on. */
export interface ResponseFacts {
  /** Kong reached the point of proxying (KONG_PROXIED), even if the upstream then failed. */
  readonly proxied: boolean
  readonly requestId: string
  /** Milliseconds from the end of the balancer step to the upstream's first byte (proxied). */
  readonly upstreamLatency: number
  /** Milliseconds from the request's start to the end of the balancer step (proxied). */
  readonly proxyLatency: number
  /** Milliseconds Kong took to answer by itself (not proxied). */
  readonly responseLatency: number
  /** The status of the last upstream try (proxied), whatever a plugin then made of it. */
  readonly upstreamStatus: number | undefined
  /** The upstream response's own Via, before any plugin touched the response. */
  readonly upstreamVia: string | undefined
  /** The service speaks grpc or grpcs: Kong's Via then names HTTP version 2. */
  readonly grpcUpstream: boolean
}

const ms = (value: number): string => String(Math.round(value))

/**
 * Adds Kong's headers to a response, as the `headers` setting enables them. Proxied: the
 * latencies, Via after the upstream's, Server only if the upstream sent none, and
 * X-Kong-Upstream-Status. Not proxied: X-Kong-Response-Latency and Server (removed when not
 * enabled), unless Via is enabled and a plugin set it to the bare Via token. Always:
 * X-Kong-Request-Id, replacing any other value.
 */
export function addKongResponseHeaders(settings: HeaderSettings, headers: ResponseHeaders, facts: ResponseFacts): void {
  if (facts.proxied) {
    if (settings.upstreamStatus && facts.upstreamStatus !== undefined) headers['x-kong-upstream-status'] = String(facts.upstreamStatus)
    if (settings.upstreamLatency) headers['x-kong-upstream-latency'] = ms(facts.upstreamLatency)
    if (settings.proxyLatency) headers['x-kong-proxy-latency'] = ms(facts.proxyLatency)
    if (settings.via) {
      const own = `${facts.grpcUpstream ? '2' : '1.1'} ${settings.viaToken}`
      headers.via = facts.upstreamVia === undefined ? own : `${facts.upstreamVia}, ${own}`
    }
    if (settings.server && headers.server === undefined) headers.server = settings.serverToken
  } else {
    if (settings.responseLatency) headers['x-kong-response-latency'] = ms(facts.responseLatency)
    if (!(settings.via && headers.via === settings.viaToken)) {
      if (settings.server) headers.server = settings.serverToken
      else if (headers.server !== undefined) delete headers.server
    }
  }
  if (settings.requestId) headers['x-kong-request-id'] = facts.requestId
}

/** A route or service as the debug headers name it. */
export interface Named {
  readonly id?: string | null
  readonly name?: string | null
}

/**
 * Adds Kong-Route-Id, Kong-Route-Name, Kong-Service-Id and Kong-Service-Name (each only when
 * set). Kong does so only when allow_debug_header is on and the request has a Kong-Debug header.
 */
export function addDebugHeaders(headers: ResponseHeaders, route: Named | undefined, service: Named | undefined): void {
  if (isSet(route?.id)) headers['kong-route-id'] = route.id
  if (isSet(route?.name)) headers['kong-route-name'] = route.name
  if (isSet(service?.id)) headers['kong-service-id'] = service.id
  if (isSet(service?.name)) headers['kong-service-name'] = service.name
}

const isSet = (value: string | null | undefined): value is string => value !== undefined && value !== null
