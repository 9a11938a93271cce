// Routing end to end: a real node routes real requests to a real echo upstream, and the path the
// upstream received says which route matched (each route's service has the route's name as its
// path, and keeps the request path: strip_path off) or what the upstream path became.
import t from 'tap'
import { CONTENT_TYPES, REQUEST_ID, echoed, errorBody, kongYml, rawExchange, send, startE2eNode } from '../helpers/e2e.js'
import { echoUpstream } from '../helpers/upstreams.js'

const up = await echoUpstream()
t.teardown(() => up.close())

/** A route named `name` whose service has path `/<name>` and keeps the request path. */
const named = (name: string, route: Record<string, unknown>): Record<string, unknown> => ({
  name: `s-${name}`,
  host: '127.0.0.1',
  port: up.port,
  path: `/${name}`,
  routes: [{ name, strip_path: false, ...route }],
})
/** A service on the echo upstream with its own path, and routes as given. */
const service = (name: string, path: string | null, routes: Record<string, unknown>[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  host: '127.0.0.1',
  port: up.port,
  ...(path === null ? {} : { path }),
  routes,
  ...extra,
})

const config = kongYml({
  services: [
    // hosts
    named('host-exact', { hosts: ['exact.test'] }),
    named('host-port', { hosts: ['port.test:9999'] }),
    named('host-wild-left', { hosts: ['*.wild.test'] }),
    named('host-wild-right', { hosts: ['wildr.*'] }),
    named('host-wild-port', { hosts: ['*.wp.test:8888'] }),
    named('pw-plain', { hosts: ['a.pw.test'] }),
    named('pw-wild', { hosts: ['*.pw.test'] }),
    // priorities
    named('prio-host', { hosts: ['prio.test'] }),
    named('prio-method', { methods: ['PURGE'] }),
    named('pr-prefix', { paths: ['/pr/abcdef'] }),
    named('pr-regex', { paths: ['~/pr/a'] }),
    named('rp-general', { paths: ['~/rp/[0-9]+'], regex_priority: 10 }),
    named('rp-one', { paths: ['~/rp/1'], regex_priority: 0 }),
    named('rp-two', { paths: ['~/rp/2'], regex_priority: 20 }),
    named('rpp-short', { paths: ['/rpp'], regex_priority: 100 }),
    named('rpp-long', { paths: ['/rpp/long'] }),
    named('hd-header', { paths: ['/hd'], headers: { 'x-hd': ['yes'] } }),
    named('hd-long', { paths: ['/hd/very/long/path'] }),
    named('catch-root', { hosts: ['catch.test'], paths: ['/'] }),
    named('catch-c', { hosts: ['catch.test'], paths: ['/c'] }),
    named('split-1', { paths: ['/sp', '/sp/a/b'] }),
    named('split-2', { paths: ['/sp/a'] }),
    // methods and headers
    named('meth', { paths: ['/meth'], methods: ['GET', 'POST'] }),
    named('hdr-plain', { paths: ['/hdr'], headers: { 'x-version': ['v1', 'V2'] } }),
    named('hdr-two', { paths: ['/hdr2'], headers: { 'x-a': ['1'], 'x-b': ['2'] } }),
    named('hdr-regex', { paths: ['/hre'], headers: { 'x-agent': ['~*bot/[0-9]+'] } }),
    // upstream paths
    service('strip-svc', '/srv', [
      { name: 'strip-on', paths: ['/strip'], strip_path: true },
      { name: 'strip-off', paths: ['/nostrip'], strip_path: false },
    ]),
    service('nopath-svc', null, [
      { name: 'strip-nopath', paths: ['/nop'], strip_path: true },
      { name: 'hello', paths: ['/hello'], strip_path: false },
      { name: 'cap', paths: ['~/users/(?<name>[^/]+)/profile'], strip_path: false },
      { name: 'ph-on', paths: ['/ph-on'], preserve_host: true },
      { name: 'ph-off', paths: ['/ph-off'], preserve_host: false },
    ]),
    service('v0a-svc', '/srv/', [{ name: 'v0a', paths: ['/v0a'], strip_path: true }]),
    service('v0b-svc', '/service', [{ name: 'v0b', paths: ['/route'], strip_path: true }]),
    service('cap-svc', '/svc', [{ name: 'cap-strip', paths: ['~/cap/(?<id>[0-9]+)'], strip_path: true }]),
    service('off-svc', null, [{ name: 'disabled', paths: ['/disabled'] }], { enabled: false }),
  ],
  routes: [{ name: 'nosvc', paths: ['/nosvc'] }],
})

const node = await startE2eNode(t, config)
const port = node.ports.proxy

/** The path the upstream got for a request, or the status when the node answered itself. */
async function upstreamPath(path: string, host?: string, headers: Record<string, string> | string[] = {}, method = 'GET'): Promise<string | number> {
  const extra = Array.isArray(headers) ? headers : Object.entries(headers).flat()
  const reply = await send(port, { method, path, headers: host === undefined ? extra : ['Host', host, ...extra] })
  return reply.status === 200 ? echoed(reply).url : reply.status
}

t.test('hosts: exact, any port, case, with a port, wildcards', async (t) => {
  t.equal(await upstreamPath('/x', 'exact.test'), '/host-exact/x')
  t.equal(await upstreamPath('/x', 'exact.test:1234'), '/host-exact/x', 'a host without a port matches on any port')
  t.equal(await upstreamPath('/x', 'EXACT.TEST'), 404, 'hosts are compared case-sensitively')
  t.equal(await upstreamPath('/x', 'exact.test.'), 404, 'exact means exact')
  t.equal(await upstreamPath('/x', 'port.test:9999'), '/host-port/x')
  t.equal(await upstreamPath('/x', 'port.test:9998'), 404, 'another port')
  t.equal(await upstreamPath('/x', 'port.test'), 404, 'no port: the listener port, not 9999')
  t.equal(await upstreamPath('/x', 'a.wild.test'), '/host-wild-left/x')
  t.equal(await upstreamPath('/x', 'a.b.wild.test'), '/host-wild-left/x', 'a leading wildcard spans labels')
  t.equal(await upstreamPath('/x', 'wild.test'), 404, '*.wild.test does not match wild.test')
  t.equal(await upstreamPath('/x', 'wildr.org'), '/host-wild-right/x')
  t.equal(await upstreamPath('/x', 'wildr.co.uk'), '/host-wild-right/x')
  t.equal(await upstreamPath('/x', 'xwildr.org'), 404)
  t.equal(await upstreamPath('/x', 'a.wp.test:8888'), '/host-wild-port/x')
  t.equal(await upstreamPath('/x', 'a.wp.test:8887'), 404)
  t.equal(await upstreamPath('/x', 'a.pw.test'), '/pw-plain/x', 'a plain host outranks a wildcard one')
  t.equal(await upstreamPath('/x', 'b.pw.test'), '/pw-wild/x')
})

t.test('priorities', async (t) => {
  t.equal(await upstreamPath('/x', 'prio.test', {}, 'PURGE'), '/prio-host/x', 'hosts outrank methods')
  t.equal(await upstreamPath('/x', 'other.test', {}, 'PURGE'), '/prio-method/x')
  t.equal(await upstreamPath('/pr/abcdef', 'any.test'), '/pr-regex/pr/abcdef', 'a regex outranks a longer prefix')
  t.equal(await upstreamPath('/pr/x', 'any.test'), 404)
  t.equal(await upstreamPath('/rp/1', 'any.test'), '/rp-general/rp/1', 'a higher regex_priority wins over a more specific regex')
  t.equal(await upstreamPath('/rp/2', 'any.test'), '/rp-two/rp/2')
  t.equal(await upstreamPath('/rp/37', 'any.test'), '/rp-general/rp/37')
  t.equal(await upstreamPath('/rpp/long/x', 'any.test'), '/rpp-long/rpp/long/x', 'regex_priority does not order prefixes; the longer one wins')
  t.equal(await upstreamPath('/rpp/x', 'any.test'), '/rpp-short/rpp/x')
  t.equal(await upstreamPath('/hd/very/long/path', 'any.test', { 'x-hd': 'yes' }), '/hd-header/hd/very/long/path', 'a header outranks a longer path')
  t.equal(await upstreamPath('/hd/very/long/path', 'any.test'), '/hd-long/hd/very/long/path')
  t.equal(await upstreamPath('/c/x', 'catch.test'), '/catch-c/c/x')
  t.equal(await upstreamPath('/cat', 'catch.test'), '/catch-c/cat', 'a prefix has no segment boundary')
  t.equal(await upstreamPath('/z', 'catch.test'), '/catch-root/z', '/ is the catch-all')
  t.equal(await upstreamPath('/', 'catch.test'), '/catch-root', 'service path alone for /')
  t.equal(await upstreamPath('/sp', 'any.test'), '/split-1/sp', 'a route with paths of two lengths is split')
  t.equal(await upstreamPath('/sp/a', 'any.test'), '/split-2/sp/a')
  t.equal(await upstreamPath('/sp/a/b/c', 'any.test'), '/split-1/sp/a/b/c')
})

t.test('methods', async (t) => {
  t.equal(await upstreamPath('/meth', 'any.test', {}, 'GET'), '/meth/meth')
  t.equal(await upstreamPath('/meth', 'any.test', {}, 'POST'), '/meth/meth')
  t.equal(await upstreamPath('/meth', 'any.test', {}, 'DELETE'), 404)
})

t.test('headers: values case-insensitive, any line, every name, ~* regexes', async (t) => {
  t.equal(await upstreamPath('/hdr', 'any.test', { 'X-Version': 'V1' }), '/hdr-plain/hdr')
  t.equal(await upstreamPath('/hdr', 'any.test', { 'x-version': 'v2' }), '/hdr-plain/hdr')
  t.equal(await upstreamPath('/hdr', 'any.test', { 'x-version': 'v3' }), 404)
  t.equal(await upstreamPath('/hdr', 'any.test'), 404)
  t.equal(await upstreamPath('/hdr', 'any.test', ['x-version', 'v3', 'x-version', 'v1']), '/hdr-plain/hdr', 'any line of a repeated header')
  t.equal(await upstreamPath('/hdr2', 'any.test', { 'x-a': '1', 'x-b': '2' }), '/hdr-two/hdr2')
  t.equal(await upstreamPath('/hdr2', 'any.test', { 'x-a': '1' }), 404, 'header names are ANDed')
  t.equal(await upstreamPath('/hre', 'any.test', { 'x-agent': 'GoogleBot/2.1' }), '/hdr-regex/hre', '~* is case-insensitive and unanchored')
  t.equal(await upstreamPath('/hre', 'any.test', { 'x-agent': 'bot/x' }), 404)
})

t.test('strip_path with and without a service path (v0 rows)', async (t) => {
  t.equal(await upstreamPath('/strip/a?x=1&y'), '/srv/a?x=1&y', 'the query goes as sent')
  t.equal(await upstreamPath('/strip'), '/srv')
  t.equal(await upstreamPath('/stripped'), '/srv/ped')
  t.equal(await upstreamPath('/strip?'), '/srv?', 'an empty query stays')
  t.equal(await upstreamPath('/nostrip/a'), '/srv/nostrip/a')
  t.equal(await upstreamPath('/nopreq'), '/req')
  t.equal(await upstreamPath('/nop'), '/')
  t.equal(await upstreamPath('/v0a'), '/srv')
  t.equal(await upstreamPath('/v0a/'), '/srv/')
  t.equal(await upstreamPath('/v0ax'), '/srv/x')
  t.equal(await upstreamPath('/route%2E%2E/req'), '/service/req')
  t.equal(await upstreamPath('/route/'), '/service/')
})

t.test('percent-decoding and normalization before matching', async (t) => {
  t.equal(await upstreamPath('/h%65llo'), '/hello', '/h%65llo matches /hello and goes up decoded')
  t.equal(await upstreamPath('/hello%20world'), '/hello%20world', 'a decoded space is escaped again')
  t.equal(await upstreamPath('/hello%2fx'), '/hello%2Fx', 'a reserved escape is kept, upper-cased')
  t.equal(await upstreamPath('/x/../hello//a/./b'), '/hello/a/b', 'dot segments and // are removed')
  t.equal(await upstreamPath('/hell%6F?q=%41'), '/hello?q=%41', 'the query is not decoded')
})

t.test('an absolute-form request target routes by its path', async (t) => {
  const reply = await rawExchange(port, 'GET http://abs.test/hello?x=1 HTTP/1.1\r\nHost: abs.test\r\n\r\n')
  t.equal(reply.status, 200, 'nginx takes the path of http://host/path as $request_uri')
  if (reply.status === 200) t.equal((JSON.parse(reply.body) as { url: string }).url, '/hello?x=1')
})

t.test('regex captures: decoded text, stripped whole match', async (t) => {
  t.equal(await upstreamPath('/users/%6aohn%20doe/profile'), '/users/john%20doe/profile')
  t.equal(await upstreamPath('/cap/42/rest?q=1'), '/svc/rest?q=1', 'strip_path removes the whole regex match')
  t.equal(await upstreamPath('/cap/42'), '/svc')
  t.equal(await upstreamPath('/cap/x'), 404)
})

t.test('preserve_host', async (t) => {
  const on = echoed(await send(port, { path: '/ph-on', headers: { Host: 'preserved.test:123' } }))
  t.equal(on.headers.host, 'preserved.test:123', 'the client Host, port included, even on a route without hosts')
  const off = echoed(await send(port, { path: '/ph-off', headers: { Host: 'preserved.test:123' } }))
  t.equal(off.headers.host, `127.0.0.1:${up.port}`, 'the service host and port')
})

t.test('a route without a service: 503 no Service found', async (t) => {
  const reply = await send(port, { path: '/nosvc' })
  t.equal(reply.status, 503)
  t.equal(reply.headers['content-type'], CONTENT_TYPES.json)
  const id = String(reply.headers['x-kong-request-id'])
  t.match(id, REQUEST_ID)
  t.equal(reply.text, errorBody.json('no Service found with those values', id))
  t.ok(reply.headers['x-kong-response-latency'] !== undefined && reply.headers.via === undefined, 'not proxied: response latency, no Via')
})

t.test('a route of a disabled service: 404 no Route matched', async (t) => {
  const reply = await send(port, { path: '/disabled' })
  t.equal(reply.status, 404)
  t.equal(reply.text, errorBody.json('no Route matched with those values', String(reply.headers['x-kong-request-id'])))
  t.equal(up.connections() > 0, true, 'the echo upstream served the other tests')
})
