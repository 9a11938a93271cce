// The baseline of bench/tls.js: a node:https server with the undici Pool.stream() forwarder of
// bench/lib-forward.js, as bench/baseline-proxy.js is over http. Node's TLS defaults (TLS 1.2 and
// 1.3, session tickets on, as Kong's `ssl_session_tickets`); the certificate and key are PEM files.
//
//   PROXY_PORT=8443 UPSTREAM_HOST=127.0.0.1 UPSTREAM_PORT=8080 TLS_CERT=cert.pem TLS_KEY=key.pem node bench/baseline-https-proxy.js
//
// Listens on 127.0.0.1; exits on SIGTERM (node's default).
import { readFileSync } from 'node:fs'
import https from 'node:https'
import { forwarder, listenPort } from './lib-forward.js'

const port = listenPort()
if (!process.env.TLS_CERT || !process.env.TLS_KEY) throw new Error('TLS_CERT and TLS_KEY must be set (PEM files)')
const server = https.createServer({ cert: readFileSync(process.env.TLS_CERT), key: readFileSync(process.env.TLS_KEY) }, forwarder())
server.keepAliveTimeout = 75_000
server.listen(port, '127.0.0.1')
