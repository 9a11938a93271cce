// Kong's checks on requests that matched a gRPC route, after kong/runloop/handler.lua
// access.before and spec/02-integration/05-proxy/19-grpc_proxy_spec.lua ("errors with").
import t from 'tap'
import { grpcRouteCheck, type GrpcRouteFacts } from '../../src/proxy/grpc-checks.js'
import type { ErrorRequest } from '../../src/proxy/error-response.js'

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
