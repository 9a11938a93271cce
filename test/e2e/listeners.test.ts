// Listener flags through a real node: the PROXY protocol in front of HTTP and of TLS (the
// client address taken from it), h2c beside HTTP/1.1 on one plaintext port, the status API over
// https + h2, IPv6 entries bound IPv6-only as nginx binds them, and the connection counters of
// TLS and HTTP/2 connections.
import t from 'tap'
import { connect as h2connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2'
import { connect as netConnect, createServer as createNetServer, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { freePort, http } from '../helpers/node.js'
import { kongYml, send, startE2eNode } from '../helpers/e2e.js'
import { echoUpstream, type Echoed } from '../helpers/upstreams.js'

const upstream = await echoUpstream()
t.teardown(() => upstream.close())

/** Whether this machine can bind IPv6 loopback. */
const ipv6 = await new Promise<boolean>((resolve) => {
  const probe = createNetServer()
  probe.once('error', () => resolve(false))
  probe.listen(0, '::1', () => probe.close(() => resolve(true)))
})

const [pp, h2c, ppTls, status, dual] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()])
const proxyListen = [`127.0.0.1:${pp} proxy_protocol`, `127.0.0.1:${h2c} http2`, `127.0.0.1:${ppTls} ssl proxy_protocol`]
if (ipv6) proxyListen.push(`0.0.0.0:${dual}`, `[::]:${dual} backlog=128`)

await startE2eNode(
  t,
  kongYml({ services: [{ name: 'echo', url: `http://127.0.0.1:${upstream.port}`, routes: [{ name: 'any', paths: ['/'] }] }] }),
  {
    KONG_PROXY_LISTEN: proxyListen.join(', '),
    KONG_STATUS_LISTEN: `127.0.0.1:${status} ssl http2`,
    KONG_REAL_IP_HEADER: 'proxy_protocol',
    KONG_TRUSTED_IPS: '127.0.0.1',
  },
)

/** Writes `bytes` on a new connection to `port` and reads until the node closes it or `until` is seen. */
function exchange(port: number, bytes: string | Buffer, until = '\r\n0\r\n\r\n'): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = ''
    const socket: Socket = netConnect(port, '127.0.0.1', () => socket.write(bytes))
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => {
      got += d
      if (got.includes(until) || /content-length: \d+\r\n[\s\S]*\r\n\r\n/i.test(got)) socket.end()
    })
    socket.on('close', () => resolve(got))
    socket.on('error', reject)
  })
}

function echoedOf(response: string): Echoed {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Echoed
}

function h2Get(session: ClientHttp2Session, path: string): Promise<{ headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path })
    let headers: IncomingHttpHeaders = {}
    let text = ''
    stream.setEncoding('utf8')
    stream.on('response', (h) => (headers = h))
    stream.on('data', (d: string) => (text += d))
    stream.on('end', () => resolve({ headers, text }))
    stream.on('error', reject)
  })
}

t.test('PROXY protocol v1 in front of HTTP/1.1: the client address is its source', async (t) => {
  const reply = await exchange(pp, 'PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\nGET /a HTTP/1.1\r\nHost: pp.test\r\nConnection: close\r\n\r\n')
  t.match(reply, /^HTTP\/1\.1 200 /)
  const e = echoedOf(reply)
  t.equal(e.headers['x-real-ip'], '203.0.113.7')
  t.equal(e.headers['x-forwarded-for'], '203.0.113.7')
})

t.test('PROXY protocol v2 in front of HTTP/1.1', async (t) => {
  const header = Buffer.concat([
    Buffer.from('0d0a0d0a000d0a515549540a', 'hex'),
    Buffer.from([0x21, 0x11, 0x00, 0x0c]),
    Buffer.from([198, 51, 100, 9, 127, 0, 0, 1]),
    Buffer.from([0x1f, 0x90, 0x00, 0x50]),
  ])
  const reply = await exchange(pp, Buffer.concat([header, Buffer.from('GET /b HTTP/1.1\r\nHost: pp.test\r\nConnection: close\r\n\r\n')]))
  t.equal(echoedOf(reply).headers['x-real-ip'], '198.51.100.9')
})

t.test('a connection without a PROXY header is closed', async (t) => {
  t.equal(await exchange(pp, 'GET / HTTP/1.1\r\nHost: pp.test\r\n\r\n'), '', 'nothing is answered')
  t.equal((await send(h2c, { path: '/still' })).status, 200, 'the node goes on serving')
})

t.test('PROXY protocol in front of TLS', async (t) => {
  const raw = netConnect(ppTls, '127.0.0.1')
  await new Promise<void>((resolve) => raw.once('connect', resolve))
  raw.write('PROXY TCP6 2001:db8::5 ::1 4444 443\r\n')
  const socket = tlsConnect({ socket: raw, servername: 'pp.test', rejectUnauthorized: false })
  const reply = await new Promise<string>((resolve, reject) => {
    let got = ''
    socket.setEncoding('latin1')
    socket.on('secureConnect', () => socket.write('GET /c HTTP/1.1\r\nHost: pp.test\r\nConnection: close\r\n\r\n'))
    socket.on('data', (d: string) => (got += d))
    socket.on('end', () => resolve(got))
    socket.on('error', reject)
  })
  const e = echoedOf(reply)
  t.equal(e.headers['x-real-ip'], '2001:db8::5')
  t.equal(e.headers['x-forwarded-proto'], 'https')
})

t.test('a plaintext http2 listener serves h2c and HTTP/1.1 on one port', async (t) => {
  const session = h2connect(`http://127.0.0.1:${h2c}`)
  t.teardown(() => session.close())
  const reply = await h2Get(session, '/h2c?x=1')
  t.equal(reply.headers[':status'], 200)
  const e = JSON.parse(reply.text) as Echoed
  t.equal(e.url, '/h2c?x=1')
  t.equal(e.headers['x-forwarded-proto'], 'http')
  t.match(e.headers.via, /^2 /)
  const h1 = await send(h2c, { path: '/h1' })
  t.equal(h1.status, 200)
  t.equal((JSON.parse(h1.text) as Echoed).url, '/h1')
})

t.test('the status API over https and HTTP/2, and the counters of TLS and HTTP/2 connections', async (t) => {
  const session = h2connect(`https://127.0.0.1:${status}`, { rejectUnauthorized: false })
  t.teardown(() => session.close())
  const before = JSON.parse((await h2Get(session, '/status')).text) as { server: { total_requests: number; connections_accepted: number } }
  const h2session = h2connect(`http://127.0.0.1:${h2c}`)
  for (let i = 0; i < 3; i++) t.equal((await h2Get(h2session, `/n${i}`)).headers[':status'], 200)
  h2session.close()
  const after = JSON.parse((await h2Get(session, '/status')).text) as { server: { total_requests: number; connections_accepted: number; connections_active: number } }
  t.ok(after.server.total_requests >= before.server.total_requests + 3, 'requests over HTTP/2 are counted')
  t.ok(after.server.connections_accepted >= before.server.connections_accepted + 1, 'the h2c connection is counted')
  const ready = await h2Get(session, '/status/ready')
  t.equal(ready.headers[':status'], 200)
  const plain = await http(`http://127.0.0.1:${status}/status`).catch((err: Error) => err)
  t.ok(plain instanceof Error, 'the ssl listener does not speak plain HTTP')
})

t.test('0.0.0.0 and [::] on one port both bind, as nginx binds [::] IPv6-only', { skip: ipv6 ? false : 'no IPv6 loopback on this machine' }, async (t) => {
  t.equal((await send(dual, { path: '/v4' })).status, 200, 'IPv4')
  const v6 = await new Promise<number>((resolve, reject) => {
    const s = netConnect(dual, '::1', () => s.write('GET /v6 HTTP/1.1\r\nHost: v6.test\r\nConnection: close\r\n\r\n'))
    let got = ''
    s.setEncoding('latin1')
    s.on('data', (d: string) => (got += d))
    s.on('end', () => resolve(Number(got.slice(9, 12))))
    s.on('error', reject)
  })
  t.equal(v6, 200, 'IPv6')
})
