// Kong's traditional_compatible matching rules, one table row each, most taken from Kong's
// spec/01-unit/08-router_spec.lua; every row is checked through the index and the linear scan.
import t from 'tap'
import type { Route } from '../../src/declarative/schema/entities/index.js'
import { uuidV5In } from '../../src/declarative/ids.js'
import { buildMatchers, priorityOf, SPLIT_NAMESPACE } from '../../src/router/matchers.js'
import { regexLiteralPrefix } from '../../src/router/router.js'
import { matchName, request, routerOf, type Req } from '../helpers/router.js'

interface Row {
  desc: string
  routes: string
  req: Req
  want: string | undefined
}

const rows: Row[] = [
  // hosts
  { desc: 'plain host matches exactly', routes: '- {name: a, hosts: [domain.org]}', req: { host: 'domain.org' }, want: 'a' },
  { desc: 'plain host is case-sensitive', routes: '- {name: a, hosts: [domain.org]}', req: { host: 'Domain.org' }, want: undefined },
  { desc: 'a host without port matches on any port', routes: '- {name: a, hosts: [domain.org]}', req: { host: 'domain.org:123' }, want: 'a' },
  { desc: 'no Host header, no host match', routes: '- {name: a, hosts: [domain.org]}', req: {}, want: undefined },
  { desc: 'leftmost wildcard: one more label', routes: '- {name: a, hosts: ["*.route.com"]}', req: { host: 'x.route.com' }, want: 'a' },
  { desc: 'leftmost wildcard: several labels', routes: '- {name: a, hosts: ["*.route.com"]}', req: { host: 'x.y.route.com' }, want: 'a' },
  { desc: 'leftmost wildcard: not the bare domain', routes: '- {name: a, hosts: ["*.route.com"]}', req: { host: 'route.com' }, want: undefined },
  { desc: 'rightmost wildcard', routes: '- {name: a, hosts: ["route.*"]}', req: { host: 'route.co.uk' }, want: 'a' },
  { desc: 'rightmost wildcard: prefix must end with a dot', routes: '- {name: a, hosts: ["route.*"]}', req: { host: 'routes.org' }, want: undefined },
  { desc: 'host with port: same port', routes: '- {name: a, hosts: ["a.com:123"]}', req: { host: 'a.com:123' }, want: 'a' },
  { desc: 'host with port: other port', routes: '- {name: a, hosts: ["a.com:123"]}', req: { host: 'a.com:321' }, want: undefined },
  { desc: 'host with port: the listener port when Host has none', routes: '- {name: a, hosts: ["a.com:123"]}', req: { host: 'a.com', port: 123 }, want: 'a' },
  { desc: 'host with port: wildcard too', routes: '- {name: a, hosts: ["*.a.net:123"]}', req: { host: 'x.a.net:123' }, want: 'a' },
  { desc: 'Host port split only when numeric', routes: '- {name: a, hosts: [a.com]}', req: { host: 'a.com:x' }, want: undefined },
  // paths
  { desc: 'prefix has no segment boundary', routes: '- {name: a, paths: [/foo]}', req: { path: '/foobar' }, want: 'a' },
  { desc: 'prefix longer than the path', routes: '- {name: a, paths: [/foo/]}', req: { path: '/foo' }, want: undefined },
  { desc: 'prefix on the normalized path', routes: '- {name: a, paths: [/hello]}', req: { path: '/h%65llo' }, want: 'a' },
  { desc: 'dot segments removed before matching', routes: '- {name: a, paths: [/b]}', req: { path: '/a/../b' }, want: 'a' },
  { desc: 'regex anchored at the start', routes: '- {name: a, paths: ["~/users/\\\\d+"]}', req: { path: '/x/users/1' }, want: undefined },
  { desc: 'regex not anchored at the end', routes: '- {name: a, paths: ["~/users/\\\\d+"]}', req: { path: '/users/123/profile' }, want: 'a' },
  { desc: 'regex \\d is Unicode, as in Rust', routes: '- {name: a, paths: ["~/n/\\\\d+$"]}', req: { path: '/n/%D9%A3' }, want: 'a' },
  { desc: 'regex alternation: later branches are not anchored', routes: '- {name: a, paths: ["~/a|/b"]}', req: { path: '/x/b' }, want: 'a' },
  // methods
  { desc: 'method matches', routes: '- {name: a, methods: [GET, POST]}', req: { method: 'POST' }, want: 'a' },
  { desc: 'method is case-sensitive', routes: '- {name: a, methods: [GET]}', req: { method: 'get' }, want: undefined },
  // headers
  { desc: 'header name and value case-insensitive', routes: '- {name: a, headers: {X-Version: [V1]}}', req: { headers: { 'x-version': 'v1' } }, want: 'a' },
  { desc: 'header _ and - are one', routes: '- {name: a, headers: {x_version: [v1]}}', req: { headers: { 'x-version': 'V1' } }, want: 'a' },
  { desc: 'header: any value of several', routes: '- {name: a, headers: {x: [a, b]}}', req: { headers: { x: ['c', 'b'] } }, want: 'a' },
  { desc: 'header names are ANDed', routes: '- {name: a, headers: {x: [a], y: [b]}}', req: { headers: { x: 'a' } }, want: undefined },
  { desc: 'header missing', routes: '- {name: a, headers: {x: [a]}}', req: {}, want: undefined },
  { desc: 'header regex unanchored', routes: '- {name: a, headers: {x: ["~*v\\\\d"]}}', req: { headers: { x: 'app-V2-x' } }, want: 'a' },
  { desc: 'header regex pattern is lower-cased (\\D reads \\d)', routes: '- {name: a, headers: {x: ["~*^\\\\D$"]}}', req: { headers: { x: '7' } }, want: 'a' },
  // snis
  { desc: 'sni ignored for http', routes: '- {name: a, protocols: [https], snis: [sni.test]}', req: {}, want: 'a' },
  { desc: 'sni required for https', routes: '- {name: a, protocols: [https], snis: [sni.test]}', req: { scheme: 'https' }, want: undefined },
  { desc: 'sni matches', routes: '- {name: a, protocols: [https], snis: [sni.test]}', req: { scheme: 'https', sni: 'sni.test' }, want: 'a' },
  { desc: 'sni trailing dot dropped', routes: '- {name: a, protocols: [https], snis: [sni.test.]}', req: { scheme: 'https', sni: 'sni.test' }, want: 'a' },
  { desc: 'sni leftmost wildcard', routes: '- {name: a, protocols: [https], snis: ["*.sni.test"]}', req: { scheme: 'https', sni: 'x.y.sni.test' }, want: 'a' },
  { desc: 'sni rightmost wildcard', routes: '- {name: a, protocols: [https], snis: ["sni.*"]}', req: { scheme: 'https', sni: 'sni.org' }, want: 'a' },
  // protocols and services
  { desc: 'protocols are not matched', routes: '- {name: a, protocols: [https], paths: [/]}', req: { scheme: 'http' }, want: 'a' },
  // priorities (§2.5, orderings that hold under both layouts)
  { desc: 'host-only beats methods-only', routes: '- {name: m, methods: [GET]}\n- {name: h, hosts: [a.com]}', req: { host: 'a.com' }, want: 'h' },
  { desc: 'prefix beats methods-only', routes: '- {name: m, methods: [GET]}\n- {name: p, paths: [/x]}', req: { path: '/x' }, want: 'p' },
  { desc: 'more header names beat a longer path', routes: '- {name: long, paths: [/a/b/c], headers: {x: ["1"]}}\n- {name: two, paths: [/], headers: {x: ["1"], y: ["2"]}}', req: { path: '/a/b/c', headers: { x: '1', y: '2' } }, want: 'two' },
  { desc: 'longer prefix beats shorter', routes: '- {name: short, paths: [/a]}\n- {name: long, paths: [/a/b]}', req: { path: '/a/b/c' }, want: 'long' },
  { desc: 'regex beats prefix of the same weight', routes: '- {name: p, paths: [/a/b/c/d]}\n- {name: r, paths: ["~/a"]}', req: { path: '/a/b/c/d' }, want: 'r' },
  { desc: 'higher regex_priority first', routes: '- {name: lo, paths: ["~/a/b"], regex_priority: 1}\n- {name: hi, paths: ["~/a"], regex_priority: 2}', req: { path: '/a/b' }, want: 'hi' },
  { desc: 'negative regex_priority sorts below 0', routes: '- {name: neg, paths: ["~/a/b"], regex_priority: -1, id: ffffffff-0000-4000-8000-000000000000}\n- {name: zero, paths: ["~/a"], id: 00000000-0000-4000-8000-000000000000}', req: { path: '/a/b' }, want: 'zero' },
  { desc: 'regex_priority ignored for prefixes: the larger id wins', routes: '- {name: big, paths: [/a], regex_priority: 0, id: ffffffff-0000-4000-8000-000000000000}\n- {name: small, paths: [/b], regex_priority: 9, id: 00000000-0000-4000-8000-000000000000}\n- {name: c, paths: [/], id: 10000000-0000-4000-8000-000000000000}', req: { path: '/a' }, want: 'big' },
  { desc: '/ is the catch-all of lowest priority', routes: '- {name: all, paths: [/]}\n- {name: x, paths: [/x]}', req: { path: '/y' }, want: 'all' },
  { desc: 'port-specific host does not outrank: the larger id wins', routes: '- {name: any, hosts: [d.org], id: ffffffff-0000-4000-8000-000000000000}\n- {name: port, hosts: ["d.org:321"], id: 00000000-0000-4000-8000-000000000000}', req: { host: 'd.org:321' }, want: 'any' },
  { desc: 'same tie the other way', routes: '- {name: any, hosts: [d.org], id: 00000000-0000-4000-8000-000000000000}\n- {name: port, hosts: ["d.org:321"], id: ffffffff-0000-4000-8000-000000000000}', req: { host: 'd.org:321' }, want: 'port' },
  { desc: 'plain hosts outrank wildcard hosts', routes: '- {name: wild, hosts: ["*.a.com"], id: ffffffff-0000-4000-8000-000000000000}\n- {name: plain, hosts: [x.a.com], id: 00000000-0000-4000-8000-000000000000}', req: { host: 'x.a.com' }, want: 'plain' },
  { desc: 'intended layout: more fields beat a plain host (x86 Kong picks the host)', routes: '- {name: host, hosts: [a.com]}\n- {name: three, paths: [/], methods: [GET], headers: {x: ["1"]}}', req: { host: 'a.com', headers: { x: '1' } }, want: 'three' },
  // splitting (§2.6)
  { desc: 'split route: short group', routes: '- {name: r1, paths: [/foo, /foo/bar/baz]}\n- {name: r2, paths: [/foo/bar]}', req: { path: '/foo' }, want: 'r1' },
  { desc: 'split route: the other route between its groups', routes: '- {name: r1, paths: [/foo, /foo/bar/baz]}\n- {name: r2, paths: [/foo/bar]}', req: { path: '/foo/bar' }, want: 'r2' },
  { desc: 'split route: long group', routes: '- {name: r1, paths: [/foo, /foo/bar/baz]}\n- {name: r2, paths: [/foo/bar]}', req: { path: '/foo/bar/baz' }, want: 'r1' },
]

t.test('matching rules', async (t) => {
  for (const row of rows) {
    const { router } = await routerOf(`routes:\n${row.routes.split('\n').map((l) => `${l}`).join('\n')}\n`)
    t.equal(matchName(router, row.req), row.want, row.desc)
  }
})

t.test('services: disabled ones drop their routes, routes without one stay', async (t) => {
  const { router } = await routerOf(
    'services:\n- {name: svc-off, host: x, enabled: false, routes: [{name: a, paths: [/a]}]}\n- {name: svc-on, host: y, routes: [{name: b, paths: [/b]}]}\nroutes:\n- {name: c, paths: [/c]}\n',
  )
  t.equal(matchName(router, { path: '/a' }), undefined, 'route of a disabled service')
  t.equal(router.match(request({ path: '/b' }))?.service?.name, 'svc-on', 'service resolved')
  const c = router.match(request({ path: '/c' }))
  t.equal(c?.route.name, 'c')
  t.equal(c?.service, undefined, 'no service')
})

t.test('stream routes are not in the HTTP router', async (t) => {
  const { router } = await routerOf('routes:\n- {name: s, protocols: [tcp], destinations: [{port: 80}]}\n- {name: h, paths: [/]}\n')
  t.equal(router.size, 1)
})

t.test('match result: path, prefix and captures (§2.7)', async (t) => {
  const { router } = await routerOf(
    [
      'routes:',
      '- {name: cap, paths: ["~/users/(?<name>[^/]+)/profile"]}',
      '- {name: opt, paths: ["~/opt/(a)?(b)?(c*)"]}',
      '- {name: nogroup, paths: ["~/plain/\\\\d+"]}',
      '- {name: none, paths: ["~/none(x)?"]}',
      '- {name: prefix, paths: [/pre]}',
      '- {name: nopath, hosts: [h.com]}',
    ].join('\n') + '\n',
  )
  const cap = router.match(request({ path: '/users/%6aohn%20doe/profile' }))
  t.same(cap?.captures, { 0: '/users/john doe/profile', 1: 'john doe', name: 'john doe' }, 'decoded capture, by position and name')
  t.equal(cap?.prefix, '/users/john doe/profile', 'prefix is the whole regex match')
  t.equal(cap?.path, '/users/john doe/profile')
  t.same(router.match(request({ path: '/opt/b' }))?.captures, { 0: '/opt/b', 2: 'b', 3: '' }, 'unmatched group absent, empty group kept')
  t.equal(router.match(request({ path: '/plain/1' }))?.captures, undefined, 'no groups, no captures')
  t.equal(router.match(request({ path: '/none' }))?.captures, undefined, 'only the whole match: no captures')
  const pre = router.match(request({ path: '/prefix/x' }))
  t.equal(pre?.prefix, '/pre')
  t.equal(pre?.captures, undefined)
  const nopath = router.match(request({ host: 'h.com', path: '/q' }))
  t.equal(nopath?.route.name, 'nopath')
  t.equal(nopath?.prefix, undefined, 'no path, no prefix')
})

t.test('split ids are uuid v5 of "<id>#<group>" in Kong\'s namespace', async (t) => {
  t.equal(uuidV5In('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com'), '2ed6657d-e927-568b-95e1-2665a8aea6a2', 'RFC 4122 v5 vector')
  const { routes, services } = await routerOf('routes:\n- {name: r, id: 11111111-1111-4111-8111-111111111111, paths: ["/a", "~/x", "/bb", "/c"]}\n')
  const ids = buildMatchers(routes, services).map((m) => m.id).sort()
  const want = [1, 2, 3].map((i) => uuidV5In(SPLIT_NAMESPACE, `11111111-1111-4111-8111-111111111111#${i}`)).sort()
  t.same(ids, want, 'three groups: /a and /c, the regex, /bb')
})

t.test('priority bits follow the intended layout', async (t) => {
  const { routes } = await routerOf(
    'routes:\n- {name: r, hosts: [a.com], headers: {x: ["1"], y: ["2"]}, paths: ["~/a"], regex_priority: 5}\n- {name: p, hosts: ["*.a.com"], paths: [/abc]}\n- {name: e, hosts: [], paths: [/]}\n',
  )
  const byName = (n: string): Route => {
    const found = routes.find((x) => x.name === n)
    if (!found) throw new Error(`no route ${n}`)
    return found
  }
  const [r, p, e] = ['r', 'p', 'e'].map(byName)
  t.equal(priorityOf(r, r.paths ?? undefined), (3n << 61n) | (1n << 60n) | (2n << 52n) | (1n << 51n) | ((5n + 2n ** 31n) << 19n))
  t.equal(priorityOf(p, p.paths ?? undefined), (2n << 61n) | 4n, 'wildcard host: no P bit; L is the prefix length')
  t.equal(priorityOf(e, e.paths ?? undefined), (1n << 61n) | (1n << 60n) | 1n, 'an empty hosts array still sets P')
})

t.test('literal prefix of a regex path', async (t) => {
  const cases: [string, string][] = [
    ['~/users/\\d+', '/users/'],
    ['~/users/?x', '/users'],
    ['~/abc*', '/ab'],
    ['~/a{2}', '/'],
    ['~/a|/b', ''],
    ['~/(?i)abc', '/'],
    ['~/caf\u00e9/x', '/caf\u00e9/x'],
  ]
  for (const [path, want] of cases) t.equal(regexLiteralPrefix(path), want, path)
})
