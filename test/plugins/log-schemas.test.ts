/**
 * The log and metrics plugins' config schemas (syslog, tcp-log, udp-log, loggly, datadog,
 * statsd): Kong's defaults filled in, Kong's refusals with its messages.
 */
import t from 'tap'
import { QUEUE, loadedPlugin, refusal } from '../helpers/plugin-config.js'

const SEVERITIES = 'expected one of: debug, info, notice, warning, err, crit, alert, emerg'

const datadogMetric = (name: string, stat_type: string, sample_rate: number | null) => ({ name, stat_type, tags: ['app:kong'], sample_rate, consumer_identifier: 'custom_id' })
const statsdMetric = (name: string, stat_type: string, sample_rate: number | null = 1) => ({
  name,
  stat_type,
  sample_rate,
  consumer_identifier: null,
  service_identifier: null,
  workspace_identifier: null,
})

/** Each plugin's smallest valid config and the whole config Kong stores for it. */
const DEFAULTS: { name: string; config: Record<string, unknown>; expect: Record<string, unknown> }[] = [
  {
    name: 'syslog',
    config: {},
    expect: {
      log_level: 'info',
      successful_severity: 'info',
      client_errors_severity: 'info',
      server_errors_severity: 'info',
      custom_fields_by_lua: null,
      facility: 'user',
    },
  },
  {
    name: 'tcp-log',
    config: { host: 'logs.test', port: 5000 },
    expect: { host: 'logs.test', port: 5000, timeout: 10000, keepalive: 60000, tls: false, tls_sni: null, custom_fields_by_lua: null },
  },
  {
    name: 'udp-log',
    config: { host: '127.0.0.1', port: 5000 },
    expect: { host: '127.0.0.1', port: 5000, timeout: 10000, custom_fields_by_lua: null },
  },
  {
    name: 'loggly',
    config: { key: 'token' },
    expect: {
      host: 'logs-01.loggly.com',
      port: 514,
      key: 'token',
      tags: ['kong'],
      log_level: 'info',
      successful_severity: 'info',
      client_errors_severity: 'info',
      server_errors_severity: 'info',
      timeout: 10000,
      custom_fields_by_lua: null,
    },
  },
  {
    name: 'datadog',
    config: {},
    expect: {
      host: 'localhost',
      port: 8125,
      prefix: 'kong',
      service_name_tag: 'name',
      status_tag: 'status',
      consumer_tag: 'consumer',
      retry_count: null,
      queue_size: null,
      flush_timeout: null,
      queue: QUEUE,
      metrics: [
        datadogMetric('request_count', 'counter', 1),
        datadogMetric('latency', 'timer', null),
        datadogMetric('request_size', 'timer', null),
        datadogMetric('response_size', 'timer', null),
        datadogMetric('upstream_latency', 'timer', null),
        datadogMetric('kong_latency', 'timer', null),
      ],
    },
  },
  {
    name: 'statsd',
    config: {},
    expect: {
      host: 'localhost',
      port: 8125,
      prefix: 'kong',
      metrics: [
        statsdMetric('request_count', 'counter'),
        statsdMetric('latency', 'timer', null),
        statsdMetric('request_size', 'counter'),
        statsdMetric('status_count', 'counter'),
        statsdMetric('response_size', 'counter'),
        statsdMetric('unique_users', 'set', null),
        statsdMetric('request_per_user', 'counter'),
        statsdMetric('upstream_latency', 'timer', null),
        statsdMetric('kong_latency', 'timer', null),
        statsdMetric('status_count_per_user', 'counter'),
        statsdMetric('status_count_per_workspace', 'counter'),
        statsdMetric('status_count_per_user_per_route', 'counter'),
        statsdMetric('shdict_usage', 'gauge'),
      ],
      allow_status_codes: null,
      udp_packet_size: 0,
      use_tcp: false,
      hostname_in_prefix: false,
      consumer_identifier_default: 'custom_id',
      service_identifier_default: 'service_name_or_host',
      workspace_identifier_default: 'workspace_id',
      retry_count: null,
      queue_size: null,
      flush_timeout: null,
      tag_style: null,
      queue: QUEUE,
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

t.test('given values are kept', async (t) => {
  const cases: { name: string; config: Record<string, unknown>; check: Record<string, unknown> }[] = [
    { name: 'syslog', config: { log_level: 'emerg', facility: 'local7', custom_fields_by_lua: { svc: 'return 1' } }, check: { log_level: 'emerg', facility: 'local7', custom_fields_by_lua: { svc: 'return 1' } } },
    { name: 'tcp-log', config: { host: 'logs.test', port: 6514, tls: true, tls_sni: 'logs.test' }, check: { tls: true, tls_sni: 'logs.test' } },
    { name: 'loggly', config: { key: 'k', tags: ['a', 'b', 'a'] }, check: { tags: ['a', 'b'] } },
    {
      name: 'datadog',
      config: { metrics: [{ name: 'latency', stat_type: 'distribution', tags: ['env:prod', 'plain'] }], queue: { max_batch_size: 10 } },
      check: {
        metrics: [{ name: 'latency', stat_type: 'distribution', tags: ['env:prod', 'plain'], sample_rate: null, consumer_identifier: null }],
        queue: { ...QUEUE, max_batch_size: 10 },
      },
    },
    {
      name: 'statsd',
      config: { metrics: [{ name: 'status_count', stat_type: 'gauge', sample_rate: 0.5, service_identifier: 'service_id' }], allow_status_codes: ['200-299'], tag_style: 'influxdb' },
      check: {
        metrics: [{ name: 'status_count', stat_type: 'gauge', sample_rate: 0.5, consumer_identifier: null, service_identifier: 'service_id', workspace_identifier: null }],
        allow_status_codes: ['200-299'],
        tag_style: 'influxdb',
      },
    },
  ]
  for (const c of cases) {
    const plugin = await loadedPlugin(c.name, c.config)
    t.match(plugin?.config, c.check, c.name)
  }
})

/** Configs Kong refuses, with the error tree it gives for the plugin. */
const REFUSED: { desc: string; name: string; config: Record<string, unknown>; entity?: Record<string, unknown>; fields: unknown }[] = [
  { desc: 'unknown severity', name: 'syslog', config: { log_level: 'verbose' }, fields: { config: { log_level: SEVERITIES } } },
  {
    desc: 'unknown facility',
    name: 'syslog',
    config: { facility: 'local8' },
    fields: {
      config: {
        facility:
          'expected one of: auth, authpriv, cron, daemon, ftp, kern, lpr, mail, news, syslog, user, uucp, local0, local1, local2, local3, local4, local5, local6, local7',
      },
    },
  },
  { desc: 'empty lua code', name: 'syslog', config: { custom_fields_by_lua: { f: '' } }, fields: { config: { custom_fields_by_lua: 'length must be at least 1' } } },
  { desc: 'no host or port', name: 'tcp-log', config: {}, fields: { config: { host: 'required field missing', port: 'required field missing' } } },
  { desc: 'host with a port', name: 'tcp-log', config: { host: 'logs.test:80', port: 1 }, fields: { config: { host: 'must not have a port' } } },
  { desc: 'not a host', name: 'udp-log', config: { host: 'a b', port: 1 }, fields: { config: { host: 'invalid value: a b' } } },
  { desc: 'port out of range', name: 'udp-log', config: { host: 'h', port: 65536 }, fields: { config: { port: 'value should be between 0 and 65535' } } },
  { desc: 'tls not a boolean', name: 'tcp-log', config: { host: 'h', port: 1, tls: 'yes please' }, fields: { config: { tls: 'expected a boolean' } } },
  { desc: 'no key', name: 'loggly', config: {}, fields: { config: { key: 'required field missing' } } },
  { desc: 'tags not a set', name: 'loggly', config: { key: 'k', tags: 'kong' }, fields: { config: { tags: 'expected a set' } } },
  { desc: 'unknown severity', name: 'loggly', config: { key: 'k', server_errors_severity: 'error' }, fields: { config: { server_errors_severity: SEVERITIES } } },
  {
    desc: 'Kong spec: counter without sample rate',
    name: 'datadog',
    config: { metrics: [{ name: 'request_count', stat_type: 'counter' }] },
    fields: { config: { metrics: [{ sample_rate: 'required field missing', '@entity': ["failed conditional validation given value of field 'stat_type'"] }] } },
  },
  {
    desc: 'Kong spec: tag ending with a colon',
    name: 'datadog',
    config: { metrics: [{ name: 'request_count', stat_type: 'timer', tags: ['T1:'] }] },
    fields: { config: { metrics: [{ tags: ['invalid value: T1:'] }] } },
  },
  {
    desc: 'unknown metric',
    name: 'datadog',
    config: { metrics: [{ name: 'unique_users', stat_type: 'set' }] },
    fields: { config: { metrics: [{ name: 'expected one of: kong_latency, latency, request_count, request_size, response_size, upstream_latency' }] } },
  },
  {
    desc: 'sample rate above 1',
    name: 'datadog',
    config: { metrics: [{ name: 'latency', stat_type: 'gauge', sample_rate: 2 }] },
    fields: { config: { metrics: [{ sample_rate: 'value should be between 0 and 1' }] } },
  },
  { desc: 'empty queue batch', name: 'datadog', config: { queue: { max_batch_size: 0 } }, fields: { config: { queue: { max_batch_size: 'value should be between 1 and 1000000' } } } },
  { desc: 'queue concurrency', name: 'datadog', config: { queue: { concurrency_limit: 2 } }, fields: { config: { queue: { concurrency_limit: 'expected one of: -1, 1' } } } },
  {
    desc: 'Kong spec: counter without sample rate',
    name: 'statsd',
    config: { metrics: [{ name: 'request_count', stat_type: 'counter' }] },
    fields: { config: { metrics: [{ sample_rate: 'required field missing', '@entity': ["failed conditional validation given value of field 'stat_type'"] }] } },
  },
  {
    desc: 'Kong spec: unknown stat type',
    name: 'statsd',
    config: { metrics: [{ name: 'request_count', stat_type: 'distribution', sample_rate: 1 }] },
    fields: { config: { metrics: [{ stat_type: 'expected one of: counter, gauge, histogram, meter, set, timer' }] } },
  },
  { desc: 'sample rate zero', name: 'statsd', config: { metrics: [{ name: 'latency', stat_type: 'timer', sample_rate: 0 }] }, fields: { config: { metrics: [{ sample_rate: 'value must be greater than 0' }] } } },
  { desc: 'Kong spec: packet size', name: 'statsd', config: { udp_packet_size: 65508 }, fields: { config: { udp_packet_size: 'value should be between 0 and 65507' } } },
  { desc: 'Kong spec: packet size not a number', name: 'statsd', config: { udp_packet_size: 'a' }, fields: { config: { udp_packet_size: 'expected a number' } } },
  { desc: 'status range without a dash', name: 'statsd', config: { allow_status_codes: ['200'] }, fields: { config: { allow_status_codes: ['invalid value: 200'] } } },
  {
    desc: 'Kong spec: identifier defaults',
    name: 'statsd',
    config: { consumer_identifier_default: 'x', service_identifier_default: 'x', workspace_identifier_default: 'x' },
    fields: {
      config: {
        consumer_identifier_default: 'expected one of: consumer_id, custom_id, username',
        service_identifier_default: 'expected one of: service_id, service_name, service_host, service_name_or_host',
        workspace_identifier_default: 'expected one of: workspace_id, workspace_name',
      },
    },
  },
  { desc: 'Kong spec: tag style', name: 'statsd', config: { tag_style: 'x' }, fields: { config: { tag_style: 'expected one of: dogstatsd, influxdb, librato, signalfx' } } },
  { desc: 'unknown field', name: 'statsd', config: { hostname: 'x' }, fields: { config: { hostname: 'unknown field' } } },
]

t.test('configs Kong refuses are refused with its messages', async (t) => {
  for (const c of REFUSED) t.same(await refusal(c.name, c.config, c.entity), c.fields, `${c.name}: ${c.desc}`)
})
