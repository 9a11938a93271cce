// The request handler of the baseline proxies (bench/baseline-proxy.js over http,
// bench/baseline-https-proxy.js over https): the leanest usual Node reverse proxy, forwarding to
// one upstream through an undici keep-alive Pool with Pool.stream(), which writes the upstream's
// body straight into the client response. The same code as the shared harness's
// `node-undici-stream` proxy (../shared/bench/proxies/node-undici-stream.mjs with common.mjs
// inlined), so "x baseline" here means the same as "x node-undici-stream" there.
//
// Forwards method, path, headers (less hop-by-hop ones and Host, which undici sets) and the
// streamed body. Settings from the environment: PROXY_PORT, UPSTREAM_HOST, UPSTREAM_PORT,
// POOL_CONNECTIONS.
import { Pool } from 'undici'

// Hop-by-hop headers (RFC 9110 §7.6.1) a proxy must not forward; Host is set by undici.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'host'])

/** Request headers to send upstream, from node's flat rawHeaders list. */
function forwardHeaders(rawHeaders) {
  const out = []
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (!HOP_BY_HOP.has(rawHeaders[i].toLowerCase())) out.push(rawHeaders[i], rawHeaders[i + 1])
  }
  return out
}

/** Response headers to send downstream, from undici's lower-cased header object. */
function responseHeaders(headers) {
  const out = {}
  for (const name in headers) if (!HOP_BY_HOP.has(name)) out[name] = headers[name]
  return out
}

/** A request carries a body when it says so (RFC 9112 §6.3). */
const hasBody = (req) => req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined

/** The port to listen on (127.0.0.1), from PROXY_PORT; throws when the upstream is not set either. */
export function listenPort() {
  const port = Number(process.env.PROXY_PORT)
  if (!port || !process.env.UPSTREAM_HOST || !process.env.UPSTREAM_PORT) throw new Error('PROXY_PORT, UPSTREAM_HOST and UPSTREAM_PORT must be set')
  return port
}

/** A node:http / node:https request listener forwarding to UPSTREAM_HOST:UPSTREAM_PORT. */
export function forwarder() {
  const upstreamOrigin = `http://${process.env.UPSTREAM_HOST}:${process.env.UPSTREAM_PORT}`
  // Upstream keep-alive pool size; 64 as nginx's `keepalive 64` in the shared harness.
  const poolConnections = Number(process.env.POOL_CONNECTIONS ?? 64)
  const pool = new Pool(upstreamOrigin, { connections: poolConnections, pipelining: 1, keepAliveTimeout: 60_000 })
  return (req, res) => {
    pool.stream(
      { path: req.url, method: req.method, headers: forwardHeaders(req.rawHeaders), body: hasBody(req) ? req : null, opaque: res },
      ({ statusCode, headers, opaque }) => {
        opaque.writeHead(statusCode, responseHeaders(headers))
        return opaque
      },
      (err) => {
        if (!err) return
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
        res.end('bad gateway')
      },
    )
  }
}
