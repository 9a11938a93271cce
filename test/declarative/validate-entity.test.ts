import t from 'tap'
import { schemaViolationBody } from '../../src/declarative/schema-violation.js'
import { ENTITY_BY_NAME } from '../../src/declarative/schema/entities/index.js'
import type { EntitySchema } from '../../src/declarative/schema/types.js'
import { validateEntityInput } from '../../src/declarative/validate-entity.js'
import { bundledPluginSchema } from '../../src/plugins/registry.js'
import { selfSigned } from '../helpers/tls.js'

const schema = (name: string): EntitySchema => ENTITY_BY_NAME.get(name) as EntitySchema
const check = (entity: string, body: Record<string, unknown>) => validateEntityInput(schema(entity), body, bundledPluginSchema)
const SERVICE_ID = '5a3c6b0e-7f5b-4c6e-9d0a-2b1f3e4d5c6a'
const pem = selfSigned('rsa', ['example.com'])

/** Bodies the ingress controller, decK and Kong's own tests send, which Kong accepts. */
const valid: { desc: string; entity: string; body: Record<string, unknown> }[] = [
  { desc: 'a service by host (Kong test)', entity: 'services', body: { host: 'example.com' } },
  { desc: 'a service by url', entity: 'services', body: { name: 's', url: 'https://example.com:8443/api' } },
  {
    desc: "an ingress controller route, its service by id (never looked up)",
    entity: 'routes',
    body: {
      name: 'default.echo.echo.example.com.80',
      paths: ['/echo', '~/v1/(?<id>\\d+)$'],
      hosts: ['example.com'],
      protocols: ['http', 'https'],
      strip_path: false,
      preserve_host: true,
      regex_priority: 0,
      path_handling: 'v0',
      https_redirect_status_code: 426,
      request_buffering: true,
      response_buffering: true,
      tags: ['k8s-name:echo', 'k8s-namespace:default', 'k8s-kind:Ingress'],
      service: { id: SERVICE_ID },
    },
  },
  { desc: 'a KongPlugin (Kong test: key-auth)', entity: 'plugins', body: { name: 'key-auth', config: { key_names: ['foo', 'bar'], hide_credentials: true } } },
  { desc: 'a KongPlugin with protocols and enabled', entity: 'plugins', body: { name: 'rate-limiting', config: { minute: 5, policy: 'local' }, protocols: ['grpc', 'grpcs', 'http', 'https'], enabled: true } },
  { desc: 'a plugin without config takes its defaults', entity: 'plugins', body: { name: 'cors' } },
  { desc: 'a certificate held in a vault (its secret is read at load, not here)', entity: 'certificates', body: { cert: '{vault://env/tls-cert}', key: '{vault://env/tls-key}' } },
  { desc: 'a plugin endpoint held in a vault', entity: 'plugins', body: { name: 'http-log', config: { http_endpoint: '{vault://env/log-url}' } } },
  { desc: 'file-log with dotted custom field names (Kong test)', entity: 'plugins', body: { name: 'file-log', config: { path: 'tmp/test', custom_fields_by_lua: { new_field: 'return 123', 'request.headers.myheader': 'return nil' } } } },
  { desc: 'a plugin scoped to a route by id', entity: 'plugins', body: { name: 'cors', route: { id: SERVICE_ID } } },
  { desc: 'a consumer', entity: 'consumers', body: { username: 'alice', tags: ['a'] } },
  { desc: 'a key-auth credential', entity: 'keyauth_credentials', body: { key: 'secret', consumer: { id: SERVICE_ID } } },
  { desc: 'an upstream', entity: 'upstreams', body: { name: 'backend.internal', algorithm: 'consistent-hashing', hash_on: 'header', hash_on_header: 'x-user' } },
  { desc: 'a certificate with snis (Kong test)', entity: 'certificates', body: { cert: pem.cert, key: pem.key, snis: ['a', 'b', 'c'] } },
]

t.test('valid bodies have no problems', async (t) => {
  for (const c of valid) t.same(check(c.entity, c.body), [], c.desc)
})

/** Bodies Kong refuses, with the exact body it answers. */
const invalid: { desc: string; entity: string; body: Record<string, unknown>; expected: unknown }[] = [
  {
    desc: 'a certificate with an IP for an SNI (Kong test)',
    entity: 'certificates',
    body: { cert: pem.cert, key: pem.key, snis: ['120.0.9.32:90'] },
    expected: { code: 2, name: 'schema violation', message: 'schema violation (snis.1: must not be an IP)', fields: { snis: ['must not be an IP'] } },
  },
  {
    desc: 'an unknown config field of a plugin',
    entity: 'plugins',
    body: { name: 'key-auth', config: { keys: 'foo' } },
    expected: { code: 2, name: 'schema violation', message: 'schema violation (config.keys: unknown field)', fields: { config: { keys: 'unknown field' } } },
  },
  {
    desc: 'a plugin this node does not have',
    entity: 'plugins',
    body: { name: 'nope' },
    expected: {
      code: 2,
      name: 'schema violation',
      message: "schema violation (name: plugin 'nope' not enabled; add it to the 'plugins' configuration property)",
      fields: { name: "plugin 'nope' not enabled; add it to the 'plugins' configuration property" },
    },
  },
  {
    desc: 'a plugin without a name',
    entity: 'plugins',
    body: {},
    expected: { code: 2, name: 'schema violation', message: 'schema violation (name: required field missing)', fields: { name: 'required field missing' } },
  },
  {
    desc: 'key-auth scoped to a consumer',
    entity: 'plugins',
    body: { name: 'key-auth', consumer: { id: SERVICE_ID } },
    expected: { code: 2, name: 'schema violation', message: 'schema violation (consumer: value must be null)', fields: { consumer: 'value must be null' } },
  },
  {
    desc: 'a route: entity-level and element problems, counted, @entity first',
    entity: 'routes',
    body: { protocols: ['http'], paths: ['/ok', 'bad'], colour: 'red' },
    expected: {
      code: 2,
      name: 'schema violation',
      message: '2 schema violations (colour: unknown field; paths.2: should start with: / (fixed path) or ~/ (regex path))',
      fields: { colour: 'unknown field', paths: [null, 'should start with: / (fixed path) or ~/ (regex path)'] },
    },
  },
  {
    desc: 'a consumer with neither username nor custom_id',
    entity: 'consumers',
    body: {},
    expected: {
      code: 2,
      name: 'schema violation',
      message: "schema violation (at least one of these fields must be non-empty: 'custom_id', 'username')",
      fields: { '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"] },
    },
  },
  {
    desc: 'a reference by a malformed id',
    entity: 'routes',
    body: { paths: ['/'], service: { id: 'x', name: 'svc' } },
    expected: {
      code: 2,
      name: 'schema violation',
      message: '2 schema violations (service.id: expected a valid UUID; service.name: unknown field)',
      fields: { service: { id: 'expected a valid UUID', name: 'unknown field' } },
    },
  },
  {
    desc: 'a nested problem two levels down is shown as a Lua table, as Kong prints it',
    entity: 'upstreams',
    body: { name: 'u', healthchecks: { active: { timeout: -1, healthy: { successes: 300 } } } },
    expected: {
      code: 2,
      name: 'schema violation',
      message: 'schema violation (healthchecks.active: {\n  healthy = {\n    successes = "value should be between 0 and 255"\n  },\n  timeout = "value should be between 0 and 65535"\n})',
      fields: { healthchecks: { active: { healthy: { successes: 'value should be between 0 and 255' }, timeout: 'value should be between 0 and 65535' } } },
    },
  },
  {
    desc: "a config's entity check is listed under config.@entity",
    entity: 'plugins',
    body: { name: 'acl' },
    expected: {
      code: 2,
      name: 'schema violation',
      message: "schema violation (config.@entity: {\n  \"at least one of these fields must be non-empty: 'config.allow', 'config.deny'\"\n})",
      fields: { config: { '@entity': ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"] } },
    },
  },
  {
    desc: 'nested collections are not fields of a single entity',
    entity: 'services',
    body: { host: 'example.com', routes: [{ paths: ['/'] }] },
    expected: { code: 2, name: 'schema violation', message: 'schema violation (routes: unknown field)', fields: { routes: 'unknown field' } },
  },
  {
    desc: 'snis that are not a list',
    entity: 'certificates',
    body: { cert: pem.cert, key: pem.key, snis: 'a.com' },
    expected: { code: 2, name: 'schema violation', message: 'schema violation (snis: expected an array)', fields: { snis: 'expected an array' } },
  },
]

t.test("invalid bodies get Kong's schema violation body", async (t) => {
  for (const c of invalid) t.same(schemaViolationBody(check(c.entity, c.body)), c.expected, c.desc)
})

t.test('validation never writes to the body it is given', async (t) => {
  const body = { name: 'cors', config: { origins: ['*'] } }
  const before = JSON.stringify(body)
  check('plugins', body)
  t.equal(JSON.stringify(body), before)
})
