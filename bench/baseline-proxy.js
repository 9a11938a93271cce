// The baseline of bench/proxy.js: the leanest usual Node reverse proxy, a node:http server
// forwarding to one upstream through an undici keep-alive Pool with Pool.stream(), which writes
// the upstream's body straight into the client response. The same code as the shared harness's
// `node-undici-stream` proxy (../shared/bench/proxies/node-undici-stream.mjs with common.mjs
// inlined), so "x baseline" here means the same as "x node-undici-stream" there.
//
//   PROXY_PORT=8000 UPSTREAM_HOST=127.0.0.1 UPSTREAM_PORT=8080 node bench/baseline-proxy.js
//
// Forwards method, path, headers (less hop-by-hop ones and Host, which undici sets) and the
// streamed body; listens on 127.0.0.1; exits on SIGTERM (node's default).
import http from 'node:http'
import { Pool } from 'undici'

const listenPort = Number(process.env.PROXY_PORT)
if (!listenPort || !process.env.UPSTREAM_HOST || !process.env.UPSTREAM_PORT) throw new Error('PROXY_PORT, UPSTREAM_HOST and UPSTREAM_PORT must be set')
const upstreamOrigin = `http://${process.env.UPSTREAM_HOST}:${process.env.UPSTREAM_PORT}`
/** Upstream keep-alive pool size; 64 as nginx's `keepalive 64` in the shared harness. */
const poolConnections = Number(process.env.POOL_CONNECTIONS ?? 64)

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

const pool = new Pool(upstreamOrigin, { connections: poolConnections, pipelining: 1, keepAliveTimeout: 60_000 })

const server = http.createServer((req, res) => {
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
})
server.keepAliveTimeout = 75_000
server.listen(listenPort, '127.0.0.1')
