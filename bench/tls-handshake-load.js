// The handshake load of bench/tls.js: `connections` loops, each opening a new TLS connection per
// request (`Connection: close`), offering no session to resume, so every request pays a full
// handshake whatever the server's ticket and cache settings; then one line `BENCH_JSON {...}`
// with the fields of bench/lib-load.js's wrk reporter (latencies in microseconds, from connect to
// the end of the response), plus `resumed`: connections the server resumed anyway (0 expected).
//
//   node bench/tls-handshake-load.js '{"url":"https://127.0.0.1:8443/","connections":50,"duration":10,"headers":{"host":"a.test"}}'
//
// wrk with `-H 'Connection: close'` is not used for this: it keeps the session of its previous
// connection and offers it again, so a server that issues tickets would be measured resuming.
import { connect, createSecureContext } from 'node:tls'
import { printBenchJson } from './lib-report.js'

const { url, connections, duration, headers = {} } = JSON.parse(process.argv[2])
const target = new URL(url)
const hostHeader = headers.host ?? target.host
const extra = Object.entries(headers)
  .filter(([k]) => k.toLowerCase() !== 'host' && k.toLowerCase() !== 'connection')
  .map(([k, v]) => `${k}: ${v}\r\n`)
  .join('')
const request = Buffer.from(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${hostHeader}\r\n${extra}Connection: close\r\n\r\n`)
// SNI is the Host header's name, as a browser would send for that site.
const servername = hostHeader.replace(/:\d+$/, '')
const port = Number(target.port || 443)
const host = target.hostname.replace(/^\[|\]$/g, '')

// One context for every connection: building one per connection would cost more than the handshake.
const secureContext = createSecureContext()
const latencies = []
let requests = 0
let bytes = 0
let resumed = 0
const errors = { connect: 0, read: 0, status: 0, timeout: 0 }
const t0 = performance.now()
const until = t0 + duration * 1000

/** One connection, one request; resolves when it is closed, whatever happened. */
function once() {
  return new Promise((resolve) => {
    const start = performance.now()
    let head = ''
    let secured = false
    let settled = false
    const socket = connect({ host, port, servername, secureContext, rejectUnauthorized: false })
    const finish = (err) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (err) {
        if (!secured) errors.connect++
        else errors.read++
      } else {
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(head)
        if (!m) errors.read++
        else {
          requests++
          if (m[1][0] === '2' || m[1][0] === '3') latencies.push(performance.now() - start)
          else errors.status++
        }
      }
      socket.destroy()
      resolve()
    }
    const timer = setTimeout(() => {
      errors.timeout++
      settled = true
      socket.destroy()
      resolve()
    }, 10_000)
    socket.once('secureConnect', () => {
      secured = true
      if (socket.isSessionReused()) resumed++
      socket.write(request)
    })
    socket.on('data', (chunk) => {
      bytes += chunk.length
      if (head.length < 64) head += chunk.toString('latin1', 0, Math.min(chunk.length, 64))
    })
    socket.once('end', () => finish())
    socket.once('error', (err) => finish(err))
  })
}

async function loop() {
  while (performance.now() < until) await once()
}

await Promise.all(Array.from({ length: connections }, loop))
printBenchJson(latencies, { requests, elapsedUs: (performance.now() - t0) * 1000, bytes, errors, extra: { resumed } })
