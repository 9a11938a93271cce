// Kong's headers end to end (spec §3): what the upstream receives from an untrusted and from a
// trusted client, Via both ways, Server, the request id, the latency headers, `headers=off` and
// `headers_upstream=off`, hop-by-hop removal both ways, and the debug headers.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { REQUEST_ID, SERVER_TOKEN, VIA_TOKEN, echoed, kongYml, rawExchange, receivedLines, send, startE2eNode } from '../helpers/e2e.js'
import { http } from '../helpers/node.js'
import { echoUpstream, type Echoed } from '../helpers/upstreams.js'

const up = await echoUpstream()
t.teardown(() => up.close())

// An upstream whose response carries hop-by-hop headers, a Connection naming one of them, and
// a body sent chunked.
const hop = createServer((_req, res) => {
  res.writeHead(200, {
    Connection: 'keep-alive, X-Hop',
    'X-Hop': 'must go',
    'Keep-Alive': 'timeout=5, max=7',
    Trailer: 'X-Checksum',
    Upgrade: 'h2c',
    'X-Keep': 'stays',
    'Transfer-Encoding': 'chunked',
  })
  res.addTrailers({ 'X-Checksum': 'abc' })
  res.end('hop body')
})
await new Promise<void>((resolve) => hop.listen(0, '127.0.0.1', resolve))
t.teardown(() => new Promise<void>((resolve) => hop.close(() => resolve())))

const config = kongYml({
  services: [
    {
      name: 'svc',
      host: '127.0.0.1',
      port: up.port,
      path: '/srv',
      routes: [
        { name: 'strip', paths: ['/strip'], strip_path: true },
        { name: 'nostrip', paths: ['/nostrip'], strip_path: false },
        { name: 'secure', paths: ['/secure'], protocols: ['https'] },
        { name: 'moved', paths: ['/moved'], protocols: ['https'], https_redirect_status_code: 302 },
        { name: 'regex', paths: ['~/re/(?<id>[0-9]+)'], strip_path: true },
      ],
    },
    { name: 'hop-svc', host: '127.0.0.1', port: (hop.address() as AddressInfo).port, routes: [{ paths: ['/hop'] }] },
  ],
})

// A: Kong's defaults, plus allow_debug_header. B: 127.0.0.1 trusted, every Kong header off.
const [a, b] = await Promise.all([
  startE2eNode(t, config, { KONG_ALLOW_DEBUG_HEADER: 'on' }),
  startE2eNode(t, config, { KONG_TRUSTED_IPS: '127.0.0.1', KONG_HEADERS: 'off', KONG_HEADERS_UPSTREAM: 'off' }),
])

/** The one line the upstream got for a header (fails when there are several). */
function one(assert: Pick<typeof t, 'ok'>, e: Echoed, name: string): string | undefined {
  const lines = receivedLines(e, name)
  assert.ok(lines.length <= 1, `${name} sent once (got ${JSON.stringify(lines)})`)
  return lines[0]
}

const SPOOFED = {
  Host: 'Front.Test:8080',
  'X-Forwarded-For': '1.2.3.4',
  'X-Forwarded-Proto': 'https',
  'X-Forwarded-Host': 'evil.test',
  'X-Forwarded-Port': '443',
  'X-Forwarded-Path': '/evil',
  'X-Forwarded-Prefix': '/evil-prefix',
  'X-Real-IP': '9.9.9.9',
}

t.test('an untrusted client: its X-Forwarded-* are replaced, its X-Forwarded-For is extended', async (t) => {
  const e = echoed(await send(a.ports.proxy, { path: '/strip/./a%2Fb?q=1', headers: SPOOFED }))
  t.equal(e.url, '/srv/a%2Fb?q=1')
  t.equal(one(t, e, 'x-forwarded-for'), '1.2.3.4, 127.0.0.1')
  t.equal(one(t, e, 'x-forwarded-proto'), 'http')
  t.equal(one(t, e, 'x-forwarded-host'), 'front.test', '$host: lower-cased, no port')
  t.equal(one(t, e, 'x-forwarded-port'), String(a.ports.proxy))
  t.equal(one(t, e, 'x-forwarded-path'), '/strip/./a%2Fb', 'the raw path, without the query')
  t.equal(one(t, e, 'x-forwarded-prefix'), '/strip')
  t.equal(one(t, e, 'x-real-ip'), '127.0.0.1')

  const regex = echoed(await send(a.ports.proxy, { path: '/re/42/x' }))
  t.equal(regex.url, '/srv/x')
  t.equal(one(t, regex, 'x-forwarded-prefix'), '/re/42', 'a regex route: the whole match')
  const plain = echoed(await send(a.ports.proxy, { path: '/nostrip/x' }))
  t.equal(one(t, plain, 'x-forwarded-for'), '127.0.0.1', 'no X-Forwarded-For: the client address')
  t.equal(one(t, plain, 'x-forwarded-host'), '127.0.0.1')
  t.equal(one(t, plain, 'x-forwarded-prefix'), undefined, 'no prefix without strip_path')
  t.equal(one(t, plain, 'x-real-ip'), '127.0.0.1')
})

t.test('a trusted client (trusted_ips=127.0.0.1): its X-Forwarded-* and X-Real-IP are kept', async (t) => {
  const e = echoed(await send(b.ports.proxy, { path: '/strip/a?q=1', headers: SPOOFED }))
  t.equal(one(t, e, 'x-forwarded-for'), '1.2.3.4, 127.0.0.1')
  t.equal(one(t, e, 'x-forwarded-proto'), 'https')
  t.equal(one(t, e, 'x-forwarded-host'), 'evil.test')
  t.equal(one(t, e, 'x-forwarded-port'), '443')
  t.equal(one(t, e, 'x-forwarded-path'), '/evil')
  t.equal(one(t, e, 'x-forwarded-prefix'), '/evil-prefix')
  t.equal(one(t, e, 'x-real-ip'), '9.9.9.9', 'realip took the trusted X-Real-IP')

  const bare = echoed(await send(b.ports.proxy, { path: '/strip/a', headers: { Host: 'Front.Test:8080' } }))
  t.equal(one(t, bare, 'x-forwarded-proto'), 'http', 'nothing sent: the scheme')
  t.equal(one(t, bare, 'x-forwarded-host'), 'front.test')
  t.equal(one(t, bare, 'x-forwarded-port'), String(b.ports.proxy))
  t.equal(one(t, bare, 'x-forwarded-path'), '/strip/a')
  t.equal(one(t, bare, 'x-forwarded-prefix'), '/strip')
  t.equal(one(t, bare, 'x-real-ip'), '127.0.0.1')

  const moved = await send(b.ports.proxy, { path: '/moved?x=1', headers: { 'X-Forwarded-Host': 'fwd.test' } })
  t.equal(moved.status, 302)
  t.equal(moved.headers.location, 'https://fwd.test/moved?x=1', 'the redirect goes to the trusted X-Forwarded-Host')
  const secure = await send(b.ports.proxy, { path: '/secure', headers: { 'X-Forwarded-Proto': 'https' } })
  t.equal(secure.status, 200, 'a trusted X-Forwarded-Proto: https passes an https-only route')
  const refused = await send(a.ports.proxy, { path: '/secure', headers: { 'X-Forwarded-Proto': 'https' } })
  t.equal(refused.status, 426, 'an untrusted one does not')
})

t.test('Via, upstream and downstream', async (t) => {
  const first = await send(a.ports.proxy, { path: '/nostrip' })
  t.equal(one(t, echoed(first), 'via'), `1.1 ${VIA_TOKEN}`)
  t.equal(first.headers.via, `1.1 ${VIA_TOKEN}`, 'downstream: Kong\'s Via alone')
  const chained = await send(a.ports.proxy, { path: '/nostrip', headers: { Via: '1.1 dev', 'X-Respond-Header': 'via=1.0 up' } })
  t.equal(one(t, echoed(chained), 'via'), `1.1 dev, 1.1 ${VIA_TOKEN}`, 'the client\'s Via is extended')
  t.equal(chained.headers.via, `1.0 up, 1.1 ${VIA_TOKEN}`, 'the upstream\'s Via is extended')
  const http10 = await rawExchange(a.ports.proxy, 'GET /nostrip HTTP/1.0\r\nHost: x.test\r\n\r\n')
  t.equal(http10.status, 200)
  t.equal(one(t, JSON.parse(http10.body) as Echoed, 'via'), `1 ${VIA_TOKEN}`, 'HTTP/1.0 is written as Lua writes 1.0')
  const notProxied = await send(a.ports.proxy, { path: '/nowhere' })
  t.equal(notProxied.headers.via, undefined, 'not proxied: no Via')
})

t.test('Server: the upstream\'s passes, ours otherwise', async (t) => {
  const ours = await send(a.ports.proxy, { path: '/nostrip' })
  t.match(ours.headers.server, SERVER_TOKEN, 'the upstream sent none')
  const theirs = await send(a.ports.proxy, { path: '/nostrip', headers: { 'X-Respond-Header': 'server=upstream/1.0' } })
  t.equal(theirs.headers.server, 'upstream/1.0')
  t.match((await send(a.ports.proxy, { path: '/nowhere' })).headers.server, SERVER_TOKEN, 'not proxied')
})

t.test('X-Kong-Request-Id: the same upstream and downstream, never the client\'s', async (t) => {
  const reply = await send(a.ports.proxy, { path: '/nostrip', headers: { 'X-Kong-Request-Id': 'client-chosen' } })
  const id = reply.headers['x-kong-request-id']
  t.match(id, REQUEST_ID)
  t.same(receivedLines(echoed(reply), 'x-kong-request-id'), [id])
  const other = await send(a.ports.proxy, { path: '/nostrip' })
  t.not(other.headers['x-kong-request-id'], id, 'one id per request')
})

t.test('latency headers: upstream and proxy latency when proxied, response latency otherwise', async (t) => {
  const proxied = await send(a.ports.proxy, { path: '/nostrip' })
  t.match(proxied.headers['x-kong-upstream-latency'], /^\d+$/)
  t.match(proxied.headers['x-kong-proxy-latency'], /^\d+$/)
  t.equal(proxied.headers['x-kong-response-latency'], undefined)
  t.equal(proxied.headers['x-kong-upstream-status'], undefined, 'not enabled by default')
  const own = await send(a.ports.proxy, { path: '/nowhere' })
  t.match(own.headers['x-kong-response-latency'], /^\d+$/)
  t.equal(own.headers['x-kong-upstream-latency'], undefined)
  t.equal(own.headers['x-kong-proxy-latency'], undefined)
})

t.test('headers=off and headers_upstream=off', async (t) => {
  const proxied = await send(b.ports.proxy, { path: '/nostrip', headers: { 'X-Kong-Request-Id': 'client-chosen' } })
  t.equal(proxied.status, 200)
  for (const name of ['via', 'server', 'x-kong-request-id', 'x-kong-upstream-latency', 'x-kong-proxy-latency', 'x-kong-response-latency']) {
    t.equal(proxied.headers[name], undefined, `proxied: no ${name}`)
  }
  t.same(receivedLines(echoed(proxied), 'x-kong-request-id'), ['client-chosen'], 'upstream: no id of ours; the client\'s passes as any header')
  t.equal(one(t, echoed(proxied), 'via'), `1.1 ${VIA_TOKEN}`, 'the upstream request still carries Via')
  const passed = await send(b.ports.proxy, { path: '/nostrip', headers: { 'X-Respond-Header': 'server=upstream/1.0' } })
  t.equal(passed.headers.server, 'upstream/1.0', 'the upstream\'s Server still passes')
  const own = await send(b.ports.proxy, { path: '/nowhere' })
  t.equal(own.status, 404)
  for (const name of ['via', 'server', 'x-kong-request-id', 'x-kong-response-latency']) t.equal(own.headers[name], undefined, `not proxied: no ${name}`)
  t.match(own.text, /"request_id":"[0-9a-f]{32}"/, 'the body still names the request')
})

t.test('hop-by-hop request headers are not forwarded', async (t) => {
  const e = echoed(
    await send(a.ports.proxy, {
      path: '/nostrip',
      headers: [
        'Connection', 'keep-alive, X-Drop-Me',
        'X-Drop-Me', '1',
        'Keep-Alive', 'timeout=5',
        'Proxy', 'http://evil',
        'Proxy-Connection', 'keep-alive',
        'Proxy-Authorization', 'Basic Zm9vOmJhcg==',
        'Close', 'yes',
        'TE', 'gzip',
        'X-Stays', 'ok',
      ],
    }),
  )
  for (const name of ['x-drop-me', 'keep-alive', 'proxy', 'proxy-connection', 'te']) t.same(receivedLines(e, name), [], `${name} removed`)
  t.same(receivedLines(e, 'proxy-authorization'), ['Basic Zm9vOmJhcg=='], 'Proxy-Authorization is kept')
  t.same(receivedLines(e, 'close'), ['yes'], 'a header named Close is kept')
  t.same(receivedLines(e, 'x-stays'), ['ok'])
  const trailers = echoed(await send(a.ports.proxy, { path: '/nostrip', headers: { TE: 'trailers, deflate' } }))
  t.same(receivedLines(trailers, 'te'), ['trailers'], 'TE is reduced to trailers')
})

t.test('hop-by-hop response headers are not passed back', async (t) => {
  const reply = await send(a.ports.proxy, { path: '/hop' })
  t.equal(reply.status, 200)
  t.equal(reply.text, 'hop body')
  t.equal(reply.headers['x-hop'], undefined, 'named by the upstream\'s Connection')
  t.equal(reply.headers.trailer, undefined, 'Trailer without TE: trailers')
  t.equal(reply.headers.upgrade, undefined, 'an Upgrade the client did not ask for')
  t.not(reply.headers['keep-alive'], 'timeout=5, max=7', 'the upstream\'s Keep-Alive')
  t.equal(reply.headers['x-keep'], 'stays')
  const withTe = await send(a.ports.proxy, { path: '/hop', headers: { TE: 'trailers' } })
  t.equal(withTe.headers.trailer, 'X-Checksum', 'Trailer passes when the client sent TE: trailers')
})

t.test('allow_debug_header: Kong-Debug names the route and service', async (t) => {
  const route = (await http(`${a.admin}/routes/strip`)).body
  const service = (await http(`${a.admin}/services/svc`)).body
  t.match(route.id, /^[0-9a-f-]{36}$/)
  const debug = await send(a.ports.proxy, { path: '/strip', headers: { 'Kong-Debug': '1' } })
  t.equal(debug.headers['kong-route-id'], route.id)
  t.equal(debug.headers['kong-route-name'], 'strip')
  t.equal(debug.headers['kong-service-id'], service.id)
  t.equal(debug.headers['kong-service-name'], 'svc')
  const unnamed = await send(a.ports.proxy, { path: '/hop', headers: { 'Kong-Debug': '1' } })
  t.match(unnamed.headers['kong-route-id'], /^[0-9a-f-]{36}$/)
  t.equal(unnamed.headers['kong-route-name'], undefined, 'no name, no header')
  const without = await send(a.ports.proxy, { path: '/strip' })
  t.equal(without.headers['kong-route-id'], undefined, 'no Kong-Debug, no debug headers')
  const off = await send(b.ports.proxy, { path: '/strip', headers: { 'Kong-Debug': '1' } })
  t.equal(off.headers['kong-route-id'], undefined, 'allow_debug_header off')
})
