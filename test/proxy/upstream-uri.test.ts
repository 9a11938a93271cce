// Kong's upstream path rules, checked against the whole path-handling matrix Kong's own router
// and proxy tests share (spec/fixtures/router_path_handling_tests.lua), rows copied in order.
import t from 'tap'
import { strippedPrefix, targetPath, targetQuery, upstreamPath, upstreamUri } from '../../src/proxy/upstream-uri.js'
import { normalizePath } from '../../src/util/uri.js'

type Strip = boolean | readonly boolean[]
type Handling = 'v0' | 'v1' | readonly ('v0' | 'v1')[]
/** service_path, route_path (null: the route matches on host only), strip_path, path_handling, request_path, expected_path */
type Row = readonly [string, string | null, Strip, Handling, string, string]

const ROWS: readonly Row[] = [
  ['/', '/', [false, true], ['v0', 'v1'], '/', '/'],
  ['/', '/', [false, true], ['v0', 'v1'], '/route', '/route'],
  ['/', '/', [false, true], ['v0', 'v1'], '/route/', '/route/'],
  ['/', '/', [false, true], ['v0', 'v1'], '/routereq', '/routereq'],
  ['/', '/', [false, true], ['v0', 'v1'], '/route/req', '/route/req'],
  ['/', '/route', false, ['v0', 'v1'], '/route', '/route'],
  ['/', '/route', false, ['v0', 'v1'], '/route/', '/route/'],
  ['/', '/route', false, ['v0', 'v1'], '/routereq', '/routereq'],
  ['/', '/route', true, ['v0', 'v1'], '/route', '/'],
  ['/', '/route', true, ['v0', 'v1'], '/route/', '/'],
  ['/', '/route', true, ['v0', 'v1'], '/routereq', '/req'],
  ['/', '/route/', false, ['v0', 'v1'], '/route/', '/route/'],
  ['/', '/route/', false, ['v0', 'v1'], '/route/req', '/route/req'],
  ['/', '/route/', true, ['v0', 'v1'], '/route/', '/'],
  ['/', '/route/', true, ['v0', 'v1'], '/route/req', '/req'],
  ['/srv', '/rou', false, 'v0', '/roureq', '/srv/roureq'],
  ['/srv', '/rou', false, 'v1', '/roureq', '/srvroureq'],
  ['/srv', '/rou', true, 'v0', '/roureq', '/srv/req'],
  ['/srv', '/rou', true, 'v1', '/roureq', '/srvreq'],
  ['/srv/', '/rou', false, ['v0', 'v1'], '/rou', '/srv/rou'],
  ['/srv/', '/rou', true, 'v0', '/rou', '/srv'],
  ['/srv/', '/rou', true, 'v1', '/rou', '/srv/'],
  ['/service', '/', [false, true], ['v0', 'v1'], '/', '/service'],
  ['/service', '/', [false, true], 'v0', '/route', '/service/route'],
  ['/service', '/', [false, true], 'v1', '/route', '/serviceroute'],
  ['/service', '/', [false, true], 'v0', '/route/', '/service/route/'],
  ['/service', '/', [false, true], 'v1', '/route/', '/serviceroute/'],
  ['/service', '/', [false, true], 'v0', '/routereq', '/service/routereq'],
  ['/service', '/', [false, true], 'v1', '/routereq', '/serviceroutereq'],
  ['/service', '/', [false, true], 'v0', '/route/req', '/service/route/req'],
  ['/service', '/', [false, true], 'v1', '/route/req', '/serviceroute/req'],
  ['/service', '/route', false, 'v0', '/route', '/service/route'],
  ['/service', '/route', false, 'v1', '/route', '/serviceroute'],
  ['/service', '/route', false, 'v0', '/route/', '/service/route/'],
  ['/service', '/route', false, 'v1', '/route/', '/serviceroute/'],
  ['/service', '/route', false, 'v0', '/routereq', '/service/routereq'],
  ['/service', '/route', false, 'v1', '/routereq', '/serviceroutereq'],
  ['/service', '/route', true, ['v0', 'v1'], '/route', '/service'],
  ['/service', '/route', true, ['v0', 'v1'], '/route/', '/service/'],
  ['/service', '/route', true, 'v0', '/routereq', '/service/req'],
  ['/service', '/route', true, 'v1', '/routereq', '/servicereq'],
  ['/service', '/route/', false, 'v0', '/route/', '/service/route/'],
  ['/service', '/route/', false, 'v1', '/route/', '/serviceroute/'],
  ['/service', '/route/', false, 'v0', '/route/req', '/service/route/req'],
  ['/service', '/route/', false, 'v1', '/route/req', '/serviceroute/req'],
  ['/service', '/route/', true, 'v0', '/route/', '/service/'],
  ['/service', '/route/', true, 'v1', '/route/', '/service'],
  ['/service', '/route/', true, 'v0', '/route/req', '/service/req'],
  ['/service', '/route/', true, 'v1', '/route/req', '/servicereq'],
  ['/service/', '/', [false, true], 'v0', '/route/', '/service/route/'],
  ['/service/', '/', [false, true], 'v1', '/route/', '/service/route/'],
  ['/service/', '/', [false, true], ['v0', 'v1'], '/', '/service/'],
  ['/service/', '/', [false, true], ['v0', 'v1'], '/route', '/service/route'],
  ['/service/', '/', [false, true], ['v0', 'v1'], '/routereq', '/service/routereq'],
  ['/service/', '/', [false, true], ['v0', 'v1'], '/route/req', '/service/route/req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route', '/service/route'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route/', '/service/route/'],
  ['/service/', '/route', false, ['v0', 'v1'], '/routereq', '/service/routereq'],
  ['/service/', '/route', true, 'v0', '/route', '/service'],
  ['/service/', '/route', true, 'v1', '/route', '/service/'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route/', '/service/'],
  ['/service/', '/route', true, ['v0', 'v1'], '/routereq', '/service/req'],
  ['/service/', '/route/', false, ['v0', 'v1'], '/route/', '/service/route/'],
  ['/service/', '/route/', false, ['v0', 'v1'], '/route/req', '/service/route/req'],
  ['/service/', '/route/', true, ['v0', 'v1'], '/route/', '/service/'],
  ['/service/', '/route/', true, ['v0', 'v1'], '/route/req', '/service/req'],
  ['/', null, [false, true], ['v0', 'v1'], '/', '/'],
  ['/', null, [false, true], ['v0', 'v1'], '/route', '/route'],
  ['/', null, [false, true], ['v0', 'v1'], '/route/', '/route/'],
  ['/service', null, [false, true], ['v0', 'v1'], '/', '/service'],
  ['/service', null, [false, true], 'v0', '/route', '/service/route'],
  ['/service', null, [false, true], 'v1', '/route', '/serviceroute'],
  ['/service', null, [false, true], 'v0', '/route/', '/service/route/'],
  ['/service', null, [false, true], 'v1', '/route/', '/serviceroute/'],
  ['/service/', null, [false, true], ['v0', 'v1'], '/', '/service/'],
  ['/service/', null, [false, true], ['v0', 'v1'], '/route', '/service/route'],
  ['/service/', null, [false, true], ['v0', 'v1'], '/route/', '/service/route/'],
  ['/service', '/route', true, 'v0', '/route./req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route./req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route./req', '/service/req'],
  ['/service', '/route', true, 'v0', '/route%2E/req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route%2E/req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route%2E/req', '/service/req'],
  ['/service', '/route', true, 'v0', '/route%2e/req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route%2e/req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route%2e/req', '/service/req'],
  ['/service', '/route', true, 'v0', '/route../req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route../req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route../req', '/service/req'],
  ['/service', '/route', true, 'v0', '/route%2E%2E/req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route%2E%2E/req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route%2E%2E/req', '/service/req'],
  ['/service', '/route', true, 'v0', '/route%2e%2E/req', '/service/req'],
  ['/service', '/route', true, 'v1', '/route%2e%2E/req', '/servicereq'],
  ['/service/', '/route', true, ['v0', 'v1'], '/route%2e%2E/req', '/service/req'],
  ['/service', '/route', false, 'v0', '/route./req', '/service/route./req'],
  ['/service', '/route', false, 'v1', '/route./req', '/serviceroute./req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route./req', '/service/route./req'],
  ['/service', '/route', false, 'v0', '/route%2E/req', '/service/route./req'],
  ['/service', '/route', false, 'v1', '/route%2E/req', '/serviceroute./req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route%2E/req', '/service/route./req'],
  ['/service', '/route', false, 'v0', '/route%2e/req', '/service/route./req'],
  ['/service', '/route', false, 'v1', '/route%2e/req', '/serviceroute./req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route%2e/req', '/service/route./req'],
  ['/service', '/route', false, 'v0', '/route../req', '/service/route../req'],
  ['/service', '/route', false, 'v1', '/route../req', '/serviceroute../req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route../req', '/service/route../req'],
  ['/service', '/route', false, 'v0', '/route%2E%2E/req', '/service/route../req'],
  ['/service', '/route', false, 'v1', '/route%2E%2E/req', '/serviceroute../req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route%2E%2E/req', '/service/route../req'],
  ['/service', '/route', false, 'v0', '/route%2e%2E/req', '/service/route../req'],
  ['/service', '/route', false, 'v1', '/route%2e%2E/req', '/serviceroute../req'],
  ['/service/', '/route', false, ['v0', 'v1'], '/route%2e%2E/req', '/service/route../req'],

]

/** Kong's `expand()`: one case per strip_path value, then per path_handling value. */
function expand(rows: readonly Row[]): { service: string; route: string | null; strip: boolean; handling: string; request: string; expected: string; line: number }[] {
  return rows.flatMap(([service, route, strip, handling, request, expected], i) =>
    [strip].flat().flatMap((s) => [handling].flat().map((h) => ({ service, route, strip: s, handling: h, request, expected, line: i + 1 }))),
  )
}

const V0 = expand(ROWS).filter((c) => c.handling === 'v0')

t.test('the fixture is copied whole', async (t) => {
  t.equal(ROWS.length, 113, 'rows of the Lua table')
  t.equal(V0.length, 106, 'expanded v0 cases')
})

t.test('every v0 case of Kong\'s path-handling matrix', async (t) => {
  for (const c of V0) {
    // The router matches the normalized path; a prefix route's match is its path.
    const path = normalizePath(c.request)
    const got = upstreamUri(path, c.route ?? undefined, c.strip, c.service, undefined)
    t.equal(got, c.expected, `row ${c.line}: service ${c.service}, route ${String(c.route)}, strip ${c.strip}, ${c.request}`)
  }
})

t.test('a null service path is "/"', async (t) => {
  t.equal(upstreamPath('/route/req', '/route', true, null), '/req')
  t.equal(upstreamPath('/route/req', '/route', false, null), '/route/req')
  t.equal(upstreamPath('/', '/', true, null), '/')
})

t.test('a regex route strips its whole match', async (t) => {
  // ~/users/(?<id>\d+) matched "/users/42" of "/users/42/profile".
  t.equal(upstreamPath('/users/42/profile', '/users/42', true, '/svc'), '/svc/profile')
  t.equal(upstreamPath('/users/42', '/users/42', true, '/svc/'), '/svc')
  t.equal(upstreamPath('/users/42/', '/users/42', true, '/svc'), '/svc/')
})

t.test('the postfix is sanitized as Kong does', async (t) => {
  t.equal(upstreamPath('/route.', '/route', true, '/s'), '/s', '"." is dropped')
  t.equal(upstreamPath('/route..', '/route', true, '/s'), '/s', '".." is dropped')
  t.equal(upstreamPath('/route../x', '/route', true, '/s'), '/s/x', 'a leading "../" is dropped')
  t.equal(upstreamPath('/route./x', '/route', true, '/s/'), '/s/x', 'a leading "./" is dropped')
  t.equal(upstreamPath('/route...', '/route', true, '/s'), '/s/...', 'three dots are a name')
  t.equal(upstreamPath('/route.x', '/route', true, '/s'), '/s/.x', 'a dot name is kept')
})

t.test('the path is escaped and the raw query appended', async (t) => {
  const path = normalizePath('/route/my%20file/%C3%A9%2F')
  t.equal(path, '/route/my file/é%2F')
  t.equal(upstreamUri(path, '/route', true, '/s', undefined), '/s/my%20file/%C3%A9%2F', 'space and UTF-8 escaped, %2F kept')
  t.equal(upstreamUri('/a', '/a', false, null, 'x=1&y=%20'), '/a?x=1&y=%20', 'query verbatim')
  t.equal(upstreamUri('/a', '/a', false, null, ''), '/a?', 'an empty query keeps its "?"')
  t.equal(upstreamUri('/a', '/a', false, null, 'q=a b'), '/a?q=a b', 'the query is not escaped')
})

t.test('X-Forwarded-Prefix is the stripped prefix, not "/"', async (t) => {
  t.equal(strippedPrefix('/foo', true), '/foo')
  t.equal(strippedPrefix('/foo', false), undefined, 'not stripped')
  t.equal(strippedPrefix('/', true), undefined, '"/" stripped')
  t.equal(strippedPrefix(undefined, true), undefined, 'a route without paths')
})

t.test('a raw target splits at its first "?"', async (t) => {
  t.equal(targetPath('/a/b?x=1?y'), '/a/b')
  t.equal(targetQuery('/a/b?x=1?y'), 'x=1?y')
  t.equal(targetPath('/a%20b'), '/a%20b')
  t.equal(targetQuery('/a%20b'), undefined)
  t.equal(targetQuery('/a?'), '')
})
