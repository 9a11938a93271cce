// Kong's checks on requests that matched a gRPC route, after kong/runloop/handler.lua
// access.before and spec/02-integration/05-proxy/19-grpc_proxy_spec.lua ("errors with").
import { connect as h2connect, createServer as createH2Server } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { credentials, status } from '@grpc/grpc-js'
import t from 'tap'
import { grpcRouteCheck, type GrpcRouteFacts } from '../../src/proxy/grpc-checks.js'
import type { ErrorRequest } from '../../src/proxy/error-response.js'
import { sendHttp2Answer } from '../../src/proxy/grpc-forward.js'
import { greeterClient, unary } from '../helpers/grpc.js'

const RID = '0123456789abcdef0123456789abcdef'
const JSON_TYPE = 'application/json; charset=utf-8'
const json = (m: string): string => `{\n  "message":"${m}",\n  "request_id":"${RID}"\n}`

interface Row {
  readonly desc: string
  readonly facts: Partial<GrpcRouteFacts>
  /** Extra request lines (the error body's format is negotiated from them). */
  readonly headers?: [string, string][]
  /** undefined: the request goes on. */
  readonly expect: { status: number; headers: Record<string, string>; body: string } | undefined
}

const BASE: GrpcRouteFacts = { protocols: ['grpc', 'grpcs'], httpVersionMajor: 2, contentType: 'application/grpc', forwardedProto: 'http' }
const notGrpc = { status: 415, headers: { 'content-type': JSON_TYPE, 'content-length': String(json('Non-gRPC request matched gRPC route').length) }, body: json('Non-gRPC request matched gRPC route') }
const useHttp2 = {
  status: 426,
  headers: { 'content-type': JSON_TYPE, 'content-length': String(json('Please use HTTP2 protocol').length), connection: 'Upgrade', upgrade: 'HTTP/2' },
  body: json('Please use HTTP2 protocol'),
}
const grpcsOnly = { status: 200, headers: { 'content-type': 'application/grpc', 'grpc-status': '1', 'grpc-message': 'gRPC request matched gRPCs route', 'content-length': '0' }, body: '' }

const ROWS: Row[] = [
  { desc: 'gRPC over HTTP/2 on a grpc route goes on', facts: { protocols: ['grpc'] }, expect: undefined },
  { desc: 'gRPC with a subtype (application/grpc+proto) goes on', facts: { contentType: 'application/grpc+proto' }, expect: undefined },
  { desc: 'gRPC over TLS on a grpcs-only route goes on', facts: { protocols: ['grpcs'], forwardedProto: 'https' }, expect: undefined },
  { desc: 'an http route is none of these checks’ business, whatever the request', facts: { protocols: ['http', 'https'], httpVersionMajor: 1, contentType: 'text/plain' }, expect: undefined },
  { desc: 'no Content-Type on a grpc route: 415', facts: { contentType: undefined }, expect: notGrpc },
  { desc: 'a JSON Content-Type on a grpc route: 415', facts: { contentType: 'application/json' }, expect: notGrpc },
  { desc: 'the Content-Type check is case-sensitive, as Kong’s sub() compare', facts: { contentType: 'Application/gRPC' }, expect: notGrpc },
  { desc: 'not gRPC and not HTTP/2: 415 comes first', facts: { contentType: 'text/html', httpVersionMajor: 1 }, expect: notGrpc },
  { desc: 'not gRPC on a grpcs-only route over TLS: 415', facts: { protocols: ['grpcs'], contentType: undefined, forwardedProto: 'https' }, expect: notGrpc },
  { desc: 'gRPC over HTTP/1.1: 426 with Connection and Upgrade', facts: { httpVersionMajor: 1 }, expect: useHttp2 },
  { desc: 'gRPC over HTTP/1.1 on a grpcs route over TLS: 426', facts: { protocols: ['grpcs'], httpVersionMajor: 1, forwardedProto: 'https' }, expect: useHttp2 },
  { desc: 'plain gRPC on a grpcs-only route: status 1 in a 200', facts: { protocols: ['grpcs'] }, expect: grpcsOnly },
  { desc: 'a trusted X-Forwarded-Proto: https counts as TLS', facts: { protocols: ['grpcs'], forwardedProto: 'https' }, expect: undefined },
  { desc: 'a forwarded proto other than https is plain', facts: { protocols: ['grpcs'], forwardedProto: 'grpcs' }, expect: grpcsOnly },
  {
    desc: 'the 415 body follows Accept, as kong.response.error does',
    facts: { contentType: undefined },
    headers: [['Accept', 'text/plain']],
    expect: {
      status: 415,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(`Non-gRPC request matched gRPC route\nrequest_id: ${RID}\n`.length) },
      body: `Non-gRPC request matched gRPC route\nrequest_id: ${RID}\n`,
    },
  },
]

t.test('grpcRouteCheck', async (t) => {
  for (const row of ROWS) {
    const facts = { ...BASE, ...row.facts }
    const rawHeaders = (row.headers ?? []).flat()
    if (facts.contentType !== undefined) rawHeaders.push('Content-Type', facts.contentType)
    const req: ErrorRequest = { method: 'POST', rawHeaders, httpVersionMajor: facts.httpVersionMajor }
    t.strictSame(grpcRouteCheck(facts, req, RID), row.expect, row.desc)
  }
})

t.test('a HEAD refusal keeps its Content-Length and drops the body', async (t) => {
  const answer = grpcRouteCheck({ ...BASE, httpVersionMajor: 1 }, { method: 'HEAD', rawHeaders: ['Content-Type', 'application/grpc'], httpVersionMajor: 1 }, RID)
  t.equal(answer?.status, 426)
  t.equal(answer?.body, '')
  t.equal(answer?.headers['content-length'], String(json('Please use HTTP2 protocol').length))
})

t.test('the grpcs-only answer, sent with sendHttp2Answer, reaches a grpc-js client as Kong means it', async (t) => {
  const server = createH2Server((req, res) => {
    const facts: GrpcRouteFacts = { protocols: ['grpcs'], httpVersionMajor: req.httpVersionMajor, contentType: req.headers['content-type'], forwardedProto: 'http' }
    const answer = grpcRouteCheck(facts, req, RID)
    if (answer === undefined) throw new Error('expected an answer')
    sendHttp2Answer(res, answer.status, answer.headers, answer.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const client = greeterClient(`127.0.0.1:${(server.address() as AddressInfo).port}`, credentials.createInsecure())
  t.teardown(() => client.close())
  const result = await unary(client, 'Hello', { name: 'x' })
  t.equal(result.status.code, status.CANCELLED, 'grpc-status 1')
  t.equal(result.status.details, 'gRPC request matched gRPCs route')
})

t.test('a 415 with its body, sent with sendHttp2Answer to an HTTP/2 client', async (t) => {
  const server = createH2Server((req, res) => {
    const facts: GrpcRouteFacts = { protocols: ['grpc'], httpVersionMajor: req.httpVersionMajor, contentType: req.headers['content-type'], forwardedProto: 'http' }
    const answer = grpcRouteCheck(facts, req, RID)
    if (answer === undefined) throw new Error('expected an answer')
    sendHttp2Answer(res, answer.status, answer.headers, answer.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const session = h2connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  t.teardown(() => session.close())
  const stream = session.request({ ':method': 'POST', ':path': '/', 'content-type': 'application/json' }, { endStream: true })
  const [head, body] = await Promise.all([
    new Promise<Record<string, unknown>>((resolve) => stream.once('response', (h) => resolve(h))),
    new Promise<string>((resolve) => {
      let text = ''
      stream.setEncoding('utf8')
      stream.on('data', (c: string) => (text += c))
      stream.on('end', () => resolve(text))
    }),
  ])
  t.equal(head[':status'], 415)
  t.equal(head['content-type'], JSON_TYPE)
  t.equal(body, json('Non-gRPC request matched gRPC route'))
})
