/**
 * The headers a request is sent upstream with: Kong's X-Forwarded-* values
 * (kong/runloop/handler.lua access.before), Via, TE and the WebSocket upgrade, and the removal of
 * hop-by-hop headers (access.after, plus what nginx's proxy module itself replaces or drops).
 *
 * Input is Node's `req.rawHeaders` (flat name, value list): Node builds it while parsing, whereas
 * `req.headers` is built on first access and merges repeated lines, losing the first-line reads
 * Kong does and the order and case of what is passed through. Output is the flat list undici's
 * `request({ headers })` takes as is, plus the upgrade to ask undici for.
 */
import { clientAddress, isTrustedPeer, type ClientAddressSettings, UNIX_PEER } from './client-address.js'
import type { ProxiedAddress } from '../http/proxy-protocol.js'
import type { HeaderSettings } from './header-settings.js'
import { asciiLower } from '../util/ascii.js'
import { csvTokens, nameIs } from './header-text.js'

/** The request headers Kong reads, each as its first line (Kong's `get_header`), or undefined. */
export interface RequestHead {
  /** `Host`, or HTTP/2's `:authority` when there is no Host. */
  host: string | undefined
  connection: string | undefined
  upgrade: string | undefined
  te: string | undefined
  via: string | undefined
  xForwardedFor: string | undefined
  xForwardedProto: string | undefined
  xForwardedHost: string | undefined
  xForwardedPort: string | undefined
  xForwardedPath: string | undefined
  xForwardedPrefix: string | undefined
  /** A `Kong-Debug` header is present (any value), for allow_debug_header. */
  kongDebug: boolean
  /** `Content-Length` and `Transfer-Encoding`: whether, and how, a body follows. */
  contentLength: string | undefined
  transferEncoding: string | undefined
}

/** One pass over `rawHeaders`: the first line of every header the proxy reads. */
export function readRequestHead(rawHeaders: readonly string[]): RequestHead {
  const head: RequestHead = {
    host: undefined,
    connection: undefined,
    upgrade: undefined,
    te: undefined,
    via: undefined,
    xForwardedFor: undefined,
    xForwardedProto: undefined,
    xForwardedHost: undefined,
    xForwardedPort: undefined,
    xForwardedPath: undefined,
    xForwardedPrefix: undefined,
    kongDebug: false,
    contentLength: undefined,
    transferEncoding: undefined,
  }
  let authority: string | undefined
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]
    const value = rawHeaders[i + 1]
    switch (name.length) {
      case 2:
        if (head.te === undefined && nameIs(name, 'te')) head.te = value
        break
      case 3:
        if (head.via === undefined && nameIs(name, 'via')) head.via = value
        break
      case 4:
        if (head.host === undefined && nameIs(name, 'host')) head.host = value
        break
      case 7:
        if (head.upgrade === undefined && nameIs(name, 'upgrade')) head.upgrade = value
        break
      case 10:
        if (head.connection === undefined && nameIs(name, 'connection')) head.connection = value
        else if (nameIs(name, 'kong-debug')) head.kongDebug = true
        else if (authority === undefined && name === ':authority') authority = value
        break
      case 15:
        if (head.xForwardedFor === undefined && nameIs(name, 'x-forwarded-for')) head.xForwardedFor = value
        break
      case 16:
        if (head.xForwardedHost === undefined && nameIs(name, 'x-forwarded-host')) head.xForwardedHost = value
        else if (head.xForwardedPort === undefined && nameIs(name, 'x-forwarded-port')) head.xForwardedPort = value
        else if (head.xForwardedPath === undefined && nameIs(name, 'x-forwarded-path')) head.xForwardedPath = value
        break
      case 14:
        if (head.contentLength === undefined && nameIs(name, 'content-length')) head.contentLength = value
        break
      case 17:
        if (head.xForwardedProto === undefined && nameIs(name, 'x-forwarded-proto')) head.xForwardedProto = value
        else if (head.transferEncoding === undefined && nameIs(name, 'transfer-encoding')) head.transferEncoding = value
        break
      case 18:
        if (head.xForwardedPrefix === undefined && nameIs(name, 'x-forwarded-prefix')) head.xForwardedPrefix = value
        break
    }
  }
  head.host ??= authority
  return head
}

// nginx's server_name in Kong's proxy server block: `$host` when the request names no host.
const SERVER_NAME = 'kong'

/**
 * nginx's `$host` from a Host value: without its port or a trailing dot, ASCII lower-cased;
 * `kong` (the server_name) when the request has no Host.
 */
export function requestHost(host: string | undefined): string {
  if (host === undefined || host === '') return SERVER_NAME
  let end: number
  if (host.charCodeAt(0) === 0x5b) {
    const close = host.indexOf(']')
    end = close === -1 ? host.length : close + 1
  } else {
    const colon = host.indexOf(':')
    end = colon === -1 ? host.length : colon
  }
  if (end > 0 && host.charCodeAt(end - 1) === 0x2e) end--
  return asciiLower(end === host.length ? host : host.slice(0, end))
}

/** The connection facts the forwarding headers depend on. */
export interface RequestConnection {
  /** The TCP peer's address; undefined for a unix-socket peer. */
  readonly peer: string | undefined
  readonly scheme: 'http' | 'https'
  /** The listener's port, as port_maps reports it. */
  readonly port: number
  /** The raw request target (`req.url`): X-Forwarded-Path is its path, not normalized. */
  readonly target: string
  /**
   * The source of the connection's PROXY header (`proxiedClient(req.socket)?.source`), on a
   * proxy_protocol listener. It becomes the client address (X-Real-IP, and X-Forwarded-For when
   * the request has none) with `real_ip_header = proxy_protocol` and a trusted peer; trust, the
   * X-Forwarded-For hop and X-Forwarded-Port stay the TCP connection's, as in Kong.
   */
  readonly proxied?: ProxiedAddress | undefined
}

/** Kong's view of where a request came from: the client address and the X-Forwarded-* values. */
export interface Forwarded {
  /** `$remote_addr` after realip: X-Real-IP, and kong.client.get_forwarded_ip(). */
  readonly clientIp: string
  /** `$realip_remote_addr`: the TCP peer, as nginx writes it (`unix:` for a unix socket). */
  readonly peer: string
  /** Whether the TCP peer is in trusted_ips, so its X-Forwarded-* values are kept. */
  readonly trusted: boolean
  readonly proto: string
  /** Also the host of Kong's https redirect `Location`. */
  readonly host: string
  readonly port: string
  readonly path: string
  /** Omitted upstream when undefined. */
  readonly prefix: string | undefined
}

/**
 * The forwarding values for a request; `prefix` is the stripped prefix (strippedPrefix in
 * upstream-uri.ts), used unless a trusted peer sent one.
 */
export function forwarded(settings: ClientAddressSettings, head: RequestHead, rawHeaders: readonly string[], conn: RequestConnection, prefix: string | undefined): Forwarded {
  const trusted = isTrustedPeer(settings, conn.peer)
  const port = String(conn.port)
  let path = trusted ? head.xForwardedPath : undefined
  if (path === undefined) {
    const q = conn.target.indexOf('?', 1)
    path = q === -1 ? conn.target : conn.target.slice(0, q)
  }
  return {
    clientIp: clientAddress(settings, conn.peer, rawHeaders, conn.proxied),
    peer: conn.peer ?? UNIX_PEER,
    trusted,
    proto: (trusted ? head.xForwardedProto : undefined) ?? conn.scheme,
    host: (trusted ? head.xForwardedHost : undefined) ?? requestHost(head.host),
    port: (trusted ? head.xForwardedPort : undefined) ?? port,
    path,
    prefix: (trusted ? head.xForwardedPrefix : undefined) ?? prefix,
  }
}

/**
 * The HTTP version as Kong writes it in Via: Lua's `tostring(ngx.req.http_version())`, so
 * `1.0` is `1` and `2.0` is `2`.
 */
export function viaVersion(httpVersion: string): string {
  return httpVersion.endsWith('.0') ? httpVersion.slice(0, -2) : httpVersion
}

// A value undici accepts that puts the same bytes on the wire as Kong: text outside Latin-1 as
// its UTF-8 bytes. Kong would send control characters raw (a decoded `%0A` in a stripped prefix
// splits the header); here they are escaped instead.
function wireValue(value: string): string {
  let clean = true
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09) || c >= 0x7f) {
      clean = false
      break
    }
  }
  if (clean) return value
  let out = ''
  for (const byte of Buffer.from(value, 'utf8')) {
    out += (byte < 0x20 && byte !== 0x09) || byte === 0x7f ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte)
  }
  return out
}

// Headers never passed through: Kong sets them itself (proxy_set_header), nginx's proxy module
// replaces or drops them (Connection, Keep-Alive, TE, Expect, Upgrade, Transfer-Encoding), the
// caller sets Host per try, and Proxy / Proxy-Connection are removed (httpoxy). Content-Length
// is kept: undici frames the body with it.
function replaced(name: string, ownRequestId: boolean): boolean {
  // HTTP/2 pseudo-headers (`:method`, `:path`, ...) are not headers of the upstream request.
  if (name.charCodeAt(0) === 0x3a) return true
  switch (name.length) {
    case 2:
      return nameIs(name, 'te')
    case 3:
      return nameIs(name, 'via')
    case 4:
      return nameIs(name, 'host')
    case 5:
      return nameIs(name, 'proxy')
    case 6:
      return nameIs(name, 'expect')
    case 7:
      return nameIs(name, 'upgrade')
    case 9:
      return nameIs(name, 'x-real-ip')
    case 10:
      return nameIs(name, 'connection') || nameIs(name, 'keep-alive')
    case 15:
      return nameIs(name, 'x-forwarded-for')
    case 16:
      return nameIs(name, 'x-forwarded-host') || nameIs(name, 'x-forwarded-port') || nameIs(name, 'x-forwarded-path') || nameIs(name, 'proxy-connection')
    case 17:
      return nameIs(name, 'x-forwarded-proto') || nameIs(name, 'transfer-encoding') || (ownRequestId && nameIs(name, 'x-kong-request-id'))
    case 18:
      return nameIs(name, 'x-forwarded-prefix')
    default:
      return false
  }
}

/** Whether the client's TE lists `trailers`: then TE goes upstream and Trailer comes back. */
export function wantsTrailers(head: RequestHead): boolean {
  return head.te !== undefined && (head.te === 'trailers' || csvTokens(head.te).includes('trailers'))
}

/** The request headers to send upstream, and the upgrade undici should ask for. */
export interface UpstreamRequestHead {
  /** Flat name, value list for undici; the caller adds Host (preserve_host or the target's). */
  readonly headers: string[]
  /**
   * `websocket` when the client asked for it; undici's `upgrade` option then sends
   * `Connection: upgrade` and `Upgrade: websocket` (Kong sends `Connection: keep-alive, Upgrade`).
   */
  readonly upgrade: 'websocket' | undefined
}

/**
 * Builds the upstream request's headers: Kong's own (TE, Via, X-Forwarded-*, X-Real-IP,
 * X-Kong-Request-Id when headers_upstream has it) first, as nginx writes proxy_set_header lines
 * first, then every other request line as received, minus hop-by-hop headers and the headers
 * the request's Connection names. `httpVersion` is Node's `req.httpVersion`.
 */
export function upstreamRequestHeaders(settings: HeaderSettings, rawHeaders: readonly string[], head: RequestHead, fwd: Forwarded, httpVersion: string, requestId: string): UpstreamRequestHead {
  const upgrade = head.upgrade !== undefined && nameIs(head.upgrade, 'websocket') ? 'websocket' : undefined
  const listed = head.connection === undefined ? undefined : csvTokens(head.connection)
  const kongVia = `${viaVersion(httpVersion)} ${settings.viaToken}`
  const out: string[] = []
  if (wantsTrailers(head)) out.push('TE', 'trailers')
  out.push(
    'Via', head.via === undefined ? kongVia : `${head.via}, ${kongVia}`,
    'X-Forwarded-For', head.xForwardedFor === undefined ? fwd.clientIp : `${head.xForwardedFor}, ${fwd.peer}`,
  )
  // nginx sends no line for a proxy_set_header whose value is empty, which a trusted peer's
  // empty X-Forwarded-* header gives.
  if (fwd.proto !== '') out.push('X-Forwarded-Proto', fwd.proto)
  if (fwd.host !== '') out.push('X-Forwarded-Host', fwd.host)
  if (fwd.port !== '') out.push('X-Forwarded-Port', fwd.port)
  if (fwd.path !== '') out.push('X-Forwarded-Path', fwd.path)
  if (fwd.prefix !== undefined && fwd.prefix !== '') out.push('X-Forwarded-Prefix', wireValue(fwd.prefix))
  out.push('X-Real-IP', fwd.clientIp)
  if (settings.upstreamRequestId) out.push('X-Kong-Request-Id', requestId)
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]
    if (replaced(name, settings.upstreamRequestId)) continue
    if (listed !== undefined && listed.length > 0 && isListed(listed, name)) continue
    out.push(name, rawHeaders[i + 1])
  }
  return { headers: out, upgrade }
}

// A header the request's Connection names is hop-by-hop and is removed (Kong's clear_header),
// Content-Length aside: removing it would change how the body is framed, not who sees it.
function isListed(listed: readonly string[], name: string): boolean {
  for (const token of listed) if (nameIs(name, token)) return !nameIs(name, 'content-length')
  return false
}
