// TLS and HTTP/2 listeners through a real node: certificate selection by SNI (exact, wildcards,
// the `*` SNI, the default), RSA or ECDSA by the client's ciphers, a certificate swap on a new
// config while a connection stays open, the admin API over https + h2 as Kong's Helm chart sets
// it, https-only routes, HTTP/2 clients proxied to an HTTP/1.1 upstream, and hostile clients.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https'
import { connect as h2connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2'
import { once } from 'node:events'
import { connect as netConnect, type AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { selfSigned } from '../helpers/tls.js'
import { eventually, freePort } from '../helpers/node.js'
import { kongYml, send, startE2eNode, workerPids, type Reply } from '../helpers/e2e.js'
import { echoUpstream, type Echoed } from '../helpers/upstreams.js'

const exact = selfSigned('rsa', ['exact.test'])
const wildRsa = selfSigned('rsa', ['*.wild.test'])
const wildEc = selfSigned('ec', ['*.wild.test'])
const suffix = selfSigned('rsa', ['suffix.any'])
const star = selfSigned('rsa', ['star.test'])
const exact2 = selfSigned('rsa', ['exact.test'])
const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256

const upstream = await echoUpstream()
t.teardown(() => upstream.close())
const wsUpstream = new WebSocketServer({ host: '127.0.0.1', port: 0 })
wsUpstream.on('connection', (socket) => socket.on('message', (data: Buffer) => socket.send(`echo: ${data.toString()}`)))
await once(wsUpstream, 'listening')
t.teardown(() => new Promise<void>((resolve) => wsUpstream.close(() => resolve())))

const [plain, ssl, admin] = await Promise.all([freePort(), freePort(), freePort()])

function config(exactCert = exact): Record<string, unknown> {
  return {
    certificates: [
      { cert: exactCert.cert, key: exactCert.key, snis: [{ name: 'exact.test' }] },
      { cert: wildRsa.cert, key: wildRsa.key, cert_alt: wildEc.cert, key_alt: wildEc.key, snis: [{ name: '*.wild.test' }] },
      { cert: suffix.cert, key: suffix.key, snis: [{ name: 'suffix.*' }] },
      { cert: star.cert, key: star.key, snis: [{ name: '*' }] },
    ],
    services: [
      {
        name: 'echo',
        url: `http://127.0.0.1:${upstream.port}`,
        routes: [
          { name: 'any', paths: ['/any'] },
          { name: 'secure', paths: ['/secure'], protocols: ['https'] },
          { name: 'redirect', paths: ['/redirect'], protocols: ['https'], https_redirect_status_code: 301 },
          { name: 'by-sni', paths: ['/sni'], protocols: ['https'], snis: ['exact.test'] },
        ],
      },
      { name: 'ws', url: `http://127.0.0.1:${(wsUpstream.address() as AddressInfo).port}`, routes: [{ name: 'ws', paths: ['/ws'] }] },
    ],
  }
}

const node = await startE2eNode(t, kongYml(config()), {
  KONG_PROXY_LISTEN: `127.0.0.1:${plain}, 127.0.0.1:${ssl} http2 ssl`,
  KONG_ADMIN_LISTEN: `127.0.0.1:${admin} http2 ssl`,
})

const insecure = { rejectUnauthorized: false } as const

/** The certificate the proxy's ssl listener serves for a handshake, and the socket's ALPN. */
function handshake(options: ConnectionOptions): Promise<{ fingerprint: string; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = tlsConnect({ host: '127.0.0.1', port: ssl, ...insecure, ...options }, () => {
      const result = { fingerprint: socket.getPeerCertificate().fingerprint256, alpn: socket.alpnProtocol }
      socket.destroy()
      resolve(result)
    })
    socket.on('error', reject)
  })
}

/** One HTTPS/1.1 request to `port`. */
function httpsSend(port: number, path: string, options: { servername?: string; headers?: Record<string, string>; agent?: HttpsAgent; method?: string; body?: string } = {}): Promise<Reply & { localPort: number; peer: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false, ...insecure, ...(options.servername ? { servername: options.servername } : {}) },
      (res) => {
        const chunks: Buffer[] = []
        const localPort = res.socket.localPort ?? 0
        const peer = (res.socket as TLSSocket).getPeerCertificate().fingerprint256
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const body = Buffer.concat(chunks)
          resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body, text: body.toString('utf8'), res, localPort, peer })
        })
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** One request over an HTTP/2 session. */
function h2Send(session: ClientHttp2Session, headers: Record<string, string>, body?: string[]): Promise<{ headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined })
    let responded: IncomingHttpHeaders = {}
    const chunks: Buffer[] = []
    stream.on('response', (h) => (responded = h))
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => resolve({ headers: responded, text: Buffer.concat(chunks).toString('utf8') }))
    stream.on('error', reject)
    if (body !== undefined) {
      for (const part of body) stream.write(part)
      stream.end()
    }
  })
}

t.test('the certificate is chosen by SNI as Kong chooses it', async (t) => {
  // Node's client takes ECDSA, so of Kong's two default certificates it gets the ECDSA one.
  const defaultCert = readFileSync(join(node.prefix, 'ssl', 'kong-default-ecdsa.crt'), 'utf8')
  const cases: [string | undefined, string, string][] = [
    ['exact.test', fingerprint(exact.cert), 'exact name'],
    ['EXACT.test', fingerprint(exact.cert), 'names are case-insensitive'],
    ['a.wild.test', fingerprint(wildEc.cert), 'prefix wildcard (ECDSA: the client takes it)'],
    ['x.a.wild.test', fingerprint(star.cert), 'a prefix wildcard spans one label: the `*` SNI'],
    ['suffix.eu', fingerprint(suffix.cert), 'suffix wildcard'],
    ['nothing.test', fingerprint(star.cert), 'no match: the `*` SNI'],
    [undefined, fingerprint(defaultCert), 'no SNI: the default certificate'],
  ]
  for (const [servername, want, what] of cases) {
    const got = await handshake(servername === undefined ? {} : { servername })
    t.equal(got.fingerprint, want, what)
  }
})

t.test('an RSA and an ECDSA certificate side by side: the client ciphers choose', async (t) => {
  const tls12 = { servername: 'a.wild.test', maxVersion: 'TLSv1.2' } as const
  t.equal((await handshake({ ...tls12, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).fingerprint, fingerprint(wildEc.cert), 'ECDSA-only client')
  t.equal((await handshake({ ...tls12, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' })).fingerprint, fingerprint(wildRsa.cert), 'RSA-only client')
})

t.test('ALPN: h2 when offered, HTTP/1.1 otherwise', async (t) => {
  t.equal((await handshake({ ALPNProtocols: ['h2', 'http/1.1'] })).alpn, 'h2')
  t.equal((await handshake({ ALPNProtocols: ['http/1.1'] })).alpn, 'http/1.1')
  const reply = await httpsSend(ssl, '/any/x')
  t.equal(reply.status, 200, 'HTTP/1.1 over TLS is proxied')
})

t.test('WebSocket over TLS on an http2 ssl listener (HTTP/1.1 by ALPN)', async (t) => {
  const ws = new WebSocket(`wss://127.0.0.1:${ssl}/ws`, { rejectUnauthorized: false })
  t.teardown(() => ws.close())
  await once(ws, 'open')
  const reply = once(ws, 'message')
  ws.send('over tls')
  t.equal(String((await reply)[0]), 'echo: over tls')
})

t.test('https-only routes: 426 or the redirect over http, proxied over TLS with X-Forwarded-Proto https', async (t) => {
  const refused = await send(plain, { path: '/secure' })
  t.equal(refused.status, 426)
  t.match(JSON.parse(refused.text), { message: 'Please use HTTPS protocol' })
  t.equal(refused.headers.upgrade, 'TLS/1.2, HTTP/1.1')
  const moved = await send(plain, { path: '/redirect/a?b=c', headers: { host: 'Example.COM:8000' } })
  t.equal(moved.status, 301)
  t.equal(moved.headers.location, 'https://example.com/redirect/a?b=c')
  const ok = await httpsSend(ssl, '/secure/x')
  t.equal(ok.status, 200)
  const e = JSON.parse(ok.text) as Echoed
  t.equal(e.headers['x-forwarded-proto'], 'https')
  t.equal(e.headers['x-forwarded-port'], String(ssl))
})

t.test("a route's snis match the TLS server name", async (t) => {
  t.equal((await httpsSend(ssl, '/sni', { servername: 'exact.test' })).status, 200)
  t.equal((await httpsSend(ssl, '/sni', { servername: 'other.test' })).status, 404)
})

t.test('HTTP/2 clients are proxied to an HTTP/1.1 upstream with Kong headers', async (t) => {
  const session = h2connect(`https://127.0.0.1:${ssl}`, { ...insecure, servername: 'exact.test' })
  t.teardown(() => session.close())
  const get = await h2Send(session, { ':path': '/any/h2?q=1', ':authority': 'exact.test', 'x-thing': 'a' })
  t.equal(get.headers[':status'], 200)
  const e = JSON.parse(get.text) as Echoed
  t.equal(e.url, '/h2?q=1')
  t.equal(e.httpVersion, '1.1', 'the upstream is spoken to in HTTP/1.1')
  t.equal(e.headers.host, `127.0.0.1:${upstream.port}`)
  t.equal(e.headers['x-forwarded-host'], 'exact.test', 'the host is :authority')
  t.equal(e.headers['x-forwarded-proto'], 'https')
  t.equal(e.headers['x-thing'], 'a')
  t.match(e.headers.via, /^2 kong\//, 'Via names HTTP/2')
  t.notOk(Object.keys(e.headers).some((k) => k.startsWith(':')), 'no pseudo-header goes upstream')
  t.ok(get.headers['x-kong-request-id'], "Kong's headers on the HTTP/2 response")
  t.notOk(get.headers.connection, 'no connection-specific header in an HTTP/2 response')

  const post = await h2Send(session, { ':method': 'POST', ':path': '/any/body' }, ['hello ', 'world'])
  t.equal((JSON.parse(post.text) as Echoed).body, 'hello world', 'a body without content-length is streamed upstream')

  const missing = await h2Send(session, { ':path': '/nowhere' })
  t.equal(missing.headers[':status'], 404)
  t.match(JSON.parse(missing.text), { message: 'no Route matched with those values' })
})

t.test('the admin API over https and HTTP/2, as the Helm chart configures it', async (t) => {
  const session = h2connect(`https://127.0.0.1:${admin}`, insecure)
  t.teardown(() => session.close())
  const status = await h2Send(session, { ':path': '/status' })
  t.equal(status.headers[':status'], 200)
  t.ok((JSON.parse(status.text) as { configuration_hash: string }).configuration_hash)
  const h1 = await httpsSend(admin, '/')
  t.equal(h1.status, 200, 'HTTP/1.1 over TLS too')
  const adminCert = readFileSync(join(node.prefix, 'ssl', 'admin-kong-default-ecdsa.crt'), 'utf8')
  const served = await new Promise<string>((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port: admin, ...insecure }, () => {
      resolve(s.getPeerCertificate().fingerprint256)
      s.destroy()
    })
    s.on('error', reject)
  })
  t.equal(served, fingerprint(adminCert), "the admin listener's own default certificate")
})

t.test('a new config swaps certificates; an open connection stays up', async (t) => {
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const before = await httpsSend(ssl, '/any/1', { servername: 'exact.test', agent })
  t.equal(before.status, 200)
  t.equal(before.peer, fingerprint(exact.cert))

  const session = h2connect(`https://127.0.0.1:${admin}`, insecure)
  t.teardown(() => session.close())
  const pushed = await h2Send(session, { ':method': 'POST', ':path': '/config', 'content-type': 'application/json' }, [JSON.stringify({ _format_version: '3.0', ...config(exact2) })])
  t.equal(pushed.headers[':status'], 201)

  // The answer comes once the config is live in the primary; the worker takes it in just after.
  const swapped = await eventually(async () => (await handshake({ servername: 'exact.test' })).fingerprint === fingerprint(exact2.cert))
  t.ok(swapped, 'a new handshake gets the new certificate')
  const after = await httpsSend(ssl, '/any/2', { servername: 'exact.test', agent })
  t.equal(after.status, 200, 'the open connection still serves')
  t.equal(after.localPort, before.localPort, 'over the same connection')
  t.equal(after.peer, fingerprint(exact.cert), 'which keeps the certificate it was opened with')
})

t.test('hostile TLS clients cost their own connection only', async (t) => {
  const pids = await workerPids(node)
  // Garbage instead of a ClientHello.
  await new Promise<void>((resolve) => {
    const s = netConnect(ssl, '127.0.0.1', () => s.write(Buffer.from('this is not TLS at all\r\n\r\n')))
    s.on('close', () => resolve())
    s.on('error', () => undefined)
  })
  // A handshake cut off halfway.
  await new Promise<void>((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port: ssl, ...insecure, servername: 'exact.test' })
    s.on('error', () => undefined)
    s.once('secureConnect', () => s.destroy())
    s.on('close', () => resolve())
    setImmediate(() => s.destroy())
  })
  // A client that asks only for a protocol version the listener does not speak.
  await t.rejects(handshake({ maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }))
  t.equal((await httpsSend(ssl, '/any/after')).status, 200, 'the listener still serves')
  t.same(await workerPids(node), pids, 'no worker died')
})
