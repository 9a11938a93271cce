// The ClientHello reader on real ClientHellos: Node's TLS client sends each one to a plain TCP
// server that records the first bytes, with the options that change what certificate fits.
import t from 'tap'
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import { connect, type ConnectionOptions } from 'node:tls'
import { MAX_HELLO_BYTES, parseClientHello } from '../../src/tls/client-hello.js'

/** The bytes a TLS client opens a connection with. */
async function helloOf(options: ConnectionOptions): Promise<Buffer> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    const got = once(server, 'connection').then(async ([socket]) => {
      const [chunk] = (await once(socket as NodeJS.EventEmitter, 'data')) as [Buffer]
      ;(socket as { destroy(): void }).destroy()
      return chunk
    })
    const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ...options })
    client.on('error', () => undefined)
    const hello = await got
    client.destroy()
    return hello
  } finally {
    server.close()
  }
}

t.test('server name and ECDSA support of real ClientHellos', async (t) => {
  const cases: [string, ConnectionOptions, { servername: string | undefined; ecdsa: boolean }][] = [
    ['a default client', { servername: 'api.example.test' }, { servername: 'api.example.test', ecdsa: true }],
    ['no server name', {}, { servername: undefined, ecdsa: true }],
    ['TLS 1.2, ECDSA suites only', { servername: 'a.test', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }, { servername: 'a.test', ecdsa: true }],
    ['TLS 1.2, RSA suites only', { servername: 'a.test', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }, { servername: 'a.test', ecdsa: false }],
    ['TLS 1.3, RSA signatures only', { servername: 'a.test', sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256' }, { servername: 'a.test', ecdsa: false }],
    ['TLS 1.3, ECDSA signatures only', { servername: 'a.test', sigalgs: 'ecdsa_secp256r1_sha256' }, { servername: 'a.test', ecdsa: true }],
  ]
  for (const [what, options, want] of cases) {
    const parse = parseClientHello(await helloOf(options))
    t.same(parse, { kind: 'hello', hello: want }, what)
  }
})

t.test('partial, foreign and hostile first bytes', async (t) => {
  const hello = await helloOf({ servername: 'api.example.test' })
  for (const cut of [0, 1, 4, 5, 40, hello.length - 1]) t.same(parseClientHello(hello.subarray(0, cut)), { kind: 'incomplete' }, `cut at ${cut} bytes: wait for more`)
  t.same(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n\r\n')), { kind: 'not-hello' }, 'plain HTTP on a TLS port')
  const huge = Buffer.from(hello)
  huge.writeUInt16BE(MAX_HELLO_BYTES, 3)
  t.same(parseClientHello(huge), { kind: 'not-hello' }, 'a record over the bound is not waited for')
  const alert = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])
  t.same(parseClientHello(alert), { kind: 'not-hello' }, 'a TLS record that is not a handshake')
  const notHello = Buffer.from(hello)
  notHello[5] = 0x02
  t.same(parseClientHello(notHello), { kind: 'not-hello' }, 'a handshake message that is not a ClientHello')
  // Lengths inside the message that point past its end never read out of bounds.
  for (let i = 0; i < 2000; i++) {
    const fuzzed = Buffer.from(hello)
    for (let j = 0; j < 4; j++) fuzzed[9 + Math.floor(Math.random() * (fuzzed.length - 9))] = Math.floor(Math.random() * 256)
    const parse = parseClientHello(fuzzed)
    if (parse.kind === 'incomplete') t.fail('a whole record is never incomplete')
  }
  t.pass('2000 corrupted ClientHellos parsed without throwing')
})
