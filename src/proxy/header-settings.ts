/**
 * The `headers` and `headers_upstream` settings read once into flags, as Kong's conf loader
 * builds `enabled_headers` and `enabled_headers_upstream` (kong/conf_loader/init.lua).
 */

/** Which of Kong's own headers the proxy sends, and the product tokens it sends in them. */
export interface HeaderSettings {
  /** `Server` (server_tokens). */
  readonly server: boolean
  /** `Via` on responses (server_tokens); the upstream request always carries Via. */
  readonly via: boolean
  /** `X-Kong-Proxy-Latency` (latency_tokens). */
  readonly proxyLatency: boolean
  /** `X-Kong-Response-Latency` (latency_tokens). */
  readonly responseLatency: boolean
  /** `X-Kong-Admin-Latency` (latency_tokens); the admin API's, kept for completeness. */
  readonly adminLatency: boolean
  /** `X-Kong-Upstream-Latency` (latency_tokens). */
  readonly upstreamLatency: boolean
  /** `X-Kong-Upstream-Status` (only by name; not in the default). */
  readonly upstreamStatus: boolean
  /** `X-Kong-Request-Id` on responses. */
  readonly requestId: boolean
  /** `X-Kong-Request-Id` on upstream requests (headers_upstream). */
  readonly upstreamRequestId: boolean
  /** The `Server` value: ours is `kong-dbless/<version>` (README, difference 7). */
  readonly serverToken: string
  /** The product token in `Via`, `kong/3.10.0` as Kong sends it. */
  readonly viaToken: string
}

/** Every invalid entry of `headers` and `headers_upstream`, in Kong's words. */
export class HeaderSettingsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '))
    this.name = 'HeaderSettingsError'
  }
}

type Flag = Exclude<keyof HeaderSettings, 'upstreamRequestId' | 'serverToken' | 'viaToken'>

const TOKENS: Readonly<Record<string, readonly Flag[]>> = {
  server_tokens: ['server', 'via'],
  latency_tokens: ['proxyLatency', 'responseLatency', 'adminLatency', 'upstreamLatency'],
  via: ['via'],
  server: ['server'],
  'x-kong-proxy-latency': ['proxyLatency'],
  'x-kong-response-latency': ['responseLatency'],
  'x-kong-admin-latency': ['adminLatency'],
  'x-kong-upstream-latency': ['upstreamLatency'],
  'x-kong-upstream-status': ['upstreamStatus'],
  'x-kong-request-id': ['requestId'],
}

/**
 * Reads `headers` and `headers_upstream` (lists of tokens, any case). As in Kong, `off` first
 * turns every header off, and an `off` elsewhere is skipped. Throws HeaderSettingsError.
 */
export function parseHeaderSettings(headers: readonly string[], headersUpstream: readonly string[], tokens: { readonly server: string; readonly via: string }): HeaderSettings {
  const problems: string[] = []
  const on = new Set<Flag>()
  for (const token of headers) {
    const flags = Object.hasOwn(TOKENS, token.toLowerCase()) ? TOKENS[token.toLowerCase()] : undefined
    if (token === 'off') continue
    if (flags === undefined) problems.push(`headers: invalid entry '${token}'`)
    else if (headers[0] !== 'off') for (const f of flags) on.add(f)
  }
  let upstreamRequestId = false
  for (const token of headersUpstream) {
    if (token === 'off') continue
    if (token.toLowerCase() !== 'x-kong-request-id') problems.push(`headers_upstream: invalid entry '${token}'`)
    else if (headersUpstream[0] !== 'off') upstreamRequestId = true
  }
  if (problems.length > 0) throw new HeaderSettingsError(problems)
  return {
    server: on.has('server'),
    via: on.has('via'),
    proxyLatency: on.has('proxyLatency'),
    responseLatency: on.has('responseLatency'),
    adminLatency: on.has('adminLatency'),
    upstreamLatency: on.has('upstreamLatency'),
    upstreamStatus: on.has('upstreamStatus'),
    requestId: on.has('requestId'),
    upstreamRequestId,
    serverToken: tokens.server,
    viaToken: tokens.via,
  }
}
