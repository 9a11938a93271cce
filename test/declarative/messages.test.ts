// The messages Kong's own tests and tools assert, word for word, for the mistakes users make most:
// each case is a config, the Kong `fields` tree it must produce, and where our details point.
import t from 'tap'
import { checkUrl, parseSocketUrl } from '../../src/declarative/schema/typedefs.js'
import { load, loadError, yml } from '../helpers/load.js'

const PEM_FIELD = 'length must be at least 1'
const route = (protocols: string, extra = ''): string => yml(`services:\n- name: s\n  host: x\n  routes:\n  - protocols: ${protocols}\n${extra}`)
const routeErr = (v: unknown): unknown => ({ services: [{ routes: [v] }] })

interface Case {
  readonly desc: string
  readonly config: string
  readonly fields: unknown
  /** Entity path of the first located error. */
  readonly path?: string
  /** How many problems; 1 unless said. */
  readonly count?: number
}

const cases: Case[] = [
  // Kong gives every string field len_min = 1 unless it says 0, checked after one_of and uuid.
  { desc: 'empty service name', config: yml('services:\n- {name: "", host: x}\n'), fields: { services: [{ name: 'length must be at least 1' }] }, path: 'services[0].name' },
  { desc: 'empty certificate and key', config: yml('certificates:\n- {cert: "", key: ""}\n'), fields: { certificates: [{ cert: PEM_FIELD, key: PEM_FIELD }] }, count: 2 },
  { desc: 'empty CA certificate', config: yml('ca_certificates:\n- {cert: ""}\n'), fields: { ca_certificates: [{ cert: PEM_FIELD }] } },
  { desc: 'empty host', config: yml('services:\n- {host: ""}\n'), fields: { services: [{ host: 'length must be at least 1' }] } },
  { desc: 'empty service path', config: yml('services:\n- {host: x, path: ""}\n'), fields: { services: [{ path: 'length must be at least 1' }] } },
  { desc: 'empty tag', config: yml('services:\n- {host: x, tags: [""]}\n'), fields: { services: [{ tags: ['length must be at least 1'] }] }, path: 'services[0].tags[0]' },
  { desc: 'empty consumer username', config: yml('consumers:\n- {username: ""}\n'), fields: { consumers: [{ username: 'length must be at least 1' }] } },
  { desc: 'empty key-auth key', config: yml('consumers:\n- username: a\n  keyauth_credentials: [{key: ""}]\n'), fields: { consumers: [{ keyauth_credentials: [{ key: 'length must be at least 1' }] }] } },
  { desc: 'empty route path', config: yml('routes:\n- paths: [""]\n'), fields: { routes: [{ paths: ['length must be at least 1'] }] } },
  { desc: 'one_of comes before len_min', config: yml('services:\n- {host: x, protocol: ""}\n'), fields: { services: [{ protocol: /^expected one of: / }] } },
  { desc: 'uuid comes before len_min', config: yml('services:\n- {host: x, id: ""}\n'), fields: { services: [{ id: 'expected a valid UUID' }] } },
  { desc: 'empty plugin config string', config: yml('plugins:\n- name: request-termination\n  config: {message: ""}\n'), fields: { plugins: [{ config: { message: 'length must be at least 1' } }] } },
  // Kong's url typedef (LuaSocket's url.parse): a host first, then a scheme; any scheme goes.
  { desc: 'http-log endpoint without a host', config: yml('plugins:\n- name: http-log\n  config: {http_endpoint: "invalid::#//url"}\n'), fields: { plugins: [{ config: { http_endpoint: 'missing host in url' } }] }, path: 'plugins[0].config.http_endpoint' },
  { desc: 'http-log endpoint without a scheme', config: yml('plugins:\n- name: http-log\n  config: {http_endpoint: "//logs.example/x"}\n'), fields: { plugins: [{ config: { http_endpoint: 'missing scheme in url' } }] } },
  { desc: 'http-log endpoint empty', config: yml('plugins:\n- name: http-log\n  config: {http_endpoint: ""}\n'), fields: { plugins: [{ config: { http_endpoint: 'length must be at least 1' } }] } },
  { desc: 'http-log Host header', config: yml('plugins:\n- name: http-log\n  config: {http_endpoint: "http://l", headers: {HOST: a}}\n'), fields: { plugins: [{ config: { headers: "cannot contain 'Host' header" } }] }, path: 'plugins[0].config.headers.HOST' },
  { desc: 'http-log Content-Type header', config: yml('plugins:\n- name: http-log\n  config: {http_endpoint: "http://l", headers: {content-type: a}}\n'), fields: { plugins: [{ config: { headers: "cannot contain 'Content-Type' header" } }] } },
  { desc: 'http-log user info and an Authorization header', config: yml('plugins:\n- name: http-log\n  config: {http_endpoint: "http://u:p@l/x", headers: {Authorization: a}}\n'), fields: { plugins: [{ config: "specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed" }] }, path: 'plugins[0].config' },
  { desc: 'bad header name', config: yml('plugins:\n- name: http-log\n  config: {http_endpoint: "http://l", headers: {"x.y": a}}\n'), fields: { plugins: [{ config: { headers: "bad header name 'x.y', allowed characters are A-Z, a-z, 0-9, '_', and '-'" } }] } },
  { desc: 'a map stops at its first bad key, as Kong', config: yml('plugins:\n- name: http-log\n  config: {http_endpoint: "http://l", headers: {"a.b": a, "c.d": b}}\n'), fields: { plugins: [{ config: { headers: "bad header name 'a.b', allowed characters are A-Z, a-z, 0-9, '_', and '-'" } }] }, path: 'plugins[0].config.headers["a.b"]' },
  { desc: 'a route header named host', config: yml('routes:\n- headers: {Host: [a]}\n'), fields: { routes: [{ headers: "cannot contain 'host' header, which must be specified in the 'hosts' attribute" }] } },
  { desc: 'service path with a query character', config: yml('services:\n- {host: x, path: "/a?b"}\n'), fields: { services: [{ path: "invalid path: '/a?b' (characters outside of the reserved list of RFC 3986 found)" }] } },
  { desc: 'service path with a bad escape after a good one', config: yml('services:\n- {host: x, path: "/%%41"}\n'), fields: { services: [{ path: "invalid url-encoded value: '%__'" }] } },
  { desc: 'route path with a bad escape', config: yml('routes:\n- paths: ["/a%zz"]\n'), fields: { routes: [{ paths: ["invalid url-encoded value: '%zz'"] }] } },
  // A service `url` fills protocol, host, port and path from LuaSocket's parse; the fields complain.
  { desc: 'service url without a host', config: yml('services:\n- url: "http://"\n'), fields: { services: [{ host: 'required field missing' }] } },
  { desc: 'service url with a bad port', config: yml('services:\n- url: "http://h:x/p"\n'), fields: { services: [{ port: 'expected an integer' }] } },
  { desc: 'service url with an unknown scheme', config: yml('services:\n- url: "ftp://h"\n'), fields: { services: [{ protocol: /^expected one of: / }] } },
  // Route subschemas: the first protocol picks the rules.
  { desc: 'http route with no matcher', config: route('[http]'), fields: routeErr({ '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"] }) },
  { desc: 'http+https route with no matcher', config: route('[http, https]'), fields: routeErr({ '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"] }) },
  { desc: 'grpc route with no matcher', config: route('[grpc]'), fields: routeErr({ '@entity': ["must set one of 'hosts', 'headers', 'paths' when 'protocols' is 'grpc'"] }) },
  { desc: 'grpcs route with no matcher', config: route('[grpc, grpcs]'), fields: routeErr({ '@entity': ["must set one of 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'grpcs'"] }) },
  { desc: 'tcp route with no matcher', config: route('[tcp]'), fields: routeErr({ '@entity': ["must set one of 'sources', 'destinations', 'snis' when 'protocols' is 'tcp', 'tls' or 'udp'"] }) },
  { desc: 'tls+udp route with no matcher', config: route('[tls, udp]'), fields: routeErr({ '@entity': ["must set one of 'sources', 'destinations', 'snis' when 'protocols' is 'tcp', 'tls' or 'udp'"] }) },
  { desc: 'tls_passthrough route without snis', config: route('[tls_passthrough]', '    sources: [{ip: 10.0.0.1}]\n'), fields: routeErr({ '@entity': ["must set snis when 'protocols' is 'tls_passthrough'"] }) },
  { desc: 'tcp route with paths', config: route('[tcp]', '    paths: [/a]\n    sources: [{ip: 10.0.0.1}]\n'), fields: routeErr({ paths: "cannot set 'paths' when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'" }) },
  { desc: 'http route with sources', config: route('[http]', '    paths: [/a]\n    sources: [{ip: 10.0.0.1}]\n'), fields: routeErr({ sources: "cannot set 'sources' when 'protocols' is 'http' or 'https'" }) },
  { desc: 'grpc route with methods', config: route('[grpc]', '    paths: [/a]\n    methods: [GET]\n'), fields: routeErr({ methods: "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'" }) },
  { desc: 'snis on a plain http route', config: route('[http]', '    paths: [/a]\n    snis: [a.example]\n'), fields: routeErr({ snis: 'length must be 0', '@entity': ["'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'"] }), count: 2 },
  // Regex paths: Kong's PCRE dry run words the error.
  { desc: 'regex missing )', config: yml('routes:\n- paths: ["~/(foo"]\n'), fields: { routes: [{ paths: [`invalid regex: '/(foo' (PCRE returned: pcre2_compile() failed: missing closing parenthesis in "/(foo")`] }] } },
  { desc: 'regex unmatched )', config: yml('routes:\n- paths: ["~/foo)"]\n'), fields: { routes: [{ paths: [`invalid regex: '/foo)' (PCRE returned: pcre2_compile() failed: unmatched closing parenthesis in "/foo)")`] }] } },
  { desc: 'regex missing ]', config: yml('routes:\n- paths: ["~/[a"]\n'), fields: { routes: [{ paths: [`invalid regex: '/[a' (PCRE returned: pcre2_compile() failed: missing terminating ] for character class in "/[a")`] }] } },
  { desc: 'regex nothing to repeat', config: yml('routes:\n- paths: ["~/a|+b"]\n'), fields: { routes: [{ paths: [`invalid regex: '/a|+b' (PCRE returned: pcre2_compile() failed: quantifier does not follow a repeatable item in "/a|+b")`] }] } },
  { desc: 'regex bad range', config: yml('routes:\n- paths: ["~/[z-a]"]\n'), fields: { routes: [{ paths: [`invalid regex: '/[z-a]' (PCRE returned: pcre2_compile() failed: range out of order in character class in "/[z-a]")`] }] } },
  { desc: 'regex unknown escape', config: yml('routes:\n- paths: ["~/\\\\q"]\n'), fields: { routes: [{ paths: [`invalid regex: '/\\q' (PCRE returned: pcre2_compile() failed: unrecognized character follows \\ in "/\\q")`] }] } },
  { desc: 'regex lookbehind (PCRE takes it, the router does not)', config: yml('routes:\n- paths: ["~/(?<=a)b"]\n'), fields: { routes: [{ paths: [/^Router Expression failed validation: invalid regex '\/\(\?<=a\)b'/] }] } },
  // References: strings that name nothing, and records where Kong expects a primary key.
  { desc: 'credential of a missing consumer', config: yml('keyauth_credentials:\n- {key: k1, consumer: nobody}\n'), fields: { keyauth_credentials: { k1: ["invalid reference 'consumer: nobody' (no such entry in 'consumers')"] } }, path: 'keyauth_credentials[0].consumer' },
  { desc: 'route with an object service reference', config: yml('services:\n- {name: s, host: x}\nroutes:\n- paths: [/]\n  service: {name: s}\n'), fields: { routes: [{ service: { id: 'missing primary key' } }] }, path: 'routes[0].service.id' },
  { desc: 'plugin with an object consumer reference', config: yml('consumers:\n- username: c\nplugins:\n- name: cors\n  consumer: {username: c}\n'), fields: { plugins: [{ consumer: { id: 'missing primary key' } }] } },
  { desc: 'nested route naming another service', config: yml('services:\n- name: s\n  host: x\n  routes:\n  - paths: [/]\n    service: other\n'), fields: routeErr({ service: 'value must be null' }) },
  // decK-only top-level keys are not part of Kong's format: its loader calls them unknown.
  { desc: 'decK _info', config: yml('_info: {select_tags: [a]}\n'), fields: { _info: 'unknown field' }, path: '_info' },
  { desc: 'decK _workspace', config: yml('_workspace: default\n'), fields: { _workspace: 'unknown field' } },
  { desc: 'decK _konnect', config: yml('_konnect: {control_plane_name: cp}\n'), fields: { _konnect: 'unknown field' } },
  { desc: 'decK _plugin_configs', config: yml('_plugin_configs: {}\n'), fields: { _plugin_configs: 'unknown field' } },
]

t.test("invalid configs get Kong's messages in Kong's fields tree", async (t) => {
  for (const c of cases) {
    const err = await loadError(c.config)
    t.match(err.fields(), c.fields, c.desc)
    t.equal(err.reported.length, c.count ?? 1, `${c.desc}: ${c.count ?? 1} problem(s)`)
    if (c.path !== undefined) t.equal(err.located()[0]?.path, c.path, `${c.desc}: located at ${c.path}`)
    t.ok(err.located()[0]?.line, `${c.desc}: with a line`)
  }
})

t.test('a plugin on a missing route: keyed by its id, as plugins have no endpoint key', async (t) => {
  const err = await loadError(yml('plugins:\n- {name: cors, route: nope}\n'))
  const tree = err.fields() as { plugins: Record<string, string[]> }
  t.same(Object.values(tree.plugins), [["invalid reference 'route: nope' (no such entry in 'routes')"]])
  t.match(Object.keys(tree.plugins)[0], /^[0-9a-f-]{36}$/)
})

t.test("references, when Kong's first pass fails, are read as primary keys: its message, our explanation", async (t) => {
  const table: [string, string, unknown, string[]][] = [
    [
      'a basic-auth credential of a missing consumer (its password transformation always fails the first pass)',
      'consumers:\n- username: c\nbasicauth_credentials:\n- {consumer: nobody, username: u, password: p}\n',
      { basicauth_credentials: [{ '@entity': ["all or none of these fields must be set: 'password', 'consumer.id'"], consumer: { id: 'missing primary key' } }] },
      ["invalid reference 'consumer: nobody' (no such entry in 'consumers')"],
    ],
    [
      'a missing consumer in a config with another error',
      'services:\n- {name: "", host: x}\nkeyauth_credentials:\n- {key: k, consumer: nobody}\n',
      { services: [{ name: 'length must be at least 1' }], keyauth_credentials: [{ consumer: { id: 'missing primary key' } }] },
      ["invalid reference 'consumer: nobody' (no such entry in 'consumers')"],
    ],
    [
      'a plugin on a missing route beside a basic-auth credential',
      'consumers:\n- username: c\nbasicauth_credentials:\n- {consumer: c, username: u, password: p}\nplugins:\n- {name: cors, route: nope}\n',
      { plugins: [{ route: { id: 'missing primary key' } }] },
      ["invalid reference 'route: nope' (no such entry in 'routes')"],
    ],
  ]
  for (const [desc, body, fields, explanations] of table) {
    const err = await loadError(yml(body))
    t.same(err.fields(), fields, desc)
    t.same(err.located().flatMap((l) => (l.explanation === undefined ? [] : [l.explanation])), explanations, `${desc}: explained in details`)
    const flat = err.toKongBody(true).flattened_errors as { errors: { field?: string; message: string; explanation?: string }[] }[]
    t.ok(flat.some((e) => e.errors.some((x) => x.field?.endsWith('.id') && x.message === 'missing primary key' && x.explanation !== undefined)), `${desc}: flattened as Kong's <field>.id`)
  }
  await t.resolves(load(yml('consumers:\n- username: c\nbasicauth_credentials:\n- {consumer: c, username: u, password: p}\n')), 'a credential whose consumer exists loads')
})

t.test('what Kong accepts still loads', async (t) => {
  const ok: [string, string][] = [
    ['any url scheme (Kong checks scheme and host only)', yml('plugins:\n- name: http-log\n  config: {http_endpoint: "ftp://logs.example"}\n')],
    ['a host with user info and port', yml('plugins:\n- name: http-log\n  config: {http_endpoint: "https://u:p@logs.example:8443/x?y#z"}\n')],
    ['Content-LENGTH (Kong\'s pattern refuses only a lower-case n there)', yml('plugins:\n- name: http-log\n  config: {http_endpoint: "http://l", headers: {Content-LENGTH: "1"}}\n')],
    ['an empty redis password (len_min = 0 in Kong)', yml('plugins:\n- name: rate-limiting\n  config: {minute: 1, redis: {password: ""}}\n')],
    ['a top-level reference as {id}', yml('services:\n- {id: 0855b320-0dd2-547d-891d-601e9b38647f, host: x}\nroutes:\n- paths: [/]\n  service: {id: 0855b320-0dd2-547d-891d-601e9b38647f}\n')],
    ['a service url with IPv6 host, port, query and fragment', yml('services:\n- url: "https://[::1]:8443/a/b?q=1#f"\n')],
    ['a tls_passthrough route with snis', route('[tls_passthrough]', '    snis: [a.example]\n')],
  ]
  for (const [desc, config] of ok) await t.resolves(load(config), desc)
  const svc = (await load(yml('services:\n- url: "https://[::1]:8443/a/b?q=1#f"\n'))).entities.services?.[0]
  t.match(svc, { protocol: 'https', host: '::1', port: 8443, path: '/a/b' }, 'the url split as Kong splits it')
})

t.test('flattened errors carry the same Kong messages, per entity', async (t) => {
  const err = await loadError(yml('services:\n- {name: "", host: x}\nroutes:\n- paths: [/]\n  service: {name: s}\n_info: {}\n'))
  const body = err.toKongBody(true)
  t.same(body.fields, { _info: 'unknown field' }, 'non-entity errors stay in fields')
  t.match(body.flattened_errors, [
    { entity_type: 'service', errors: [{ type: 'field', field: 'name', message: 'length must be at least 1' }] },
    { entity_type: 'route', errors: [{ type: 'field', field: 'service.id', message: 'missing primary key' }] },
  ])
})

t.test("LuaSocket's url.parse, as Kong's url typedef reads it", async (t) => {
  const table: [string, { scheme?: string; userinfo?: string; host?: string; port?: string; path?: string }, string | undefined][] = [
    ['http://example.com/x', { scheme: 'http', host: 'example.com', path: '/x' }, undefined],
    ['invalid::#//url', { scheme: 'invalid', path: ':' }, 'missing host in url'],
    ['//example.com', { host: 'example.com' }, 'missing scheme in url'],
    ['example.com', { path: 'example.com' }, 'missing host in url'],
    ['http://[::1]:80/', { scheme: 'http', host: '::1', port: '80', path: '/' }, undefined],
    ['http://user:pw@h:1', { scheme: 'http', userinfo: 'user:pw', host: 'h', port: '1' }, undefined],
    ['http://h?q', { scheme: 'http', host: 'h?q' }, undefined],
    ['http:///path', { scheme: 'http', path: '/path' }, 'missing host in url'],
    ['http://#frag', { scheme: 'http' }, 'missing host in url'],
    ['https://u@[::1]:8443/a;p?q#f', { scheme: 'https', userinfo: 'u', host: '::1', port: '8443', path: '/a' }, undefined],
    ['h:443', { scheme: 'h', path: '443' }, 'missing host in url'],
    ['http://h:', { scheme: 'http', host: 'h', port: '' }, undefined],
  ]
  for (const [url, parts, message] of table) {
    t.same(parseSocketUrl(url), parts, url)
    t.equal(checkUrl(url), message, `${url}: ${message ?? 'valid'}`)
  }
})
