/**
 * Config schemas of acme, the serverless function plugins (pre-function, post-function) and
 * standard-webhooks: the defaults Kong fills, the deprecated names it still takes, and the
 * configs it refuses with its messages.
 */
import t from 'tap'
import { buildJsonSchema } from '../../src/declarative/json-schema.js'
import { BUNDLED_PLUGIN_SCHEMAS } from '../../src/plugins/registry.js'
import { checkPlugin, refusal } from '../helpers/plugin-config.js'

const REDIS = { host: null, port: 6379, timeout: 2000, username: null, password: null, database: 0, ssl: false, ssl_verify: false, server_name: null }
const KV = { https: false, host: null, port: null, kv_path: null, timeout: null, token: null }
const TOS = 'terms of service must be accepted, see https://letsencrypt.org/repository/'

const ACME_DEFAULTS = {
  account_email: 'example@example.com',
  account_key: null,
  api_uri: 'https://acme-v02.api.letsencrypt.org/directory',
  tos_accepted: false,
  eab_kid: null,
  eab_hmac_key: null,
  cert_type: 'rsa',
  rsa_key_size: 4096,
  renew_threshold_days: 14,
  domains: null,
  allow_any_domain: false,
  fail_backoff_minutes: 5,
  storage: 'shm',
  storage_config: {
    shm: { shm_name: 'kong' },
    kong: {},
    redis: { ...REDIS, extra_options: { namespace: '', scan_count: 10 } },
    consul: KV,
    vault: { ...KV, tls_verify: true, tls_server_name: null, auth_method: 'token', auth_path: null, auth_role: null, jwt_path: null },
  },
  preferred_chain: null,
  enable_ipv4_common_name: true,
}

checkPlugin(
  'acme',
  [
    { desc: 'an account email gets every default, every storage filled', config: { account_email: 'example@example.com' }, full: true, expect: ACME_DEFAULTS },
    { desc: 'another ACME server (Kong spec)', config: { account_email: 'example@example.com', api_uri: 'https://api.acme.org' }, expect: { api_uri: 'https://api.acme.org' } },
    { desc: "Let's Encrypt with its terms accepted (Kong spec)", config: { account_email: 'example@example.com', api_uri: 'https://acme-v02.api.letsencrypt.org', tos_accepted: true }, expect: { tos_accepted: true } },
    { desc: 'an account key with a key set (Kong spec)', config: { account_email: 'a@b.test', account_key: { key_id: '123', key_set: 'my-key-set' } }, expect: { account_key: { key_id: '123', key_set: 'my-key-set' } } },
    { desc: 'an account key without a key set (Kong spec)', config: { account_email: 'a@b.test', account_key: { key_id: '123' } }, expect: { account_key: { key_id: '123', key_set: null } } },
    { desc: 'redis storage with a host (Kong spec)', config: { account_email: 'a@b.test', storage: 'redis', storage_config: { redis: { host: 'localhost' } } }, expect: { storage_config: { redis: { host: 'localhost', port: 6379 } } } },
    { desc: 'domains with a wildcard label at either end', config: { account_email: 'a@b.test', domains: ['example.com', '*.example.com', 'example.*'] }, expect: { domains: ['example.com', '*.example.com', 'example.*'] } },
    {
      desc: 'the deprecated redis names move where Kong moves them',
      config: { account_email: 'a@b.test', storage_config: { redis: { auth: 'pw', ssl_server_name: 'r.test', namespace: 'ns', scan_count: 20 } } },
      expect: { storage_config: { redis: { password: 'pw', server_name: 'r.test', extra_options: { namespace: 'ns', scan_count: 20 } } } },
    },
    { desc: 'a deprecated redis name beside the new one, agreeing', config: { account_email: 'a@b.test', storage_config: { redis: { auth: 'pw', password: 'pw' } } }, expect: { storage_config: { redis: { password: 'pw' } } } },
  ],
  [
    { desc: 'no account email', config: {}, errors: { config: { account_email: 'required field missing' } } },
    { desc: 'an email without @ (Kong spec)', config: { account_email: 'notaemail', api_uri: 'https://api.acme.org' }, errors: { config: { account_email: 'invalid value: notaemail' } } },
    { desc: "Let's Encrypt staging without its terms accepted (Kong spec)", config: { account_email: 'example@example.com', api_uri: 'https://acme-staging-v02.api.letsencrypt.org' }, errors: { config: { tos_accepted: 'value must be true', '@entity': [TOS] } } },
    { desc: "Let's Encrypt without its terms accepted (Kong spec)", config: { account_email: 'example@example.com', api_uri: 'https://acme-v02.api.letsencrypt.org' }, errors: { config: { tos_accepted: 'value must be true', '@entity': [TOS] } } },
    {
      desc: 'redis storage without a host (Kong spec)',
      config: { account_email: 'example@example.com', storage: 'redis', storage_config: { redis: {} } },
      errors: { config: { storage_config: { redis: { host: 'required field missing' } }, '@entity': ["failed conditional validation given value of field 'config.storage'"] } },
    },
    { desc: 'an account key without its id', config: { account_email: 'a@b.test', account_key: { key_set: 's' } }, errors: { config: { account_key: { key_id: 'required field missing' } } } },
    { desc: 'an RSA size Kong does not offer', config: { account_email: 'a@b.test', rsa_key_size: 1024 }, errors: { config: { rsa_key_size: 'expected one of: 2048, 3072, 4096' } } },
    { desc: 'an unknown storage', config: { account_email: 'a@b.test', storage: 'disk' }, errors: { config: { storage: 'expected one of: kong, shm, redis, consul, vault' } } },
    { desc: 'an API URI without a scheme', config: { account_email: 'a@b.test', api_uri: 'acme.test/directory' }, errors: { config: { api_uri: 'missing host in url' } } },
    { desc: 'two wildcards in a domain', config: { account_email: 'a@b.test', domains: ['*.example.*'] }, errors: { config: { domains: ['invalid wildcard: must have at most one wildcard'] } } },
    { desc: 'a wildcard inside a domain', config: { account_email: 'a@b.test', domains: ['a.*.example.com'] }, errors: { config: { domains: ['invalid wildcard: must be placed at leftmost or rightmost label'] } } },
    { desc: 'a shared memory zone Kong does not declare', config: { account_email: 'a@b.test', storage_config: { shm: { shm_name: 'mine' } } }, errors: { config: { storage_config: { shm: { shm_name: 'failed validating: mine' } } } } },
    {
      desc: 'a namespace under the prefix the plugin keeps for itself',
      config: { account_email: 'a@b.test', storage_config: { redis: { extra_options: { namespace: 'kong_acme:cert_key:x' } } } },
      errors: { config: { storage_config: { redis: { extra_options: { namespace: "namespace can't be prefixed with reserved word: kong_acme:cert_key:" } } } } },
    },
    {
      desc: 'a deprecated redis name that disagrees with the new one',
      config: { account_email: 'a@b.test', storage_config: { redis: { namespace: 'a', extra_options: { namespace: 'b' } } } },
      errors: { config: { storage_config: { redis: { namespace: 'both deprecated and new field are used but their values mismatch: namespace = a vs extra_options.namespace = b' } } } },
    },
  ],
)

t.test('acme is a global plugin only', async (t) => {
  const route = '  route: r\nservices:\n- name: s\n  url: http://up.test\n  routes:\n  - name: r\n    paths: [/]\n'
  t.same(await refusal('acme', { account_email: 'a@b.test' }, route), { route: 'value must be null' }, 'not on a route')
  const service = '  service: s\nservices:\n- name: s\n  url: http://up.test\n'
  t.same(await refusal('acme', { account_email: 'a@b.test' }, service), { service: 'value must be null' }, 'not on a service')
  const consumer = '  consumer: c\nconsumers:\n- username: c\n'
  t.same(await refusal('acme', { account_email: 'a@b.test' }, consumer), { consumer: 'value must be null' }, 'not on a consumer')
})

const PHASES = ['certificate', 'rewrite', 'access', 'header_filter', 'body_filter', 'log']
const NO_PHASE = `at least one of these fields must be non-empty: ${PHASES.map((p) => `'config.${p}'`).join(', ')}`

for (const name of ['pre-function', 'post-function']) {
  checkPlugin(
    name,
    [
      {
        desc: 'one phase gets the others empty',
        config: { access: ['kong.log.err("x")'] },
        full: true,
        expect: { certificate: [], rewrite: [], access: ['kong.log.err("x")'], header_filter: [], body_filter: [], log: [] },
      },
      { desc: 'several chunks in several phases', config: { rewrite: ['a()', 'b()'], log: ['c()'] }, expect: { rewrite: ['a()', 'b()'], log: ['c()'] } },
    ],
    [
      { desc: 'no phase at all', config: {}, errors: { config: { '@entity': [NO_PHASE] } } },
      { desc: 'only empty phases', config: { access: [], log: [] }, errors: { config: { '@entity': [NO_PHASE] } } },
      { desc: 'an unknown phase', config: { balancer: ['x()'], access: ['y()'] }, errors: { config: { balancer: 'unknown field' } } },
      { desc: 'code that is not a string', config: { access: [42] }, errors: { config: { access: ['expected a string'] } } },
    ],
  )
}

checkPlugin(
  'standard-webhooks',
  [
    { desc: 'a secret gets the default tolerance', config: { secret_v1: 'whsec_abc' }, full: true, expect: { secret_v1: 'whsec_abc', tolerance_second: 300 } },
    { desc: 'no tolerance beyond the moment', config: { secret_v1: 'whsec_abc', tolerance_second: 0 }, expect: { tolerance_second: 0 } },
  ],
  [
    { desc: 'no secret', config: {}, errors: { config: { secret_v1: 'required field missing' } } },
    { desc: 'a negative tolerance', config: { secret_v1: 's', tolerance_second: -1 }, errors: { config: { tolerance_second: 'value must be greater than -1' } } },
    { desc: 'a fractional tolerance', config: { secret_v1: 's', tolerance_second: 1.5 }, errors: { config: { tolerance_second: 'expected an integer' } } },
  ],
)

t.test('the JSON Schema lists deprecated names as deprecated properties', async (t) => {
  const schema = buildJsonSchema(BUNDLED_PLUGIN_SCHEMAS, 'test') as { $defs: { plugins: { allOf: { if: { properties: { name: { const: string } } }; then: { properties: { config: { properties: Record<string, Record<string, unknown>> } } } }[] } } }
  const config = (name: string): Record<string, Record<string, unknown>> => {
    const entry = schema.$defs.plugins.allOf.find((a) => a.if.properties.name.const === name)
    return entry?.then.properties.config.properties ?? {}
  }
  t.match(config('response-ratelimiting').redis_host, { type: 'string', deprecated: true }, 'response-ratelimiting redis_host')
  t.match(config('session').cookie_lifetime, { type: 'number', deprecated: true }, 'session cookie_lifetime')
  const storage = config('acme').storage_config as { properties: { redis: { properties: Record<string, unknown> } } }
  t.match(storage.properties.redis.properties.auth, { type: 'string', deprecated: true }, 'acme storage_config.redis.auth')
})
