/**
 * The tracing (zipkin, opentelemetry) and serverless (aws-lambda, azure-functions) plugins'
 * config schemas: Kong's defaults, its shorthand, its plugin-level checks and its refusals.
 */
import t from 'tap'
import { buildJsonSchema } from '../../src/declarative/json-schema.js'
import { BUNDLED_PLUGIN_SCHEMAS } from '../../src/plugins/registry.js'
import { QUEUE, loadedPlugin, refusal } from '../helpers/plugin-config.js'

// Vault references resolve at load: the env vault reads this variable.
process.env.AWS_KEY = 'secret-from-env'

const OTEL_DEFAULTS = {
  traces_endpoint: 'http://otel.test:4318/v1/traces',
  logs_endpoint: null,
  headers: null,
  resource_attributes: null,
  queue: { ...QUEUE, max_batch_size: 200 },
  batch_span_count: null,
  batch_flush_delay: null,
  connect_timeout: 1000,
  send_timeout: 5000,
  read_timeout: 5000,
  http_response_header_for_traceid: null,
  header_type: 'preserve',
  sampling_rate: null,
  propagation: { extract: null, clear: null, inject: null, default_format: 'w3c' },
}

/** Each plugin's smallest valid config and the whole config Kong stores for it. */
const DEFAULTS: { name: string; config: Record<string, unknown>; expect: Record<string, unknown> }[] = [
  {
    name: 'zipkin',
    config: {},
    expect: {
      local_service_name: 'kong',
      http_endpoint: null,
      sample_ratio: 0.001,
      default_service_name: null,
      include_credential: true,
      traceid_byte_count: 16,
      header_type: 'preserve',
      default_header_type: 'b3',
      tags_header: 'Zipkin-Tags',
      static_tags: null,
      http_span_name: 'method',
      connect_timeout: 2000,
      send_timeout: 5000,
      read_timeout: 5000,
      http_response_header_for_traceid: null,
      phase_duration_flavor: 'annotations',
      queue: QUEUE,
      propagation: { extract: null, clear: null, inject: null, default_format: 'b3' },
    },
  },
  { name: 'opentelemetry', config: { traces_endpoint: 'http://otel.test:4318/v1/traces' }, expect: OTEL_DEFAULTS },
  {
    name: 'aws-lambda',
    config: {},
    expect: {
      timeout: 60000,
      keepalive: 60000,
      aws_key: null,
      aws_secret: null,
      aws_assume_role_arn: null,
      aws_role_session_name: 'kong',
      aws_sts_endpoint_url: null,
      aws_region: null,
      function_name: null,
      qualifier: null,
      invocation_type: 'RequestResponse',
      log_type: 'Tail',
      host: null,
      port: 443,
      disable_https: false,
      unhandled_status: null,
      forward_request_method: false,
      forward_request_uri: false,
      forward_request_headers: false,
      forward_request_body: false,
      is_proxy_integration: false,
      awsgateway_compatible: false,
      proxy_url: null,
      skip_large_bodies: true,
      base64_encode_body: true,
      aws_imds_protocol_version: 'v1',
      empty_arrays_mode: 'legacy',
    },
  },
  {
    name: 'azure-functions',
    config: { appname: 'app', functionname: 'fn' },
    expect: {
      timeout: 600000,
      keepalive: 60000,
      https: true,
      https_verify: false,
      apikey: null,
      clientid: null,
      appname: 'app',
      hostdomain: 'azurewebsites.net',
      routeprefix: 'api',
      functionname: 'fn',
    },
  },
]

t.test('the smallest valid configs get every default Kong fills', async (t) => {
  for (const c of DEFAULTS) {
    const plugin = await loadedPlugin(c.name, c.config)
    t.same(plugin?.config, c.expect, `${c.name}: config`)
    t.same(plugin?.protocols, ['grpc', 'grpcs', 'http', 'https'], `${c.name}: default protocols`)
  }
})

t.test("opentelemetry's deprecated endpoint stands for traces_endpoint", async (t) => {
  const aliased = await loadedPlugin('opentelemetry', { endpoint: 'http://otel.test:4318/v1/traces' })
  t.same(aliased?.config, OTEL_DEFAULTS, 'the alias fills traces_endpoint and is not stored')
  const both = await loadedPlugin('opentelemetry', { endpoint: 'http://old.test/v1/traces', traces_endpoint: 'http://new.test/v1/traces' })
  t.equal((both?.config as Record<string, unknown>).traces_endpoint, 'http://new.test/v1/traces', 'the real field wins over the deprecated alias')
  t.same(await refusal('opentelemetry', { endpoint: 'otel.test:4318' }), { config: { endpoint: 'missing host in url' } }, 'the alias is checked as a URL')
  t.same(await refusal('opentelemetry', { endpoint: 5 }), { config: { endpoint: 'expected a string' } }, 'the alias is checked as a string')
})

t.test("the editors' JSON Schema accepts the alias", async (t) => {
  type Branch = { if: { properties: { name: { const: string } } }; then: { properties: { config: { properties: Record<string, unknown> } } } }
  const schema = buildJsonSchema(BUNDLED_PLUGIN_SCHEMAS, 'test') as { $defs: { plugins: { allOf: Branch[] } } }
  const otel = schema.$defs.plugins.allOf.find((b) => b.if.properties.name.const === 'opentelemetry')
  const properties = otel?.then.properties.config.properties ?? {}
  t.match(properties.endpoint, { type: 'string' }, 'endpoint is described')
  t.ok(properties.traces_endpoint, 'next to the real field')
})

t.test('given values are kept', async (t) => {
  const cases: { name: string; config: Record<string, unknown>; check: Record<string, unknown> }[] = [
    {
      name: 'zipkin',
      config: { http_endpoint: 'http://zipkin.test:9411/api/v2/spans', static_tags: [{ name: 'env', value: 'prod' }], propagation: { extract: ['b3', 'w3c'], inject: ['preserve'], clear: ['x-trace'], default_format: 'b3' }, connect_timeout: 0 },
      check: { static_tags: [{ name: 'env', value: 'prod' }], propagation: { extract: ['b3', 'w3c'], inject: ['preserve'], clear: ['x-trace'], default_format: 'b3' }, connect_timeout: 0 },
    },
    {
      name: 'opentelemetry',
      config: { logs_endpoint: 'https://otel.test/v1/logs', headers: { 'X-Auth': 'token' }, resource_attributes: { 'service.name': 'edge' }, sampling_rate: 0.25 },
      check: { traces_endpoint: null, logs_endpoint: 'https://otel.test/v1/logs', headers: { 'X-Auth': 'token' }, resource_attributes: { 'service.name': 'edge' }, sampling_rate: 0.25 },
    },
    {
      name: 'aws-lambda',
      config: { aws_key: 'k', aws_secret: 's', aws_region: 'us-east-1', function_name: 'fn', proxy_url: 'http://squid:3128', unhandled_status: 412 },
      check: { aws_key: 'k', aws_secret: 's', aws_region: 'us-east-1', function_name: 'fn', proxy_url: 'http://squid:3128', unhandled_status: 412 },
    },
    { name: 'aws-lambda', config: { aws_key: '{vault://env/aws-key}', aws_secret: '{vault://env/aws-key}' }, check: { aws_key: 'secret-from-env', aws_secret: 'secret-from-env' } },
  ]
  for (const c of cases) t.match((await loadedPlugin(c.name, c.config))?.config, c.check, c.name)
})

const HTTP_ONLY = 'expected one of: grpc, grpcs, http, https'

/** Configs Kong refuses, with the error tree it gives for the plugin. */
const REFUSED: { desc: string; name: string; config: Record<string, unknown>; entity?: Record<string, unknown>; fields: unknown }[] = [
  {
    desc: 'Kong spec: repeated static tags',
    name: 'zipkin',
    config: { http_endpoint: 'http://example.dev', static_tags: [{ name: 'foo', value: 'bar' }, { name: 'foo', value: 'baz' }] },
    fields: { config: { static_tags: 'repeated tags are not allowed: foo' } },
  },
  {
    desc: 'a static tag the plugin sets itself',
    name: 'zipkin',
    config: { static_tags: [{ name: 'http.method', value: 'x' }] },
    fields: {
      config: {
        static_tags: [
          {
            name: 'must not be one of: error, http.method, http.path, http.status_code, kong.balancer.state, kong.balancer.try, kong.consumer, kong.credential, kong.node.id, kong.route, kong.service, lc, peer.hostname',
          },
        ],
      },
    },
  },
  { desc: 'endpoint without a scheme', name: 'zipkin', config: { http_endpoint: '//zipkin.test/api' }, fields: { config: { http_endpoint: 'missing scheme in url' } } },
  { desc: 'endpoint without a host', name: 'zipkin', config: { http_endpoint: 'http:/zipkin' }, fields: { config: { http_endpoint: 'missing host in url' } } },
  { desc: 'trace id size', name: 'zipkin', config: { traceid_byte_count: 12 }, fields: { config: { traceid_byte_count: 'expected one of: 8, 16' } } },
  { desc: 'sample ratio above 1', name: 'zipkin', config: { sample_ratio: 1.5 }, fields: { config: { sample_ratio: 'value should be between 0 and 1' } } },
  { desc: 'negative timeout', name: 'zipkin', config: { read_timeout: -1 }, fields: { config: { read_timeout: 'value should be between 0 and 2147483646' } } },
  {
    desc: 'b3-single cannot be extracted',
    name: 'zipkin',
    config: { propagation: { extract: ['b3-single'], default_format: 'b3' } },
    fields: { config: { propagation: { extract: ['expected one of: w3c, b3, jaeger, ot, datadog, aws, gcp, instana'] } } },
  },
  {
    desc: 'propagation given without its default format',
    name: 'zipkin',
    config: { propagation: { inject: ['w3c'] } },
    fields: { config: { propagation: { default_format: 'required field missing' } } },
  },
  {
    desc: 'a cleared header with a bad name',
    name: 'zipkin',
    config: { propagation: { clear: ['x trace'], default_format: 'w3c' } },
    fields: { config: { propagation: { clear: ["bad header name 'x trace', allowed characters are A-Z, a-z, 0-9, '_', and '-'"] } } },
  },
  {
    desc: 'no endpoint at all',
    name: 'opentelemetry',
    config: {},
    fields: { config: { '@entity': ["at least one of these fields must be non-empty: 'traces_endpoint', 'logs_endpoint'"] } },
  },
  {
    desc: 'Kong spec: empty resource attribute',
    name: 'opentelemetry',
    config: { endpoint: 'http://example.dev', resource_attributes: { foo: '' } },
    fields: { config: { resource_attributes: 'length must be at least 1' } },
  },
  {
    desc: 'non-string resource attribute',
    name: 'opentelemetry',
    config: { endpoint: 'http://example.dev', resource_attributes: { foo: 1 } },
    fields: { config: { resource_attributes: 'expected a string' } },
  },
  { desc: 'stream protocols', name: 'opentelemetry', config: { endpoint: 'http://example.dev' }, entity: { protocols: ['http', 'tcp'] }, fields: { protocols: [null, HTTP_ONLY] } },
  {
    desc: 'Kong spec: aws_secret without aws_key',
    name: 'aws-lambda',
    config: { aws_secret: 'xx', aws_region: 'us-east-1', function_name: 'my-function' },
    fields: { '@entity': ["all or none of these fields must be set: 'config.aws_key', 'config.aws_secret'"] },
  },
  {
    desc: 'Kong spec: aws_key without aws_secret',
    name: 'aws-lambda',
    config: { aws_key: 'xx', function_name: 'my-function' },
    fields: { '@entity': ["all or none of these fields must be set: 'config.aws_key', 'config.aws_secret'"] },
  },
  ...['https', 'ftp', 'wss'].map((scheme) => ({
    desc: `Kong spec: ${scheme} proxy`,
    name: 'aws-lambda',
    config: { proxy_url: `${scheme}://squid:3128`, function_name: 'my-function' },
    fields: { '@entity': ['proxy_url scheme must be http'] },
  })),
  { desc: 'Kong spec: unhandled status below 100', name: 'aws-lambda', config: { unhandled_status: 99 }, fields: { config: { unhandled_status: 'value should be between 100 and 999' } } },
  { desc: 'Kong spec: unhandled status above 999', name: 'aws-lambda', config: { unhandled_status: 1000 }, fields: { config: { unhandled_status: 'value should be between 100 and 999' } } },
  { desc: 'invocation type', name: 'aws-lambda', config: { invocation_type: 'Async' }, fields: { config: { invocation_type: 'expected one of: RequestResponse, Event, DryRun' } } },
  { desc: 'region is a host', name: 'aws-lambda', config: { aws_region: 'us east' }, fields: { config: { aws_region: 'invalid value: us east' } } },
  { desc: 'stream protocols', name: 'aws-lambda', config: {}, entity: { protocols: ['udp'] }, fields: { protocols: [HTTP_ONLY] } },
  { desc: 'no app or function', name: 'azure-functions', config: {}, fields: { config: { appname: 'required field missing', functionname: 'required field missing' } } },
]

t.test('configs Kong refuses are refused with its messages', async (t) => {
  for (const c of REFUSED) t.same(await refusal(c.name, c.config, c.entity), c.fields, `${c.name}: ${c.desc}`)
})
