// gRPC through a real node, with @grpc/grpc-js as the real client and upstream: h2c and TLS
// listeners, grpc (h2c) and grpcs upstreams, unary and streaming calls, statuses and trailers
// passed through, and Kong's checks on gRPC routes (415, 426, gRPC over plain on a grpcs route).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { connect as h2connect } from 'node:http2'
import { join } from 'node:path'
import { credentials, Metadata, status as grpcStatus } from '@grpc/grpc-js'
import { freePort } from '../helpers/node.js'
import { kongYml, send, startE2eNode } from '../helpers/e2e.js'
import { clientStream, greeterClient, grpcUpstream, serverStream, unary } from '../helpers/grpc.js'
import { makePki } from '../helpers/tls.js'

const pki = makePki()
t.teardown(() => pki.dispose())
const plainUpstream = await grpcUpstream()
const tlsUpstream = await grpcUpstream({ certChain: pki.serverChain, key: pki.server.key })
t.teardown(() => Promise.all([plainUpstream.close(), tlsUpstream.close()]))

const [h2c, tls] = await Promise.all([freePort(), freePort()])
const node = await startE2eNode(
  t,
  kongYml({
    services: [
      { name: 'greeter', url: `grpc://127.0.0.1:${plainUpstream.port}`, routes: [{ name: 'greeter', protocols: ['grpc', 'grpcs'], paths: ['/test.Greeter/'] }] },
      {
        name: 'secure-greeter',
        protocol: 'grpcs',
        host: '127.0.0.1',
        port: tlsUpstream.port,
        routes: [{ name: 'secure', protocols: ['grpc'], hosts: ['secure.test'], paths: ['/test.Greeter/'] }],
      },
      { name: 'grpcs-only', url: `grpc://127.0.0.1:${plainUpstream.port}`, routes: [{ name: 'grpcs-only', protocols: ['grpcs'], hosts: ['only.test'] }] },
    ],
  }),
  { KONG_PROXY_LISTEN: `127.0.0.1:${h2c} http2, 127.0.0.1:${tls} http2 ssl` },
)

const plainClient = greeterClient(`127.0.0.1:${h2c}`, credentials.createInsecure())
t.teardown(() => plainClient.close())

t.test('a unary call over h2c: message, metadata and trailers pass through', async (t) => {
  const metadata = new Metadata()
  metadata.set('x-caller', 'e2e')
  const r = await unary(plainClient, 'Hello', { name: 'kong' }, metadata)
  t.equal(r.status.code, grpcStatus.OK)
  t.match(r.messages[0], { greeting: 'hello kong' })
  t.match(r.messages[0]?.metadata, { 'x-caller': 'e2e' }, 'request metadata reaches the upstream')
  t.same(r.headers?.get('x-initial'), ['yes'], 'initial metadata comes back')
  t.same(r.status.metadata.get('x-trailer'), ['done'], 'trailing metadata comes back')
  t.ok(r.headers?.get('x-kong-request-id')?.length, "Kong's headers are on the response")
})

t.test('a failing call: status and message in a trailers-only response', async (t) => {
  const r = await unary(plainClient, 'Fail', {})
  t.equal(r.status.code, grpcStatus.NOT_FOUND)
  t.equal(r.status.details, 'no such greeting')
})

t.test('streaming both ways', async (t) => {
  const down = await serverStream(plainClient, 'Count', { n: 5 })
  t.same(down.messages.map((m) => m.i), [1, 2, 3, 4, 5])
  t.equal(down.status.code, grpcStatus.OK)
  const up = await clientStream(plainClient, 'Sum', [{ v: 1 }, { v: 2 }, { v: 39 }])
  t.same(up.messages, [{ sum: 42 }])
})

t.test('gRPC over the TLS listener (ALPN h2)', async (t) => {
  const defaults = ['kong-default.crt', 'kong-default-ecdsa.crt'].map((f) => readFileSync(join(node.prefix, 'ssl', f), 'utf8')).join('')
  const client = greeterClient(`127.0.0.1:${tls}`, credentials.createSsl(Buffer.from(defaults)), { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' })
  t.teardown(() => client.close())
  const r = await unary(client, 'Hello', { name: 'tls' })
  t.equal(r.status.code, grpcStatus.OK)
  t.match(r.messages[0], { greeting: 'hello tls' })
})

t.test('a grpcs upstream (not verified: Kong allows tls_verify on https and tls services only)', async (t) => {
  const client = greeterClient(`127.0.0.1:${h2c}`, credentials.createInsecure(), { 'grpc.default_authority': 'secure.test' })
  t.teardown(() => client.close())
  const r = await unary(client, 'Hello', { name: 'secure' })
  t.equal(r.status.code, grpcStatus.OK, r.status.details)
  t.match(r.messages[0], { greeting: 'hello secure' })
})

t.test("Kong's checks on gRPC routes", async (t) => {
  const onlyTls = greeterClient(`127.0.0.1:${h2c}`, credentials.createInsecure(), { 'grpc.default_authority': 'only.test' })
  t.teardown(() => onlyTls.close())
  const r = await unary(onlyTls, 'Hello', {})
  t.equal(r.status.code, 1, 'plain gRPC on a grpcs-only route: grpc-status 1')
  t.equal(r.status.details, 'gRPC request matched gRPCs route')

  const h1 = await send(h2c, { path: '/test.Greeter/Hello', method: 'POST', headers: { 'content-type': 'application/grpc' } })
  t.equal(h1.status, 426, 'gRPC over HTTP/1.1')
  t.match(JSON.parse(h1.text), { message: 'Please use HTTP2 protocol' })
  t.equal(h1.headers.upgrade, 'HTTP/2')

  const notGrpc = await send(h2c, { path: '/test.Greeter/Hello' })
  t.equal(notGrpc.status, 415, 'not gRPC at all')
  t.match(JSON.parse(notGrpc.text), { message: 'Non-gRPC request matched gRPC route' })

  const session = h2connect(`http://127.0.0.1:${h2c}`)
  t.teardown(() => session.close())
  const h2status = await new Promise<number>((resolve, reject) => {
    const s = session.request({ ':path': '/test.Greeter/Hello', ':method': 'POST', 'content-type': 'text/plain' })
    s.on('response', (h) => resolve(Number(h[':status'])))
    s.on('error', reject)
    s.end('x')
  })
  t.equal(h2status, 415, 'HTTP/2 but not gRPC')
})
