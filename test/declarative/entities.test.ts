import t from 'tap'
import { load, loadError, yml } from '../helpers/load.js'

/** Each case: a config body and the nested `fields` tree Kong reports for it. */
const invalid: { desc: string; body: string; fields: unknown }[] = [
  { desc: 'service without host', body: 'services:\n- name: s\n', fields: { services: [{ host: 'required field missing' }] } },
  { desc: 'service port out of range', body: 'services:\n- host: x\n  port: 70000\n', fields: { services: [{ port: 'value should be between 0 and 65535' }] } },
  { desc: 'service host with a port', body: 'services:\n- host: "x.com:80"\n', fields: { services: [{ host: 'must not have a port' }] } },
  { desc: 'service bad protocol', body: 'services:\n- host: x\n  protocol: ftp\n', fields: { services: [{ protocol: 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp' }] } },
  { desc: 'service string port', body: 'services:\n- host: x\n  port: "80"\n', fields: { services: [{ port: 'expected an integer' }] } },
  { desc: 'service unknown field', body: 'services:\n- host: x\n  colour: red\n', fields: { services: [{ colour: 'unknown field' }] } },
  { desc: 'service bad name', body: 'services:\n- host: x\n  name: "a b"\n', fields: { services: [{ name: "invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~" }] } },
  { desc: 'service path with empty segment', body: 'services:\n- host: x\n  path: /a//b\n', fields: { services: [{ path: 'must not have empty segments' }] } },
  { desc: 'tls_verify on http service', body: 'services:\n- host: x\n  tls_verify: true\n', fields: { services: [{ tls_verify: 'value must be null', '@entity': ["failed conditional validation given value of field 'protocol'"] }] } },
  { desc: 'service bad url (Kong fills the fields from what LuaSocket finds and lets them complain)', body: 'services:\n- url: "not a url"\n', fields: { services: [{ host: 'required field missing', path: 'should start with: /' }] } },
  { desc: 'route without matchers', body: 'routes:\n- name: r\n', fields: { routes: [{ '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"] }] } },
  { desc: 'http-only route without matchers', body: 'routes:\n- protocols: [http]\n', fields: { routes: [{ '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"] }] } },
  { desc: 'route path not starting with slash', body: 'routes:\n- paths: [foo]\n', fields: { routes: [{ paths: ['should start with: / (fixed path) or ~/ (regex path)'] }] } },
  { desc: 'route non-normalized path', body: 'routes:\n- paths: [/a/../b]\n', fields: { routes: [{ paths: ["non-normalized path, consider use '/b' instead"] }] } },
  { desc: 'route invalid regex', body: 'routes:\n- paths: ["~/regex.+("]\n', fields: { routes: [{ paths: [/^invalid regex: '\/regex\.\+\(' \(PCRE returned: /] }] } },
  { desc: 'route two wildcards', body: 'routes:\n- hosts: ["*.a.*"]\n', fields: { routes: [{ hosts: ['invalid wildcard: must have at most one wildcard'] }] } },
  { desc: 'route wildcard in the middle', body: 'routes:\n- hosts: ["a.*.com"]\n', fields: { routes: [{ hosts: ['invalid wildcard: must be placed at leftmost or rightmost label'] }] } },
  { desc: 'route lower-case method', body: 'routes:\n- methods: [get]\n', fields: { routes: [{ methods: ['invalid value: get'] }] } },
  { desc: 'route host header', body: 'routes:\n- headers: {Host: [a]}\n  paths: [/]\n', fields: { routes: [{ headers: "cannot contain 'host' header, which must be specified in the 'hosts' attribute" }] } },
  { desc: 'route snis on http', body: 'routes:\n- protocols: [http]\n  snis: [a.com]\n  paths: [/]\n', fields: { routes: [{ snis: 'length must be 0', '@entity': ["'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'"] }] } },
  { desc: 'route sources on http', body: 'routes:\n- sources: [{ip: 10.0.0.1}]\n  paths: [/]\n', fields: { routes: [{ sources: "cannot set 'sources' when 'protocols' is 'http' or 'https'" }] } },
  { desc: 'route mixed protocol groups', body: 'routes:\n- protocols: [http, tcp]\n  paths: [/]\n', fields: { routes: [{ protocols: /^these sets are mutually exclusive/ }] } },
  { desc: 'route bad redirect code', body: 'routes:\n- paths: [/]\n  https_redirect_status_code: 200\n', fields: { routes: [{ https_redirect_status_code: 'expected one of: 426, 301, 302, 307, 308' }] } },
  { desc: 'consumer without username or custom_id', body: 'consumers:\n- tags: [a]\n', fields: { consumers: [{ '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"] }] } },
  { desc: 'consumer bad tag', body: 'consumers:\n- username: u\n  tags: ["a,b"]\n', fields: { consumers: [{ tags: ["invalid tag 'a,b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences"] }] } },
  { desc: 'unknown plugin', body: 'plugins:\n- name: nope\n', fields: { plugins: [{ name: "plugin 'nope' not enabled; add it to the 'plugins' configuration property" }] } },
  { desc: 'plugin config field type', body: 'plugins:\n- name: key-auth\n  config: {hide_credentials: maybe}\n', fields: { plugins: [{ config: { hide_credentials: 'expected a boolean' } }] } },
  { desc: 'plugin unknown config field', body: 'plugins:\n- name: cors\n  config: {origin: x}\n', fields: { plugins: [{ config: { origin: 'unknown field' } }] } },
  { desc: 'key-auth scoped to a consumer', body: 'consumers:\n- username: u\n  plugins:\n  - name: key-auth\n', fields: { consumers: [{ plugins: [{ consumer: 'value must be null' }] }] } },
  { desc: 'acl with neither allow nor deny', body: 'plugins:\n- name: acl\n', fields: { plugins: [{ config: { '@entity': ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"] } }] } },
  { desc: 'rate-limiting ordering', body: 'plugins:\n- name: rate-limiting\n  config: {minute: 3, hour: 2}\n', fields: { plugins: [{ config: { '@entity': ['The limit for hour(2.0) cannot be lower than the limit for minute(3.0)'] } }] } },
  { desc: 'upstream named by ip', body: 'upstreams:\n- name: 10.0.0.1\n', fields: { upstreams: [{ name: "Invalid name ('10.0.0.1'); no ip addresses allowed" }] } },
  { desc: 'upstream named with a port', body: 'upstreams:\n- name: "a.com:80"\n', fields: { upstreams: [{ name: "Invalid name ('a.com:80'); no port allowed" }] } },
  { desc: 'upstream header hashing without header', body: 'upstreams:\n- name: u\n  hash_on: header\n', fields: { upstreams: [{ hash_on_header: 'required field missing' }] } },
  { desc: 'target weight out of range', body: 'upstreams:\n- name: u\n  targets: [{target: "a.com", weight: 70000}]\n', fields: { upstreams: [{ targets: [{ weight: 'value should be between 0 and 65535' }] }] } },
  { desc: 'target parent mismatch', body: 'upstreams:\n- name: u\n  targets: [{target: "a.com", upstream: other}]\n', fields: { upstreams: [{ targets: [{ upstream: 'value must be null' }] }] } },
  { desc: 'nested plugin with another scope', body: 'services:\n- host: x\n  plugins:\n  - name: cors\n    route: r\n', fields: { services: [{ plugins: [{ route: 'value must be null' }] }] } },
  { desc: 'certificate that does not parse', body: 'certificates:\n- cert: nope\n  key: nope\n', fields: { certificates: [{ cert: /^invalid certificate: /, key: /^invalid key: / }] } },
  { desc: 'basic-auth without password', body: 'consumers:\n- username: u\n  basicauth_credentials: [{username: a}]\n', fields: { consumers: [{ basicauth_credentials: [{ password: 'required field missing' }] }] } },
  { desc: 'acl without group', body: 'consumers:\n- username: u\n  acls: [{}]\n', fields: { consumers: [{ acls: [{ group: 'required field missing' }] }] } },
  { desc: 'collection that is not an array', body: 'services: {host: x}\n', fields: { services: 'expected an array' } },
  { desc: 'unknown top-level key', body: 'abnormal_extra_field: 1\n', fields: { abnormal_extra_field: 'unknown field' } },
  { desc: 'entity that is not a record', body: 'services: [5]\n', fields: { services: ['expected a record'] } },
  { desc: 'bad _comment', body: 'services:\n- host: x\n  _comment: [1]\n', fields: { services: [{ _comment: 'expected a string' }] } },
]

t.test('invalid entities are reported with Kong\'s messages at Kong\'s keys', async (t) => {
  for (const c of invalid) {
    const err = await loadError(yml(c.body))
    t.match(err.fields(), c.fields, c.desc)
  }
})

t.test('references, duplicates and unique fields after validation', async (t) => {
  const cases = [
    {
      desc: 'unknown service reference keyed by route name',
      body: 'routes:\n- name: my-route-1\n  paths: [/]\n  service: nope\n',
      fields: { routes: { 'my-route-1': ["invalid reference 'service: nope' (no such entry in 'services')"] } },
    },
    {
      desc: 'reference by id object',
      body: 'routes:\n- name: r\n  paths: [/]\n  service: {id: 769b2d9e-0000-4000-8000-000000000000}\n',
      fields: { routes: { r: [`invalid reference 'service: {"id":"769b2d9e-0000-4000-8000-000000000000"}' (no such entry in 'services')`] } },
    },
    {
      desc: 'duplicate service name',
      body: 'services:\n- name: a\n  host: x\n- name: a\n  host: y\n',
      fields: { services: [null, "uniqueness violation: 'services' entity with name set to 'a' already declared"] },
    },
    {
      desc: 'duplicate custom_id keyed by username',
      body: 'consumers:\n- username: foo\n  custom_id: conflict\n- username: bar\n  custom_id: conflict\n',
      fields: { consumers: { bar: "uniqueness violation: 'consumers' entity with custom_id set to 'conflict' already declared" } },
    },
    {
      desc: 'two identical global plugins',
      body: 'plugins:\n- name: key-auth\n- name: key-auth\n',
      fields: { plugins: [null, "uniqueness violation: 'plugins' entity with primary key set to '6b4f38d1-e026-540b-a5ea-8634739dd2a7' already declared"] },
    },
  ]
  for (const c of cases) t.match((await loadError(yml(c.body))).fields(), c.fields, c.desc)
})

t.test('defaults, shorthands and normalization', async (t) => {
  const s = await load(
    yml(`services:
- name: s
  url: https://example.com:8000/hello/world
- name: plain
  host: example.org
  protocol: https
  routes:
  - name: r
    paths: [/p]
upstreams:
- name: u
  hash_on: ip
  targets: [{target: 10.20.30.40}, {target: "::1"}]
plugins:
- name: key-auth
consumers:
- username: u
  basicauth_credentials: [{username: bob, password: secret}]
`),
  )
  const svc = s.entities.services?.find((x) => x.name === 's')
  t.match(svc, { protocol: 'https', host: 'example.com', port: 8000, path: '/hello/world' }, 'url shorthand expands')
  const plain = s.entities.services?.find((x) => x.name === 'plain')
  t.match(plain, { port: 80, retries: 5, connect_timeout: 60000, enabled: true, path: null, tags: null }, 'service defaults, port 80 even for https')
  t.match(s.entities.routes?.[0], { protocols: ['http', 'https'], strip_path: true, preserve_host: false, regex_priority: 0, path_handling: 'v0', https_redirect_status_code: 426, request_buffering: true, response_buffering: true }, 'route defaults')
  t.match(s.entities.upstreams?.[0], { algorithm: 'consistent-hashing', slots: 10000, healthchecks: { threshold: 0, active: { healthy: { http_statuses: [200, 302] } } } }, 'upstream defaults and hash_on coupling')
  t.same(s.entities.targets?.map((x) => x.target).sort(), ['10.20.30.40:8000', '[::1]:8000'], 'targets get the default port')
  t.match(s.entities.plugins?.[0], { enabled: true, protocols: ['grpc', 'grpcs', 'http', 'https'], config: { key_names: ['apikey'], hide_credentials: false } }, 'plugin defaults')
  const cred = s.entities.basicauth_credentials?.[0]
  t.not(cred?.password, 'secret', 'password is hashed with _transform')
  t.match(cred?.password, /^[0-9a-f]{40}$/, 'as sha1 hex')
  t.ok(Object.isFrozen(s.entities.services), 'the snapshot is frozen')
  t.type(svc?.created_at, 'number', 'created_at filled')
})

t.test('_transform: false keeps passwords as given; _comment and _ignore are dropped', async (t) => {
  const s = await load(`_format_version: "3.0"\n_transform: false\n_comment: top\nconsumers:\n- username: u\n  _comment: hi\n  _ignore: [1]\n  basicauth_credentials: [{username: bob, password: x}]\n`)
  t.equal(s.entities.basicauth_credentials?.[0]?.password, 'x')
  t.notOk('_comment' in (s.entities.consumers?.[0] ?? {}), '_comment not stored')
})

t.test('format 1.1 and 2.1 migrate route paths', async (t) => {
  const s = await load('_format_version: "1.1"\nroutes:\n- name: a\n  paths: ["/regex.+", "/plain", "/h%65llo"]\n')
  t.same(s.entities.routes?.[0]?.paths, ['~/regex.+', '/plain', '/hello'])
  t.equal(s.formatVersion, '3.0')
  const err = await loadError('_format_version: "2.1"\nroutes:\n- name: a\n  paths: ["/regex.+("]\n')
  t.match(err.fields(), { routes: [{ paths: [/invalid regex: '\/regex\.\+\('/] }] })
})

t.test('_format_version rules', async (t) => {
  t.match((await loadError('services: []\n')).fields(), { _format_version: 'required field missing' })
  t.match((await loadError('_format_version: 1.1\n')).fields(), { _format_version: 'expected a string' })
  t.match((await loadError('_format_version: "4.0"\n')).fields(), { _format_version: 'expected one of: 1.1, 2.1, 3.0' })
})

t.test('nested children may name their own parent', async (t) => {
  const s = await load(yml('services:\n- name: s\n  host: x\n  routes:\n  - name: r\n    service: s\n    paths: [/]\n'))
  t.equal(s.entities.routes?.[0]?.service && (s.entities.routes[0].service as { id: string }).id, s.entities.services?.[0]?.id)
})

t.test('top-level references resolve by name or id', async (t) => {
  const s = await load(
    yml(`services:
- name: s
  host: x
routes:
- name: r
  service: s
  paths: [/]
consumers:
- username: u
keyauth_credentials:
- consumer: u
  key: k
`),
  )
  t.same(s.entities.routes?.[0]?.service, { id: s.entities.services?.[0]?.id })
  t.same(s.entities.keyauth_credentials?.[0]?.consumer, { id: s.entities.consumers?.[0]?.id })
})

t.test('yaml aliases are copied, not shared (one plugin reused in two services)', async (t) => {
  const s = await load(
    yml(`services:
- name: a
  host: a
  plugins: &p
  - name: cors
  - name: key-auth
- name: b
  host: b
  plugins: *p
`),
  )
  t.equal(s.entities.plugins?.length, 4, 'four separate plugins')
})
