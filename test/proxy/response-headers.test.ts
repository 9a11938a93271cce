// Headers on the way to the client, after Kong's 03-upstream_headers_spec (hop-by-hop),
// 14-server_tokens_spec, 15-upstream-status-header_spec and 35-via_spec, and the settings that
// drive them (kong/conf_loader).
import t from 'tap'
import { HeaderSettingsError, parseHeaderSettings, type HeaderSettings } from '../../src/proxy/header-settings.js'
import { addDebugHeaders, addKongResponseHeaders, passedResponseHeaders, type ResponseFacts, type ResponseHeaders } from '../../src/proxy/response-headers.js'

const TOKENS = { server: 'kong-dbless/0.1.0', via: 'kong/3.10.0' }
const DEFAULT = ['server_tokens', 'latency_tokens', 'x-kong-request-id']
const settings = (headers: string[], upstream: string[] = ['x-kong-request-id']): HeaderSettings => parseHeaderSettings(headers, upstream, TOKENS)

t.test('headers and headers_upstream tokens', async (t) => {
  const flags = (s: HeaderSettings): string[] => Object.entries(s).filter(([, v]) => v === true).map(([k]) => k).sort()
  const rows: [string[], string[], string[]][] = [
    [DEFAULT, ['x-kong-request-id'], ['adminLatency', 'proxyLatency', 'requestId', 'responseLatency', 'server', 'upstreamLatency', 'upstreamRequestId', 'via']],
    [['off'], ['off'], []],
    [['off', 'server'], [], []],
    [['Server_Tokens'], [], ['server', 'via']],
    [['Via'], [], ['via']],
    [['SERVER'], [], ['server']],
    [['X-Kong-Upstream-Status', 'x-kong-proxy-latency'], [], ['proxyLatency', 'upstreamStatus']],
    [['latency_tokens'], [], ['adminLatency', 'proxyLatency', 'responseLatency', 'upstreamLatency']],
    [['x-kong-response-latency', 'x-kong-upstream-latency', 'x-kong-admin-latency'], [], ['adminLatency', 'responseLatency', 'upstreamLatency']],
    [['server', 'off'], ['X-Kong-Request-Id', 'off'], ['server', 'upstreamRequestId']],
    [[], [], []],
  ]
  for (const [headers, upstream, expected] of rows) t.same(flags(settings(headers, upstream)), expected, `headers=${headers.join(',')} headers_upstream=${upstream.join(',')}`)
  t.equal(settings(DEFAULT).serverToken, 'kong-dbless/0.1.0')
  t.equal(settings(DEFAULT).viaToken, 'kong/3.10.0')
  try {
    settings(['server', 'x-nope', 'Bogus'], ['via'])
    t.fail('accepted invalid entries')
  } catch (err) {
    t.ok(err instanceof HeaderSettingsError)
    t.same((err as HeaderSettingsError).problems, ["headers: invalid entry 'x-nope'", "headers: invalid entry 'Bogus'", "headers_upstream: invalid entry 'via'"], "every invalid entry, in Kong's words")
  }
})

// The /hop-by-hop location of Kong's custom nginx template, as undici hands it over.
const hopByHop = (): ResponseHeaders => ({
  'keep-alive': 'timeout=5, max=1000',
  proxy: 'Remove-Me',
  'proxy-connection': 'close',
  'proxy-authenticate': 'Basic',
  'proxy-authorization': 'Basic YWxhZGRpbjpvcGVuc2VzYW1l',
  'transfer-encoding': 'chunked',
  te: 'trailers, deflate;q=0.5',
  trailer: 'Expires',
  upgrade: 'example/1, foo/2',
  'content-type': 'text/plain',
})

t.test('hop-by-hop headers are removed from a proxied response', async (t) => {
  const h = passedResponseHeaders(hopByHop(), undefined, false)
  t.same(Object.keys(h).sort(), ['content-type', 'proxy', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te'], 'Keep-Alive, Trailer, Upgrade and Transfer-Encoding go; the rest is request-side and stays, as in Kong')
  const asked = passedResponseHeaders(hopByHop(), undefined, true)
  t.equal(asked.trailer, 'Expires', 'Trailer stays when the client sent TE: trailers')
})

t.test('Upgrade stays only when it is the upgrade the client asked for', async (t) => {
  const rows: [string | string[], 'websocket' | undefined, boolean][] = [
    ['websocket', 'websocket', true],
    ['WebSocket', 'websocket', true],
    ['websocket', undefined, false],
    ['h2c', 'websocket', false],
    [['websocket', 'x'], 'websocket', false],
  ]
  for (const [given, asked, kept] of rows) {
    const h = passedResponseHeaders({ upgrade: given }, asked, false)
    t.equal(h.upgrade !== undefined, kept, `${String(given)} for ${String(asked)}`)
  }
})

t.test("the upstream's Connection names headers to remove, close, upgrade and keep-alive aside", async (t) => {
  const h = passedResponseHeaders({ connection: ['Upgrade, X-A', ' x-b ,close'], 'x-a': '1', 'x-b': '2', 'x-c': '3', close: 'k', upgrade: 'websocket' }, 'websocket', false)
  t.same(h, { 'x-c': '3', close: 'k', upgrade: 'websocket' })
  t.same(passedResponseHeaders({ connection: 'close', close: 'k' }, undefined, false), { close: 'k' })
})

t.test("what nginx's proxy module never passes on", async (t) => {
  const h = passedResponseHeaders({ 'x-accel-redirect': '/x', 'x-accel-buffering': 'no', 'x-accel-expires': '0', 'x-accel-limit-rate': '1', 'x-accel-charset': 'utf-8', 'x-pad': 'p', date: 'd', server: 's' }, undefined, false)
  t.same(h, { date: 'd', server: 's' }, 'Date and Server pass (Kong sets proxy_pass_header for both)')
})

const facts = (over: Partial<ResponseFacts>): ResponseFacts => ({
  proxied: true,
  requestId: 'rid',
  upstreamLatency: 12.4,
  proxyLatency: 3.6,
  responseLatency: 7,
  upstreamStatus: 200,
  upstreamVia: undefined,
  grpcUpstream: false,
  ...over,
})

interface Row {
  readonly desc: string
  readonly headers: string[]
  readonly start: ResponseHeaders
  readonly facts: Partial<ResponseFacts>
  readonly expect: ResponseHeaders
}

const PROXIED_UPSTREAM = { server: 'mock-upstream/1.0', 'content-type': 'application/json' }
const TERMINATED = { via: 'kong/3.10.0', server: 'Demo' }

const rows: Row[] = [
  // 14-server_tokens_spec, Server/Via
  {
    desc: 'default, proxied: Via added, the upstream Server kept, latencies, request id',
    headers: DEFAULT, start: { ...PROXIED_UPSTREAM }, facts: {},
    expect: { ...PROXIED_UPSTREAM, via: '1.1 kong/3.10.0', 'x-kong-upstream-latency': '12', 'x-kong-proxy-latency': '4', 'x-kong-request-id': 'rid' },
  },
  {
    desc: 'default, not proxied (no route): Server, response latency, no Via',
    headers: DEFAULT, start: { 'content-type': 'application/json; charset=utf-8' }, facts: { proxied: false },
    expect: { 'content-type': 'application/json; charset=utf-8', server: 'kong-dbless/0.1.0', 'x-kong-response-latency': '7', 'x-kong-request-id': 'rid' },
  },
  {
    desc: 'default, short-circuited with a plugin Via equal to the Via token: Server untouched',
    headers: DEFAULT, start: { ...TERMINATED }, facts: { proxied: false },
    expect: { ...TERMINATED, 'x-kong-response-latency': '7', 'x-kong-request-id': 'rid' },
  },
  { desc: 'headers=Via, proxied', headers: ['Via'], start: { ...PROXIED_UPSTREAM }, facts: {}, expect: { ...PROXIED_UPSTREAM, via: '1.1 kong/3.10.0' } },
  { desc: 'headers=Via, not proxied: no Via, no Server', headers: ['Via'], start: { server: 'plugin' }, facts: { proxied: false }, expect: {} },
  { desc: 'headers=Server, proxied: no Via, upstream Server kept', headers: ['Server'], start: { ...PROXIED_UPSTREAM }, facts: {}, expect: { ...PROXIED_UPSTREAM } },
  { desc: 'headers=Server, proxied, upstream sent no Server', headers: ['Server'], start: {}, facts: {}, expect: { server: 'kong-dbless/0.1.0' } },
  { desc: 'headers=Server, not proxied', headers: ['Server'], start: {}, facts: { proxied: false }, expect: { server: 'kong-dbless/0.1.0' } },
  { desc: 'headers=Server, a plugin Via does not spare Server when Via is off', headers: ['Server'], start: { ...TERMINATED }, facts: { proxied: false }, expect: { via: 'kong/3.10.0', server: 'kong-dbless/0.1.0' } },
  { desc: 'headers=server_tokens, proxied', headers: ['server_tokens'], start: { ...PROXIED_UPSTREAM }, facts: {}, expect: { ...PROXIED_UPSTREAM, via: '1.1 kong/3.10.0' } },
  { desc: 'headers=server_tokens, not proxied', headers: ['server_tokens'], start: {}, facts: { proxied: false }, expect: { server: 'kong-dbless/0.1.0' } },
  { desc: 'headers=off, proxied: the upstream Server is forwarded', headers: ['off'], start: { ...PROXIED_UPSTREAM }, facts: {}, expect: { ...PROXIED_UPSTREAM } },
  { desc: 'headers=off, not proxied: no Server or Via', headers: ['off'], start: { server: 'x' }, facts: { proxied: false }, expect: {} },
  // 14-server_tokens_spec, latencies
  {
    desc: 'latency_tokens, proxied (502/504 error pages after a proxy attempt too)',
    headers: ['latency_tokens'], start: {}, facts: { upstreamLatency: 0, proxyLatency: 0.4 },
    expect: { 'x-kong-upstream-latency': '0', 'x-kong-proxy-latency': '0' },
  },
  { desc: 'latency_tokens, short-circuited', headers: ['latency_tokens'], start: {}, facts: { proxied: false, responseLatency: 1.5 }, expect: { 'x-kong-response-latency': '2' } },
  // 35-via_spec
  {
    desc: "Via after the upstream's own",
    headers: DEFAULT, start: {}, facts: { upstreamVia: '2 nginx, HTTP/1.1 http_mock', requestId: 'r' },
    expect: { via: '2 nginx, HTTP/1.1 http_mock, 1.1 kong/3.10.0', server: 'kong-dbless/0.1.0', 'x-kong-upstream-latency': '12', 'x-kong-proxy-latency': '4', 'x-kong-request-id': 'r' },
  },
  { desc: 'Via for a gRPC service names HTTP/2', headers: ['via'], start: {}, facts: { grpcUpstream: true }, expect: { via: '2 kong/3.10.0' } },
  // 15-upstream-status-header_spec
  { desc: 'X-Kong-Upstream-Status when enabled', headers: ['x-kong-upstream-status'], start: {}, facts: { upstreamStatus: 200 }, expect: { 'x-kong-upstream-status': '200' } },
  { desc: 'X-Kong-Upstream-Status shows the upstream status, not a changed one', headers: ['x-kong-upstream-status'], start: {}, facts: { upstreamStatus: 200 }, expect: { 'x-kong-upstream-status': '200' } },
  { desc: 'X-Kong-Upstream-Status absent by default', headers: DEFAULT, start: {}, facts: { upstreamStatus: 200 }, expect: { via: '1.1 kong/3.10.0', server: 'kong-dbless/0.1.0', 'x-kong-upstream-latency': '12', 'x-kong-proxy-latency': '4', 'x-kong-request-id': 'rid' } },
  { desc: 'X-Kong-Upstream-Status absent when short-circuited', headers: ['x-kong-upstream-status'], start: {}, facts: { proxied: false, upstreamStatus: undefined }, expect: {} },
  // X-Kong-Request-Id
  { desc: 'X-Kong-Request-Id replaces a plugin value', headers: ['x-kong-request-id'], start: { 'x-kong-request-id': 'plugin' }, facts: { proxied: false }, expect: { 'x-kong-request-id': 'rid' } },
]

t.test("Kong's own response headers", async (t) => {
  for (const row of rows) {
    const h: ResponseHeaders = { ...row.start }
    addKongResponseHeaders(settings(row.headers, []), h, facts(row.facts))
    t.same(h, row.expect, row.desc)
  }
})

t.test('debug headers name what is set', async (t) => {
  const h: ResponseHeaders = {}
  addDebugHeaders(h, { id: 'r-id', name: 'r' }, { id: 's-id', name: null })
  t.same(h, { 'kong-route-id': 'r-id', 'kong-route-name': 'r', 'kong-service-id': 's-id' })
  const none: ResponseHeaders = {}
  addDebugHeaders(none, undefined, undefined)
  t.same(none, {})
})
