// What the upstream sees, case by case from Kong's
// spec/02-integration/05-proxy/03-upstream_headers_spec.lua: the client is 127.0.0.1 on the
// proxy port, and the routes are Kong's (a host-only route, /foo stripped, /status/200 kept,
// / stripped).
import t from 'tap'
import { compileClientAddress } from '../../src/proxy/client-address.js'
import { parseHeaderSettings } from '../../src/proxy/header-settings.js'
import { forwarded, readRequestHead, requestHost, upstreamRequestHeaders, viaVersion, wantsTrailers } from '../../src/proxy/request-headers.js'
import { strippedPrefix } from '../../src/proxy/upstream-uri.js'

const PROXY_PORT = 9000
const VIA = 'kong/3.10.0'
const REQUEST_ID = '0123456789abcdef0123456789abcdef'

interface Send {
  readonly headers?: [string, string][]
  readonly path?: string
  readonly trusted?: string[]
  readonly realIpHeader?: string
  readonly recursive?: boolean
  readonly portMapped?: number
  readonly httpVersion?: string
  readonly headersUpstream?: string[]
  readonly peer?: string
  /** The source of the connection's PROXY header. */
  readonly proxied?: { address: string; port: number }
}

// Kong's test routes: which prefix a path matched, and whether it is stripped.
function route(path: string): { matched: string | undefined; strip: boolean } {
  if (path.startsWith('/foo')) return { matched: '/foo', strip: true }
  if (path.startsWith('/status/200')) return { matched: '/status/200', strip: false }
  if (path.startsWith('/proxy-authorization')) return { matched: '/proxy-authorization', strip: true }
  return { matched: '/', strip: true }
}

/** The upstream request's headers by lower-case name (every line), and the upgrade asked for. */
function send(opts: Send): { h: Record<string, string[]>; upgrade: string | undefined; list: string[] } {
  const rawHeaders = (opts.headers ?? [['Host', 'headers-inspect.test']]).flat()
  const target = opts.path ?? '/'
  const settings = parseHeaderSettings(['server_tokens', 'latency_tokens', 'x-kong-request-id'], opts.headersUpstream ?? ['x-kong-request-id'], { server: 'kong-dbless/0.1.0', via: VIA })
  const client = compileClientAddress(opts.trusted ?? [], opts.realIpHeader ?? 'X-Real-IP', opts.recursive ?? false)
  const head = readRequestHead(rawHeaders)
  const { matched, strip } = route(target)
  const fwd = forwarded(client, head, rawHeaders, { peer: opts.peer ?? '127.0.0.1', scheme: 'http', port: opts.portMapped ?? PROXY_PORT, target, proxied: opts.proxied }, strippedPrefix(matched, strip))
  const up = upstreamRequestHeaders(settings, rawHeaders, head, fwd, opts.httpVersion ?? '1.1', REQUEST_ID)
  const h: Record<string, string[]> = {}
  for (let i = 0; i < up.headers.length; i += 2) (h[up.headers[i].toLowerCase()] ??= []).push(up.headers[i + 1])
  return { h, upgrade: up.upgrade, list: up.headers }
}

/** The single value of a header upstream, or undefined; fails on a repeated header. */
function one(h: Record<string, string[]>, name: string): string | undefined {
  const values = h[name]
  if (values !== undefined && values.length !== 1) throw new Error(`${name} sent ${values.length} times`)
  return values?.[0]
}

const HOST = ['Host', 'headers-inspect.test'] as [string, string]

t.test('hop-by-hop headers are removed from the request', async (t) => {
  const { h, upgrade } = send({
    headers: [
      ['Connection', 'X-Foo, X-Bar'],
      HOST,
      ['Keep-Alive', 'timeout=5, max=1000'],
      ['Proxy', 'Remove-Me'],
      ['Proxy-Connection', 'close'],
      ['Proxy-Authenticate', 'Basic'],
      ['Proxy-Authorization', 'Basic YWxhZGRpbjpvcGVuc2VzYW1l'],
      ['TE', 'trailers, deflate;q=0.5'],
      ['Upgrade', 'example/1, foo/2'],
      ['X-Foo', 'Remove-Me'],
      ['X-Bar', 'Remove-Me'],
      ['X-Foo-Bar', 'Keep-Me'],
      ['Close', 'Keep-Me'],
    ],
  })
  for (const gone of ['keep-alive', 'proxy', 'proxy-connection', 'upgrade', 'x-foo', 'x-bar', 'connection', 'host']) t.equal(h[gone], undefined, `${gone} removed`)
  t.equal(upgrade, undefined, 'no upgrade asked for')
  t.equal(one(h, 'proxy-authenticate'), 'Basic')
  t.equal(one(h, 'proxy-authorization'), 'Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'Proxy-Authorization is kept')
  t.equal(one(h, 'te'), 'trailers', 'TE is reduced to trailers')
  t.equal(one(h, 'x-foo-bar'), 'Keep-Me')
  t.equal(one(h, 'close'), 'Keep-Me', 'a header named Close is not a Connection option')
})

t.test('the request Connection decides which named headers go', async (t) => {
  const named = send({ headers: [HOST, ['Connection', 'close, X-Foo'], ['Close', 'x'], ['x-foo', 'y'], ['Content-Length', '3']] })
  t.equal(named.h.close, undefined, 'Close goes when Connection names it (Kong clears every listed name)')
  t.equal(named.h['x-foo'], undefined)
  t.same(named.h['content-length'], ['3'], 'Content-Length stays: it frames the body')
  const plain = send({ headers: [HOST, ['Connection', 'close'], ['Close', 'x']] })
  t.same(plain.h.close, ['x'], 'a bare "close" names nothing')
  const upper = send({ headers: [HOST, ['Connection', 'Keep-Alive'], ['Keep-Alive', 'x'], ['X-A', '1']] })
  t.equal(upper.h['keep-alive'], undefined)
  t.same(upper.h['x-a'], ['1'])
  const spaced = send({ headers: [HOST, ['Connection', ' x-a ,,X-B'], ['X-A', '1'], ['x-b', '2'], ['X-C', '3']] })
  t.equal(spaced.h['x-a'], undefined, 'entries are trimmed')
  t.equal(spaced.h['x-b'], undefined, 'empty entries are skipped')
  t.same(spaced.h['x-c'], ['3'])
})

t.test('a WebSocket upgrade is asked of undici; other upgrades are dropped', async (t) => {
  const ws = send({ headers: [HOST, ['Connection', 'keep-alive, Upgrade'], ['Upgrade', 'websocket']], path: '/get' })
  t.equal(ws.upgrade, 'websocket')
  t.equal(ws.h.connection, undefined, 'undici writes Connection for an upgrade')
  t.equal(ws.h.upgrade, undefined, 'and Upgrade')
  t.equal(send({ headers: [HOST, ['Upgrade', 'WebSocket']] }).upgrade, 'websocket', 'any case')
  t.equal(send({ headers: [HOST, ['Upgrade', 'h2c']] }).upgrade, undefined)
})

t.test('TE goes upstream as trailers only when the client lists trailers', async (t) => {
  const rows: [string | undefined, string | undefined][] = [
    ['trailers', 'trailers'],
    ['Trailers', 'trailers'],
    ['deflate, trailers', 'trailers'],
    ['trailers;q=1', undefined],
    ['gzip', undefined],
    [undefined, undefined],
  ]
  for (const [te, expected] of rows) {
    const headers: [string, string][] = te === undefined ? [HOST] : [HOST, ['TE', te]]
    t.equal(one(send({ headers }).h, 'te'), expected, `TE ${String(te)}`)
    t.equal(wantsTrailers(readRequestHead(headers.flat())), expected !== undefined)
  }
})

interface Row {
  readonly desc: string
  readonly opts: Send
  readonly expect: Record<string, string | undefined>
}

const DEFAULTS: Row[] = [
  { desc: 'X-Real-IP added', opts: {}, expect: { 'x-real-ip': '127.0.0.1' } },
  { desc: 'X-Real-IP replaced', opts: { headers: [HOST, ['X-Real-IP', '10.0.0.1']] }, expect: { 'x-real-ip': '127.0.0.1' } },
  { desc: 'X-Forwarded-For added', opts: {}, expect: { 'x-forwarded-for': '127.0.0.1' } },
  { desc: 'X-Forwarded-For appended', opts: { headers: [HOST, ['X-Forwarded-For', '10.0.0.1']] }, expect: { 'x-forwarded-for': '10.0.0.1, 127.0.0.1' } },
  { desc: 'X-Forwarded-Proto added', opts: {}, expect: { 'x-forwarded-proto': 'http' } },
  { desc: 'X-Forwarded-Proto replaced', opts: { headers: [HOST, ['X-Forwarded-Proto', 'https']] }, expect: { 'x-forwarded-proto': 'http' } },
  { desc: 'X-Forwarded-Host added', opts: {}, expect: { 'x-forwarded-host': 'headers-inspect.test' } },
  { desc: 'X-Forwarded-Host replaced', opts: { headers: [HOST, ['X-Forwarded-Host', 'example.test']] }, expect: { 'x-forwarded-host': 'headers-inspect.test' } },
  { desc: 'X-Forwarded-Port added', opts: {}, expect: { 'x-forwarded-port': String(PROXY_PORT) } },
  { desc: 'X-Forwarded-Port replaced', opts: { headers: [HOST, ['X-Forwarded-Port', '80']] }, expect: { 'x-forwarded-port': String(PROXY_PORT) } },
  { desc: 'X-Forwarded-Path added', opts: {}, expect: { 'x-forwarded-path': '/' } },
  { desc: 'X-Forwarded-Path replaced', opts: { headers: [HOST, ['X-Forwarded-Path', '/replaced']] }, expect: { 'x-forwarded-path': '/' } },
  { desc: 'X-Forwarded-Prefix added when stripped', opts: { path: '/foo/status/200' }, expect: { 'x-forwarded-prefix': '/foo' } },
  { desc: 'X-Forwarded-Prefix replaced when stripped', opts: { path: '/foo', headers: [HOST, ['X-Forwarded-Prefix', '/replaced']] }, expect: { 'x-forwarded-prefix': '/foo' } },
  { desc: 'X-Forwarded-Prefix absent when not stripped', opts: { path: '/status/200' }, expect: { 'x-forwarded-prefix': undefined } },
  { desc: 'X-Forwarded-Prefix absent when / was stripped', opts: { path: '/' }, expect: { 'x-forwarded-prefix': undefined } },
  {
    desc: 'everything added while preserving the downstream host',
    opts: { headers: [['Host', 'preserved.test']] },
    expect: { 'x-real-ip': '127.0.0.1', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'preserved.test', 'x-forwarded-path': '/', 'x-forwarded-port': String(PROXY_PORT) },
  },
  {
    desc: 'everything replaced (X-Forwarded-For appended) while preserving the downstream host',
    opts: { headers: [['Host', 'preserved.test'], ['X-Real-IP', '10.0.0.1'], ['X-Forwarded-For', '10.0.0.1'], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', 'example.test'], ['X-Forwarded-Port', '80']] },
    expect: { 'x-real-ip': '127.0.0.1', 'x-forwarded-for': '10.0.0.1, 127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'preserved.test', 'x-forwarded-port': String(PROXY_PORT), 'x-forwarded-path': '/' },
  },
]

const TRUSTED: Row[] = [
  { desc: 'X-Real-IP added', opts: {}, expect: { 'x-real-ip': '127.0.0.1' } },
  { desc: 'X-Real-IP forwarded', opts: { headers: [HOST, ['X-Real-IP', '10.0.0.1']] }, expect: { 'x-real-ip': '10.0.0.1' } },
  { desc: 'X-Forwarded-For added', opts: {}, expect: { 'x-forwarded-for': '127.0.0.1' } },
  { desc: 'X-Forwarded-For appended', opts: { headers: [HOST, ['X-Forwarded-For', '10.0.0.1']] }, expect: { 'x-forwarded-for': '10.0.0.1, 127.0.0.1' } },
  { desc: 'X-Forwarded-Proto added', opts: {}, expect: { 'x-forwarded-proto': 'http' } },
  { desc: 'X-Forwarded-Proto forwarded', opts: { headers: [HOST, ['X-Forwarded-Proto', 'https']] }, expect: { 'x-forwarded-proto': 'https' } },
  { desc: 'X-Forwarded-Host added', opts: {}, expect: { 'x-forwarded-host': 'headers-inspect.test' } },
  { desc: 'X-Forwarded-Host forwarded', opts: { headers: [HOST, ['X-Forwarded-Host', 'example.test']] }, expect: { 'x-forwarded-host': 'example.test' } },
  { desc: 'X-Forwarded-Port added', opts: {}, expect: { 'x-forwarded-port': String(PROXY_PORT) } },
  { desc: 'X-Forwarded-Port forwarded', opts: { headers: [HOST, ['X-Forwarded-Port', '80']] }, expect: { 'x-forwarded-port': '80' } },
  { desc: 'X-Forwarded-Path added', opts: {}, expect: { 'x-forwarded-path': '/' } },
  { desc: 'X-Forwarded-Path forwarded', opts: { headers: [HOST, ['X-Forwarded-Path', '/original-path']] }, expect: { 'x-forwarded-path': '/original-path' } },
  { desc: 'X-Forwarded-Prefix preserved when stripped', opts: { path: '/foo/status/200', headers: [HOST, ['x-forwarded-prefix', '/preserved']] }, expect: { 'x-forwarded-prefix': '/preserved' } },
  { desc: 'X-Forwarded-Prefix preserved when not stripped', opts: { path: '/status/200', headers: [HOST, ['x-forwarded-prefix', '/preserved']] }, expect: { 'x-forwarded-prefix': '/preserved' } },
]

const UNTRUSTED: Row[] = [
  { desc: 'X-Real-IP replaced', opts: { headers: [HOST, ['X-Real-IP', '10.0.0.1']] }, expect: { 'x-real-ip': '127.0.0.1' } },
  { desc: 'X-Forwarded-For appended', opts: { headers: [HOST, ['X-Forwarded-For', '10.0.0.1']] }, expect: { 'x-forwarded-for': '10.0.0.1, 127.0.0.1' } },
  { desc: 'X-Forwarded-Proto replaced', opts: { headers: [HOST, ['X-Forwarded-Proto', 'https']] }, expect: { 'x-forwarded-proto': 'http' } },
  { desc: 'X-Forwarded-Host replaced', opts: { headers: [HOST, ['X-Forwarded-Host', 'example.test']] }, expect: { 'x-forwarded-host': 'headers-inspect.test' } },
  { desc: 'X-Forwarded-Port replaced', opts: { headers: [HOST, ['X-Forwarded-Port', '80']] }, expect: { 'x-forwarded-port': String(PROXY_PORT) } },
  { desc: 'X-Forwarded-Path replaced', opts: { headers: [HOST, ['X-Forwarded-Path', '/untrusted']] }, expect: { 'x-forwarded-path': '/' } },
  { desc: 'X-Forwarded-Prefix added when stripped', opts: { path: '/foo/status/200' }, expect: { 'x-forwarded-prefix': '/foo' } },
  { desc: 'X-Forwarded-Prefix replaced when stripped', opts: { path: '/foo', headers: [HOST, ['X-Forwarded-Prefix', '/replaced']] }, expect: { 'x-forwarded-prefix': '/foo' } },
  { desc: 'X-Forwarded-Prefix absent when not stripped', opts: { path: '/status/200' }, expect: { 'x-forwarded-prefix': undefined } },
  { desc: 'X-Forwarded-Prefix absent when / was stripped', opts: { path: '/' }, expect: { 'x-forwarded-prefix': undefined } },
]

const recursive = (trusted: string[]): Send => ({ trusted, realIpHeader: 'X-Forwarded-For', recursive: true })
const RECURSIVE_TRUSTED = recursive(['127.0.0.1', '172.16.0.1', '192.168.0.1'])
const RECURSIVE_UNTRUSTED = recursive(['10.0.0.1', '172.16.0.1', '192.168.0.1'])
const XFF_PORTS = '127.0.0.1:14, 10.0.0.1:15, 192.168.0.1:16, 127.0.0.1:17, 172.16.0.1:18'

const RECURSIVE: Row[] = [
  { desc: 'trusted: added', opts: RECURSIVE_TRUSTED, expect: { 'x-real-ip': '127.0.0.1', 'x-forwarded-for': '127.0.0.1' } },
  {
    desc: 'trusted: changed according to rules',
    opts: { ...RECURSIVE_TRUSTED, headers: [HOST, ['X-Forwarded-For', '127.0.0.1, 10.0.0.1, 192.168.0.1, 127.0.0.1, 172.16.0.1'], ['X-Real-IP', '10.0.0.2']] },
    expect: { 'x-real-ip': '10.0.0.1', 'x-forwarded-for': '127.0.0.1, 10.0.0.1, 192.168.0.1, 127.0.0.1, 172.16.0.1, 127.0.0.1' },
  },
  {
    desc: 'trusted: X-Forwarded-Port forwarded even with ports in X-Forwarded-For',
    opts: { ...RECURSIVE_TRUSTED, headers: [HOST, ['X-Forwarded-For', XFF_PORTS], ['X-Real-IP', '10.0.0.2'], ['X-Forwarded-Port', '14']] },
    expect: { 'x-real-ip': '10.0.0.1', 'x-forwarded-for': `${XFF_PORTS}, 127.0.0.1`, 'x-forwarded-port': '14' },
  },
  { desc: 'untrusted: added', opts: RECURSIVE_UNTRUSTED, expect: { 'x-real-ip': '127.0.0.1', 'x-forwarded-for': '127.0.0.1' } },
  {
    desc: 'untrusted: changed according to rules',
    opts: { ...RECURSIVE_UNTRUSTED, headers: [HOST, ['X-Forwarded-For', '10.0.0.1, 127.0.0.2, 10.0.0.1, 192.168.0.1, 172.16.0.1'], ['X-Real-IP', '10.0.0.2']] },
    expect: { 'x-real-ip': '127.0.0.1', 'x-forwarded-for': '10.0.0.1, 127.0.0.2, 10.0.0.1, 192.168.0.1, 172.16.0.1, 127.0.0.1' },
  },
  {
    desc: 'untrusted: X-Forwarded-Port replaced even with ports everywhere',
    opts: { ...RECURSIVE_UNTRUSTED, headers: [HOST, ['X-Forwarded-For', XFF_PORTS], ['X-Real-IP', '10.0.0.2'], ['X-Forwarded-Port', '14']] },
    expect: { 'x-real-ip': '127.0.0.1', 'x-forwarded-for': `${XFF_PORTS}, 127.0.0.1`, 'x-forwarded-port': String(PROXY_PORT) },
  },
  {
    desc: 'untrusted: no port taken from X-Forwarded-For',
    opts: { ...RECURSIVE_UNTRUSTED, headers: [HOST, ['X-Forwarded-For', XFF_PORTS], ['X-Real-IP', '10.0.0.2']] },
    expect: { 'x-real-ip': '127.0.0.1', 'x-forwarded-for': `${XFF_PORTS}, 127.0.0.1`, 'x-forwarded-port': String(PROXY_PORT) },
  },
]

const PORT_MAPS: Row[] = [
  { desc: 'X-Forwarded-Port is the mapped port', opts: { portMapped: 80 }, expect: { 'x-forwarded-port': '80' } },
  { desc: 'X-Forwarded-Port replaced by the mapped port', opts: { portMapped: 80, headers: [HOST, ['X-Forwarded-Port', '81']] }, expect: { 'x-forwarded-port': '80' } },
]

// Kong's "(using trusted / non-trusted proxy protocol configuration values)": the balancer
// 127.0.0.1 sends `PROXY TCP4 192.168.0.1 <proxy ip> 56324 <proxy port>` before the request.
const PROXIED = { address: '192.168.0.1', port: 56324 }
const proxyProtocol = (trusted: string[]): Send => ({ trusted, realIpHeader: 'proxy_protocol', recursive: true, proxied: PROXIED })
const PP_TRUSTED = proxyProtocol(['127.0.0.1', '172.16.0.1', '192.168.0.1'])
const PP_UNTRUSTED = proxyProtocol(['10.0.0.1', '172.16.0.1', '192.168.0.1'])
const PP_XFF = '10.0.0.1, 127.0.0.2, 10.0.0.1, 192.168.0.1, 172.16.0.1'

const PROXY_PROTOCOL: Row[] = [
  { desc: 'trusted: added', opts: PP_TRUSTED, expect: { 'x-real-ip': '192.168.0.1', 'x-forwarded-for': '192.168.0.1', 'x-forwarded-port': String(PROXY_PORT) } },
  {
    desc: 'trusted: changed according to rules',
    opts: { ...PP_TRUSTED, headers: [HOST, ['X-Real-IP', '10.0.0.2'], ['X-Forwarded-For', PP_XFF]] },
    expect: { 'x-real-ip': '192.168.0.1', 'x-forwarded-for': `${PP_XFF}, 127.0.0.1` },
  },
  {
    desc: 'trusted: X-Forwarded-Port forwarded even with ports in X-Forwarded-For',
    opts: { ...PP_TRUSTED, headers: [HOST, ['X-Real-IP', '10.0.0.2'], ['X-Forwarded-For', XFF_PORTS], ['X-Forwarded-Port', '14']] },
    expect: { 'x-real-ip': '192.168.0.1', 'x-forwarded-for': `${XFF_PORTS}, 127.0.0.1`, 'x-forwarded-port': '14' },
  },
  { desc: 'untrusted: added', opts: PP_UNTRUSTED, expect: { 'x-real-ip': '127.0.0.1', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-port': String(PROXY_PORT) } },
  {
    desc: 'untrusted: changed according to rules',
    opts: { ...PP_UNTRUSTED, headers: [HOST, ['X-Real-IP', '10.0.0.2'], ['X-Forwarded-For', PP_XFF]] },
    expect: { 'x-real-ip': '127.0.0.1', 'x-forwarded-for': `${PP_XFF}, 127.0.0.1` },
  },
  {
    desc: 'untrusted: X-Forwarded-Port replaced even with ports everywhere',
    opts: { ...PP_UNTRUSTED, headers: [HOST, ['X-Real-IP', '10.0.0.2'], ['X-Forwarded-For', XFF_PORTS], ['X-Forwarded-Port', '14']] },
    expect: { 'x-real-ip': '127.0.0.1', 'x-forwarded-for': `${XFF_PORTS}, 127.0.0.1`, 'x-forwarded-port': String(PROXY_PORT) },
  },
  {
    desc: 'trusted, but the connection had no address in its PROXY header',
    opts: { ...PP_TRUSTED, proxied: undefined },
    expect: { 'x-real-ip': '127.0.0.1', 'x-forwarded-for': '127.0.0.1' },
  },
]

const groups: [string, Row[], Send][] = [
  ['(using proxy protocol configuration values)', PROXY_PROTOCOL, {}],
  ['(using the default configuration values)', DEFAULTS, {}],
  ['(using the trusted configuration values)', TRUSTED, { trusted: ['127.0.0.1'] }],
  ['(using the non-trusted configuration values)', UNTRUSTED, { trusted: ['10.0.0.1'] }],
  ['(using the recursive configuration values)', RECURSIVE, {}],
  ['(using port maps configuration)', PORT_MAPS, {}],
]

for (const [title, rows, base] of groups) {
  t.test(title, async (t) => {
    for (const row of rows) {
      const { h } = send({ ...base, ...row.opts })
      for (const [name, value] of Object.entries(row.expect)) t.equal(one(h, name), value, `${row.desc}: ${name}`)
    }
  })
}

t.test('Via names the client HTTP version and follows the incoming Via', async (t) => {
  t.equal(one(send({}).h, 'via'), '1.1 kong/3.10.0')
  t.equal(one(send({ headers: [HOST, ['Via', '1.1 dev']] }).h, 'via'), '1.1 dev, 1.1 kong/3.10.0')
  t.equal(one(send({ httpVersion: '2.0', headers: [[':authority', 'headers-inspect.test'], [':method', 'GET'], [':path', '/']] }).h, 'via'), '2 kong/3.10.0', 'HTTP/2')
  t.equal(one(send({ httpVersion: '1.0' }).h, 'via'), '1 kong/3.10.0', 'HTTP/1.0 is a Lua number')
  t.same(['1.0', '1.1', '2.0'].map(viaVersion), ['1', '1.1', '2'])
})

t.test('X-Kong-Request-Id overwrites the client value, unless headers_upstream is off', async (t) => {
  t.equal(one(send({ headers: [HOST, ['X-Kong-Request-Id', 'mine']] }).h, 'x-kong-request-id'), REQUEST_ID)
  t.equal(one(send({ headersUpstream: ['off'], headers: [HOST, ['X-Kong-Request-Id', 'mine']] }).h, 'x-kong-request-id'), 'mine', 'passed through')
  t.equal(one(send({ headersUpstream: ['off'] }).h, 'x-kong-request-id'), undefined)
})

t.test('HTTP/2 pseudo-headers are not forwarded; :authority is the host', async (t) => {
  const { h } = send({ httpVersion: '2.0', headers: [[':method', 'GET'], [':authority', 'Example.TEST:8443'], [':scheme', 'https'], [':path', '/x'], ['accept', '*/*']] })
  t.same(Object.keys(h).filter((k) => k.startsWith(':')), [])
  t.equal(one(h, 'x-forwarded-host'), 'example.test')
  t.same(h.accept, ['*/*'])
})

t.test('other headers pass through in order, repeated lines and case kept', async (t) => {
  const { list } = send({ headers: [HOST, ['Accept', 'a'], ['X-Custom', '1'], ['accept', 'b'], ['Expect', '100-continue'], ['Transfer-Encoding', 'chunked'], ['Content-Length', '0']] })
  const passed = list.slice(list.indexOf('X-Real-IP') + 4)
  t.same(passed, ['Accept', 'a', 'X-Custom', '1', 'accept', 'b', 'Content-Length', '0'], 'Expect and Transfer-Encoding are the proxy\'s to write')
  t.same(list.slice(0, 2), ['Via', '1.1 kong/3.10.0'], "Kong's own headers come first")
})

t.test('empty forwarded values from a trusted peer send no line, as nginx does', async (t) => {
  const { h } = send({ trusted: ['127.0.0.1'], headers: [HOST, ['X-Forwarded-Proto', ''], ['X-Forwarded-Prefix', ''], ['X-Forwarded-For', '']] })
  t.equal(h['x-forwarded-proto'], undefined)
  t.equal(h['x-forwarded-prefix'], undefined)
  t.equal(one(h, 'x-forwarded-for'), ', 127.0.0.1', 'an empty X-Forwarded-For is still appended to')
})

t.test('a stripped prefix is sent as UTF-8 bytes, control characters escaped', async (t) => {
  const settings = parseHeaderSettings([], [], { server: 's', via: VIA })
  const client = compileClientAddress([])
  const head = readRequestHead([])
  const fwd = forwarded(client, head, [], { peer: '127.0.0.1', scheme: 'https', port: 8443, target: '/caf%C3%A9/x?y' }, '/café\n')
  t.equal(fwd.path, '/caf%C3%A9/x', 'X-Forwarded-Path is the raw path without the query')
  t.equal(fwd.host, 'kong', 'no Host: the server name')
  t.equal(fwd.proto, 'https')
  const up = upstreamRequestHeaders(settings, [], head, fwd, '1.1', REQUEST_ID)
  t.equal(up.headers[up.headers.indexOf('X-Forwarded-Prefix') + 1], '/caf\u00c3\u00a9%0A')
  t.equal(up.headers.indexOf('X-Kong-Request-Id'), -1)
})

t.test('requestHost is nginx $host', async (t) => {
  const rows: [string | undefined, string][] = [
    ['Example.COM:8000', 'example.com'],
    ['example.com.', 'example.com'],
    ['[::1]:8000', '[::1]'],
    ['[2001:DB8::1]', '[2001:db8::1]'],
    ['\u00c9x.test', '\u00c9x.test'],
    ['', 'kong'],
    [undefined, 'kong'],
  ]
  for (const [host, expected] of rows) t.equal(requestHost(host), expected, String(host))
})
