// The baseline of bench/proxy.js: a node:http server with the undici Pool.stream() forwarder of
// bench/lib-forward.js (the shared harness's `node-undici-stream` proxy), so "x baseline" here
// means the same as "x node-undici-stream" there.
//
//   PROXY_PORT=8000 UPSTREAM_HOST=127.0.0.1 UPSTREAM_PORT=8080 node bench/baseline-proxy.js
//
// Listens on 127.0.0.1; exits on SIGTERM (node's default).
import http from 'node:http'
import { forwarder, listenPort } from './lib-forward.js'

const port = listenPort()
const server = http.createServer(forwarder())
server.keepAliveTimeout = 75_000
server.listen(port, '127.0.0.1')
