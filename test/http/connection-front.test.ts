// The connection front over real sockets: HTTP/1.1 and h2c on one plaintext port, PROXY v1 and
// v2 headers in front of HTTP/1.1, h2c, TLS and HTTP/2 over TLS (real inner servers, a test PKI
// made at test time), and connections that are refused, idle, closed early or made of garbage.
import { EventEmitter, once } from 'node:events'
import { randomBytes } from 'node:crypto'
import * as http from 'node:http'
import * as http2 from 'node:http2'
import * as https from 'node:https'
import { connect, type AddressInfo, type Server, type Socket } from 'node:net'
import * as tls from 'node:tls'
import t from 'tap'
import { createConnectionFront, proxiedClient, type FrontOptions, type FrontProtocol } from '../../src/http/connection-front.js'
import { makePki } from '../helpers/tls.js'

const pki = makePki()
t.teardown(() => pki.dispose())

/** What the helpers need of a subtest. */
type Tap = Pick<typeof t, 'teardown'>

type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void

/** Every inner server answers with who served it and what the front recorded. */
const answer = (server: string): Handler => (req, res) => {
  let size = 0
  req.on('data', (chunk: Buffer) => (size += chunk.length))
  req.on('end', () => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ server, version: req.httpVersion, url: req.url, size, proxied: proxiedClient(req.socket) ?? null }))
  })
}

interface Inner {
  readonly h1: http.Server
  readonly h2c: http2.Http2Server
  readonly https: https.Server
  readonly h2s: http2.Http2SecureServer
}

interface Front {
  readonly port: number
  readonly server: Server
  /** Each delivery, in order. */
  readonly delivered: FrontProtocol[]
  /** Each refusal's reason, in order. */
  readonly refused: string[]
  /** Server-side sockets, as accepted. */
  readonly accepted: Socket[]
  /** Emits `delivered` after each delivery. */
  readonly events: EventEmitter
}

function innerServers(): Inner {
  const tlsOptions = { cert: pki.serverChain, key: pki.server.key }
  return {
    h1: http.createServer(answer('http1')),
    h2c: http2.createServer(answer('h2c')),
    https: https.createServer(tlsOptions, answer('https')),
    h2s: http2.createSecureServer({ ...tlsOptions, allowHTTP1: true }, answer('h2s')),
  }
}

/** A front on an ephemeral port, delivering to `pick(protocol)`. */
async function startFront(t: Tap, options: FrontOptions, pick: (inner: Inner, protocol: FrontProtocol) => Server): Promise<Front> {
  const inner = innerServers()
  const delivered: FrontProtocol[] = []
  const refused: string[] = []
  const accepted: Socket[] = []
  const events = new EventEmitter()
  const server = createConnectionFront(
    options,
    (socket, protocol) => {
      delivered.push(protocol)
      pick(inner, protocol).emit('connection', socket)
      events.emit('delivered')
    },
    (_socket, reason) => refused.push(reason),
  )
  server.on('connection', (socket: Socket) => accepted.push(socket))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => {
    for (const s of accepted) s.destroy()
    server.close()
    await once(server, 'close')
  })
  return { port: (server.address() as AddressInfo).port, server, delivered, refused, accepted, events }
}

interface Answer {
  readonly server: string
  readonly version: string
  readonly url: string
  readonly size: number
  readonly proxied: { source?: { address: string; port: number }; destination?: { address: string; port: number } } | null
}

/** An HTTP/1.1 request over `createConnection` (plain or TLS), or to the port. */
function get1(port: number, path: string, options: { body?: Buffer; createConnection?: () => Socket; agent?: http.Agent } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: options.body ? 'POST' : 'GET', agent: options.agent, createConnection: options.createConnection }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (text += d))
      res.on('end', () => resolve(JSON.parse(text) as Answer))
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/** An HTTP/2 request over a session made by `connect`. */
async function get2(session: http2.ClientHttp2Session, path: string): Promise<Answer> {
  const stream = session.request({ ':path': path })
  let text = ''
  stream.setEncoding('utf8')
  stream.on('data', (d: string) => (text += d))
  await once(stream, 'end')
  return JSON.parse(text) as Answer
}

/** A raw connection that writes `bytes` first (a PROXY header) and hands the socket on. */
function rawWith(port: number, bytes: Buffer): Socket {
  const socket = connect(port, '127.0.0.1')
  socket.write(bytes)
  return socket
}

/** TLS to the front, after `bytes` on the raw connection; ALPN as given. */
function tlsWith(port: number, bytes: Buffer, alpn: string[]): tls.TLSSocket {
  return tls.connect({ socket: rawWith(port, bytes), servername: 'upstream.test', ca: pki.root.cert, ALPNProtocols: alpn })
}

const v1 = (src: string, dst: string, sport: number, dport: number, family = 'TCP4'): Buffer => Buffer.from(`PROXY ${family} ${src} ${dst} ${sport} ${dport}\r\n`, 'latin1')

function v2(src: number[], dst: number[], sport: number, dport: number, tlvs = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(28)
  Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11]).copy(b)
  b.writeUInt16BE(12 + tlvs.length, 14)
  Buffer.from(src).copy(b, 16)
  Buffer.from(dst).copy(b, 20)
  b.writeUInt16BE(sport, 24)
  b.writeUInt16BE(dport, 26)
  return Buffer.concat([b, tlvs])
}

const V2_LOCAL = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x20, 0x00, 0x00, 0x00])

/** Resolves once the front has delivered `count` connections. */
async function deliveries(front: Front, count: number): Promise<void> {
  while (front.delivered.length < count) await once(front.events, 'delivered')
}

/** The server side of the next connection the front accepts, once it has read something. */
function nextRead(front: Front): Promise<Socket> {
  return new Promise((resolve) => {
    front.server.once('connection', (socket: Socket) => socket.once('readable', () => resolve(socket)))
  })
}

t.test('HTTP/1.1 and h2c prior knowledge on one plaintext port', async (t) => {
  const front = await startFront(t, { proxyProtocol: false, h2c: true, headerTimeoutMs: 5000 }, (inner, p) => (p === 'h2' ? inner.h2c : inner.h1))
  const one = await get1(front.port, '/one')
  t.match(one, { server: 'http1', version: '1.1', url: '/one', proxied: null })
  const session = http2.connect(`http://127.0.0.1:${front.port}`)
  t.teardown(() => session.close())
  const two = await get2(session, '/two')
  t.match(two, { server: 'h2c', version: '2.0', url: '/two', proxied: null })
  t.same(await get2(session, '/three').then((a) => a.url), '/three', 'the session goes on')
  // A body, and a second request on the same connection, after the bytes the front put back.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const body = randomBytes(1 << 20)
  const posted = await get1(front.port, '/post', { body, agent })
  t.match(posted, { server: 'http1', size: body.length }, 'a 1 MiB body arrives whole (POST starts with P, as the preface does)')
  t.match(await get1(front.port, '/again', { agent }), { server: 'http1', url: '/again' }, 'keep-alive: the next request on the same connection')
  t.same(front.delivered, ['http1', 'h2', 'http1'], 'one delivery per connection')
  t.same(front.refused, [])
})

t.test('h2c: decided as early as the bytes allow', async (t) => {
  const front = await startFront(t, { proxyProtocol: false, h2c: true, headerTimeoutMs: 5000 }, (inner, p) => (p === 'h2' ? inner.h2c : inner.h1))
  const socket = connect(front.port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  socket.write('G')
  await deliveries(front, 1)
  t.same(front.delivered, ['http1'], 'one byte that is not P is enough')
  socket.write('ET /late HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  let text = ''
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')))
  await once(socket, 'close')
  t.match(text, /^HTTP\/1\.1 200 OK[\s\S]*"url":"\/late"/, 'the byte read early reaches the HTTP server first')

  const pri = connect(front.port, '127.0.0.1')
  t.teardown(() => pri.destroy())
  const read = nextRead(front)
  pri.write('PRI * HTTP/2.0\r\n')
  await read
  t.equal(front.delivered.length, 1, 'a start of the preface: still undecided')
  pri.write('\r\nSX')
  await deliveries(front, 2)
  t.same(front.delivered, ['http1', 'http1'], 'the preface differs at its 23rd byte: HTTP/1')
})

t.test('PROXY v1 and v2 in front of HTTP/1.1 and h2c', async (t) => {
  const front = await startFront(t, { proxyProtocol: true, h2c: true, headerTimeoutMs: 5000 }, (inner, p) => (p === 'h2' ? inner.h2c : inner.h1))
  const byV1 = await get1(front.port, '/v1', { createConnection: () => rawWith(front.port, v1('192.168.0.1', '127.0.0.1', 56324, front.port)) })
  t.same(byV1.proxied, { source: { address: '192.168.0.1', port: 56324 }, destination: { address: '127.0.0.1', port: front.port } }, 'v1 TCP4')
  const byV2 = await get1(front.port, '/v2', { createConnection: () => rawWith(front.port, v2([10, 1, 2, 3], [10, 9, 9, 9], 4000, 8000, Buffer.from([0x04, 0x00, 0x02, 0, 0]))) })
  t.same(byV2.proxied, { source: { address: '10.1.2.3', port: 4000 }, destination: { address: '10.9.9.9', port: 8000 } }, 'v2 with a TLV')
  const byV6 = await get1(front.port, '/v6', { createConnection: () => rawWith(front.port, v1('2001:DB8::7', '::1', 1, 2, 'TCP6')) })
  t.match(byV6.proxied, { source: { address: '2001:db8::7', port: 1 } }, 'v1 TCP6')
  const local = await get1(front.port, '/local', { createConnection: () => rawWith(front.port, V2_LOCAL) })
  t.same(local.proxied, {}, 'v2 LOCAL: a header, no address')
  const unknown = await get1(front.port, '/unknown', { createConnection: () => rawWith(front.port, Buffer.from('PROXY UNKNOWN\r\n')) })
  t.same(unknown.proxied, {}, 'v1 UNKNOWN: a header, no address')

  const session = http2.connect(`http://127.0.0.1:${front.port}`, { createConnection: () => rawWith(front.port, v1('192.168.0.2', '127.0.0.1', 5555, front.port)) })
  t.teardown(() => session.close())
  const h2 = await get2(session, '/h2c')
  t.match(h2, { server: 'h2c', proxied: { source: { address: '192.168.0.2', port: 5555 } } }, 'h2c after a PROXY header; req.socket is the compat proxy')

  // The header in two writes: the front waits for the rest.
  const split = connect(front.port, '127.0.0.1')
  t.teardown(() => split.destroy())
  const read = nextRead(front)
  split.write('PROXY TCP4 192.168.0.3 ')
  await read
  const before = front.delivered.length
  split.write(`127.0.0.1 7 ${front.port}\r\nGET /split HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
  let text = ''
  split.on('data', (d: Buffer) => (text += d.toString('latin1')))
  await once(split, 'close')
  t.equal(before, 6, 'nothing delivered on half a header')
  t.match(text, /"url":"\/split".*"source":\{"address":"192\.168\.0\.3","port":7\}/)
  t.same(front.refused, [])
})

t.test('PROXY v1 and v2 in front of TLS: HTTPS and HTTP/2 over TLS', async (t) => {
  let target: 'https' | 'h2s' = 'https'
  const front = await startFront(t, { proxyProtocol: true, h2c: false, headerTimeoutMs: 5000 }, (inner) => inner[target])
  const viaHttps = await get1(front.port, '/tls-v1', { createConnection: () => tlsWith(front.port, v1('192.168.1.1', '127.0.0.1', 40000, front.port), ['http/1.1']) })
  t.match(viaHttps, { server: 'https', url: '/tls-v1', proxied: { source: { address: '192.168.1.1', port: 40000 } } }, 'HTTPS after v1: proxiedClient(TLSSocket) reads its _parent')
  const viaV2 = await get1(front.port, '/tls-v2', { createConnection: () => tlsWith(front.port, v2([172, 16, 0, 1], [127, 0, 0, 1], 40001, front.port), ['http/1.1']) })
  t.match(viaV2, { server: 'https', proxied: { source: { address: '172.16.0.1', port: 40001 }, destination: { address: '127.0.0.1' } } }, 'HTTPS after v2')

  target = 'h2s'
  const session = http2.connect(`https://upstream.test:${front.port}`, { createConnection: () => tlsWith(front.port, v2([172, 16, 0, 2], [127, 0, 0, 1], 40002, front.port), ['h2']) })
  t.teardown(() => session.close())
  const h2 = await get2(session, '/h2-tls')
  t.match(h2, { server: 'h2s', version: '2.0', proxied: { source: { address: '172.16.0.2', port: 40002 } } }, 'HTTP/2 over TLS: the compat proxy, then TLSSocket, then _parent')
  const h1 = await get1(front.port, '/h1-over-h2s', { createConnection: () => tlsWith(front.port, v1('192.168.1.4', '127.0.0.1', 40004, front.port), ['http/1.1']) })
  t.match(h1, { server: 'h2s', version: '1.1', proxied: { source: { address: '192.168.1.4' } } }, 'HTTP/1.1 on the HTTP/2 server (allowHTTP1)')
  t.same(front.refused, [])
})

t.test('a connection without a PROXY header is closed and reported', async (t) => {
  const front = await startFront(t, { proxyProtocol: true, h2c: false, headerTimeoutMs: 5000 }, (inner) => inner.h1)
  const socket = connect(front.port, '127.0.0.1')
  socket.on('error', () => undefined)
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  let text = ''
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')))
  await once(socket, 'close')
  t.equal(text, '', 'nothing is answered')
  t.same(front.delivered, [], 'nothing delivered')
  t.same(front.refused, ['broken PROXY protocol header: the connection does not start with a PROXY protocol header (first byte 0x47)'])

  const tlsClient = tls.connect({ port: front.port, host: '127.0.0.1', servername: 'upstream.test', ca: pki.root.cert })
  const [err] = (await once(tlsClient, 'error')) as [Error]
  t.match(err.message, /socket disconnected|ECONNRESET|EPIPE/, 'a TLS client without the header: the front hangs up')
  t.match(front.refused[1], /first byte 0x16/, 'a TLS ClientHello is no PROXY header')
})

t.test('a client that sends nothing, or stops half-way, is closed after the timeout', async (t) => {
  const front = await startFront(t, { proxyProtocol: true, h2c: true, headerTimeoutMs: 150 }, (inner) => inner.h1)
  const silent = connect(front.port, '127.0.0.1')
  const half = connect(front.port, '127.0.0.1')
  half.write('PROXY TCP4 1.2.3.4')
  await Promise.all([once(silent, 'close'), once(half, 'close')])
  t.same(front.refused, ['no PROXY protocol header within 150 ms', 'no PROXY protocol header within 150 ms'])

  const h2cOnly = await startFront(t, { proxyProtocol: false, h2c: true, headerTimeoutMs: 150 }, (inner) => inner.h1)
  const quiet = connect(h2cOnly.port, '127.0.0.1')
  quiet.write('PRI * HTTP')
  await once(quiet, 'close')
  t.same(h2cOnly.refused, ['no request within 150 ms'], 'h2c: a start of the preface and then nothing')
  t.same(h2cOnly.delivered, [])
})

t.test('a client that closes before the front decides is dropped without a word', async (t) => {
  const front = await startFront(t, { proxyProtocol: true, h2c: true, headerTimeoutMs: 5000 }, (inner) => inner.h1)
  const closed = new Promise<void>((resolve) => front.server.once('connection', (s: Socket) => s.once('close', () => resolve())))
  const socket = connect(front.port, '127.0.0.1')
  socket.end('PROX')
  await closed
  const reset = new Promise<void>((resolve) => front.server.once('connection', (s: Socket) => s.once('close', () => resolve())))
  const rude = connect(front.port, '127.0.0.1', () => rude.resetAndDestroy())
  await reset
  t.same(front.refused, [], 'no refusal reported')
  t.same(front.delivered, [])
})

t.test('without PROXY and h2c the socket is delivered at once', async (t) => {
  const front = await startFront(t, { proxyProtocol: false, h2c: false, headerTimeoutMs: 10 }, (inner) => inner.h1)
  const socket = connect(front.port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  await once(socket, 'connect')
  await deliveries(front, 1)
  t.same(front.delivered, ['http1'], 'before any byte')
  t.match(await get1(front.port, '/'), { server: 'http1', proxied: null })
})

t.test('random bytes never throw, and the front goes on serving', async (t) => {
  const front = await startFront(t, { proxyProtocol: true, h2c: true, headerTimeoutMs: 2000 }, (inner, p) => (p === 'h2' ? inner.h2c : inner.h1))
  const starts = [Buffer.alloc(0), Buffer.from('PROXY '), Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n'), Buffer.from('PROXY UNKNOWN\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), V2_LOCAL, v2([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)]
  const clients: Promise<unknown>[] = []
  for (let i = 0; i < 120; i++) {
    const socket = connect(front.port, '127.0.0.1')
    socket.on('error', () => undefined)
    socket.on('data', () => undefined)
    const bytes = Buffer.concat([starts[i % starts.length], randomBytes(i % 7 === 0 ? 5000 : i % 200)])
    socket.end(bytes)
    clients.push(once(socket, 'close'))
  }
  await Promise.all(clients)
  t.ok(front.refused.length > 0, 'garbage is refused')
  t.ok(front.delivered.length > 0, 'valid headers followed by garbage reach the inner servers, which answer them')
  const after = await get1(front.port, '/after', { createConnection: () => rawWith(front.port, v1('192.168.0.9', '127.0.0.1', 9, front.port)) })
  t.match(after, { url: '/after', proxied: { source: { address: '192.168.0.9' } } }, 'still serving')
})

t.test('proxiedClient on sockets the front did not read', async (t) => {
  t.equal(proxiedClient({}), undefined)
  t.equal(proxiedClient({ _parent: null }), undefined)
  t.equal(proxiedClient({ _parent: {} }), undefined)
})
