/**
 * Reading the server name from a real ClientHello before the handshake, and serving the whole
 * selected context on the connection: the path that makes an SNI certificate replace both of
 * Kong's default pairs, which Node's SNICallback does not (nodejs/node#54235).
 */
import { once } from 'node:events'
import { X509Certificate } from 'node:crypto'
import { connect as connectNet, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { connect, createSecureContext, type ConnectionOptions } from 'node:tls'
import t from 'tap'
import type { Certificate, Sni } from '../../src/declarative/schema/entities/certificates.js'
import { buildCertificateSelector, SecureContextCache } from '../../src/tls/certificate-selector.js'
import { MAX_CLIENT_HELLO_BYTES, peekClientHello, scanClientHello } from '../../src/tls/client-hello.js'
import { handshakeOn } from '../helpers/handshake.js'
import { selfSigned } from '../helpers/tls.js'

/** Accepts one connection on a loopback port and hands its socket over. */
async function acceptOne(): Promise<{ port: number; accepted: Promise<Socket>; close: () => void }> {
  const server = createNetServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const accepted = once(server, 'connection').then(([s]) => s as Socket)
  return { port: (server.address() as AddressInfo).port, accepted, close: () => server.close() }
}

/** The bytes a real node:tls client sends first, whole. */
async function clientHello(options: ConnectionOptions): Promise<Buffer> {
  const { port, accepted, close } = await acceptOne()
  const client = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options })
  client.on('error', () => undefined)
  const socket = await accepted
  let data = Buffer.alloc(0)
  while (data.length < 5 || data.length < 5 + data.readUInt16BE(3)) {
    const [chunk] = (await once(socket, 'data')) as [Buffer]
    data = Buffer.concat([data, chunk])
  }
  client.destroy()
  socket.destroy()
  close()
  return data
}

/** The same ClientHello re-framed into records of at most `size` bytes of handshake data each. */
function reframe(hello: Buffer, size: number): Buffer {
  const body = hello.subarray(5)
  const records: Buffer[] = []
  for (let i = 0; i < body.length; i += size) {
    const part = body.subarray(i, i + size)
    const header = Buffer.from([0x16, hello[1] ?? 3, hello[2] ?? 1, 0, 0])
    header.writeUInt16BE(part.length, 3)
    records.push(header, part)
  }
  return Buffer.concat(records)
}

t.test('the server name of real ClientHellos, however the bytes arrive', async (t) => {
  const named = await clientHello({ servername: 'Api.Example.TEST' })
  t.same(scanClientHello(named), { kind: 'hello', servername: 'Api.Example.TEST' }, 'the name as the client sent it')
  t.same(scanClientHello(await clientHello({ servername: '' })), { kind: 'hello', servername: undefined }, 'no server name sent')
  t.same(scanClientHello(await clientHello({ servername: 'old.test', maxVersion: 'TLSv1.2' })), { kind: 'hello', servername: 'old.test' }, 'a TLS 1.2 ClientHello')
  let partial = 0
  for (let i = 0; i < named.length; i++) if (scanClientHello(named.subarray(0, i)).kind === 'partial') partial++
  t.equal(partial, named.length, 'every prefix is partial')
  t.same(scanClientHello(reframe(named, 100)), { kind: 'hello', servername: 'Api.Example.TEST' }, 'a ClientHello spread over records')
  t.same(scanClientHello(reframe(named, 2)), { kind: 'hello', servername: 'Api.Example.TEST' }, 'even with its header split')
  t.same(scanClientHello(Buffer.concat([named, Buffer.from('more')])), { kind: 'hello', servername: 'Api.Example.TEST' }, 'bytes after it are not read')
})

t.test('what is not a readable ClientHello', async (t) => {
  const hello = await clientHello({ servername: 'a.test' })
  const cases: [string, Buffer, string][] = [
    ['plain HTTP', Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n'), 'not a TLS handshake'],
    ['an SSLv2-style hello', Buffer.from([0x80, 0x2e, 0x01, 0x03, 0x01]), 'not a TLS handshake'],
    ['another record within the hello', Buffer.concat([reframe(hello, 100).subarray(0, 105), Buffer.from([0x15, 3, 3, 0, 2, 2, 40])]), 'the ClientHello is interrupted by another record'],
    ['a ServerHello', Buffer.from([0x16, 3, 3, 0, 4, 0x02, 0, 0, 0]), 'the first handshake message is not a ClientHello'],
    ['a length beyond OpenSSL\'s bound', Buffer.from([0x16, 3, 3, 0, 4, 0x01, 0x10, 0, 0]), 'the ClientHello is too large'],
    ['a hello cut inside', Buffer.from([0x16, 3, 3, 0, 8, 0x01, 0, 0, 4, 3, 3, 0, 0]), 'the ClientHello is malformed'],
  ]
  for (const [desc, bytes, reason] of cases) t.same(scanClientHello(bytes), { kind: 'other', reason }, desc)
  t.same(scanClientHello(Buffer.alloc(0)), { kind: 'partial' }, 'nothing yet')
  const endless = Buffer.alloc(MAX_CLIENT_HELLO_BYTES + 100_000, 0)
  for (let at = 0; at + 5 <= endless.length; at += 16_389) endless.set([0x16, 3, 3, 0x40, 0], at)
  endless.set([0x01, 0x01, 0xff, 0xff], 5)
  t.same(scanClientHello(endless.subarray(0, 50_000)), { kind: 'partial' }, 'a large hello is read on')
  const empties = Buffer.alloc(5 * 40_000)
  for (let at = 0; at < empties.length; at += 5) empties.set([0x16, 3, 3, 0, 0], at)
  t.same(scanClientHello(empties), { kind: 'other', reason: 'the ClientHello is too large' }, 'empty records without end are cut off')
})

t.test('peekClientHello gives the bytes back to whoever reads the socket next', async (t) => {
  const { port, accepted, close } = await acceptOne()
  t.teardown(close)
  const client = connectNet(port, '127.0.0.1')
  client.write('GET / HTTP/1.1\r\n\r\n')
  const socket = await accepted
  t.same(await peekClientHello(socket, 5000), { kind: 'other', reason: 'not a TLS handshake' }, 'plain HTTP is not TLS')
  socket.resume()
  const [chunk] = (await once(socket, 'data')) as [Buffer]
  t.equal(chunk.toString(), 'GET / HTTP/1.1\r\n\r\n', 'the request is still there to be answered')
  client.destroy()
  socket.destroy()

  const silent = await acceptOne()
  t.teardown(silent.close)
  const quiet = connectNet(silent.port, '127.0.0.1')
  t.same(await peekClientHello(await silent.accepted, 50), { kind: 'other', reason: 'no ClientHello in time' }, 'a silent client times out')
  quiet.destroy()

  const leaving = await acceptOne()
  t.teardown(leaving.close)
  const gone = connectNet(leaving.port, '127.0.0.1')
  const leavingSocket = await leaving.accepted
  gone.end()
  t.same(await peekClientHello(leavingSocket, 5000), { kind: 'other', reason: 'the client left before its ClientHello' }, 'a client that leaves')
})

t.test("an SNI certificate replaces both of Kong's default pairs on the connection", async (t) => {
  const defaults = { rsa: selfSigned('rsa', ['localhost']), ec: selfSigned('ec', ['localhost']) }
  const sniRsa = selfSigned('rsa', ['api.test'])
  const base = {}
  const fallback = createSecureContext({ ...base, cert: [defaults.rsa.cert, defaults.ec.cert], key: [defaults.rsa.key, defaults.ec.key] })
  const cert: Certificate = Object.freeze({ id: '00000000-0000-4000-8000-00000000000a', cert: sniRsa.cert, key: sniRsa.key, cert_alt: null, key_alt: null, tags: null, created_at: 1, updated_at: 1 })
  const sni: Sni = Object.freeze({ id: '00000000-0000-4000-8000-00000000000b', name: 'api.test', certificate: { id: cert.id }, tags: null, created_at: 1, updated_at: 1 })
  const selector = buildCertificateSelector([cert], [sni], new SecureContextCache(base))
  const choose = (name: string | undefined) => (name === undefined ? undefined : selector.select(name)) ?? fallback
  const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256
  const peer = async (client: ConnectionOptions): Promise<string> => {
    const r = await handshakeOn(choose, client)
    return 'error' in r ? r.error : r.peer.fingerprint256
  }
  t.equal(await peer({ servername: 'api.test' }), fingerprint(sniRsa.cert), 'a TLS 1.3 client that prefers ECDSA gets the RSA-only SNI certificate')
  t.not(await peer({ servername: 'api.test', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }), fingerprint(defaults.ec.cert), 'and an ECDSA-only client never gets the default instead')
  t.equal(await peer({ servername: 'other.test' }), fingerprint(defaults.ec.cert), 'an unknown name gets the defaults, ECDSA first for a TLS 1.3 client')
  t.equal(await peer({ servername: '', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }), fingerprint(defaults.rsa.cert), 'no name, RSA-only: the default RSA pair')
})
