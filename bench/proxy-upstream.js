// The upstream of bench/proxy.js when nginx is not installed (or PROXY_BENCH_UPSTREAM=node): a
// node:http server answering every request with 200 "ok", as the shared harness's upstream
// nginx does (`return 200 'ok'`), keep-alive with no request cap. Reads and drops any body.
//
//   UPSTREAM_HOST=127.0.0.1 UPSTREAM_PORT=8080 node bench/proxy-upstream.js
import http from 'node:http'

const port = Number(process.env.UPSTREAM_PORT)
if (!port) throw new Error('UPSTREAM_PORT must be set')
const server = http.createServer((req, res) => {
  req.resume()
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' })
  res.end('ok')
})
server.keepAliveTimeout = 75_000
server.maxRequestsPerSocket = 0
server.listen(port, process.env.UPSTREAM_HOST ?? '127.0.0.1')
