/** statsd: send request and node metrics to a StatsD server. */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema } from '../../declarative/schema/types.js'

const METRIC_NAMES = [
  'kong_latency', 'latency', 'request_count', 'request_per_user', 'request_size', 'response_size', 'status_count',
  'status_count_per_user', 'unique_users', 'upstream_latency', 'status_count_per_workspace',
  'status_count_per_user_per_route', 'shdict_usage',
]
const STAT_TYPES = ['counter', 'gauge', 'histogram', 'meter', 'set', 'timer']
const CONSUMER_IDENTIFIERS = ['consumer_id', 'custom_id', 'username']
const SERVICE_IDENTIFIERS = ['service_id', 'service_name', 'service_host', 'service_name_or_host']
const WORKSPACE_IDENTIFIERS = ['workspace_id', 'workspace_name']

/** Kong's default metrics, each with every field a metric record holds (unset ones null). */
const metric = (name: string, statType: string, sampleRate: number | null = 1) => ({
  name,
  stat_type: statType,
  sample_rate: sampleRate,
  consumer_identifier: null,
  service_identifier: null,
  workspace_identifier: null,
})

/** Kong's execution priority: higher runs first. */
export const priority = 11

export const schema: PluginSchema = {
  name: 'statsd',
  config: {
    type: 'record',
    description: 'statsd settings.',
    fields: {
      host: t.host({ default: 'localhost', description: 'StatsD server host.' }),
      port: t.port({ default: 8125, description: 'StatsD server port.' }),
      prefix: { type: 'string', default: 'kong', description: "Prefix of every metric's name." },
      metrics: {
        type: 'array',
        default: [
          metric('request_count', 'counter'),
          metric('latency', 'timer', null),
          metric('request_size', 'counter'),
          metric('status_count', 'counter'),
          metric('response_size', 'counter'),
          metric('unique_users', 'set', null),
          metric('request_per_user', 'counter'),
          metric('upstream_latency', 'timer', null),
          metric('kong_latency', 'timer', null),
          metric('status_count_per_user', 'counter'),
          metric('status_count_per_workspace', 'counter'),
          metric('status_count_per_user_per_route', 'counter'),
          metric('shdict_usage', 'gauge'),
        ],
        description: 'Metrics sent.',
        elements: {
          type: 'record',
          description: 'A metric.',
          fields: {
            name: { type: 'string', required: true, oneOf: METRIC_NAMES, description: 'Metric name.' },
            stat_type: { type: 'string', required: true, oneOf: STAT_TYPES, description: 'Kind of event the metric counts.' },
            sample_rate: { type: 'number', gt: 0, description: 'Sampling rate.' },
            consumer_identifier: { type: 'string', oneOf: CONSUMER_IDENTIFIERS, description: 'How the consumer is named.' },
            service_identifier: { type: 'string', oneOf: SERVICE_IDENTIFIERS, description: 'How the service is named.' },
            workspace_identifier: { type: 'string', oneOf: WORKSPACE_IDENTIFIERS, description: 'How the workspace is named.' },
          },
          entityChecks: [t.conditional('stat_type', (v) => v === 'counter' || v === 'gauge', 'sample_rate', t.mustBeSet)],
        },
      },
      allow_status_codes: {
        type: 'array',
        description: 'Status code ranges (`200-299`) whose requests are counted.',
        elements: { type: 'string', match: /^[0-9]+-[0-9]+$/, description: 'A range.' },
      },
      udp_packet_size: { type: 'number', between: [0, 65507], default: 0, description: 'Bytes of metrics combined per UDP packet; 0 sends each alone.' },
      use_tcp: { type: 'boolean', default: false, description: 'Send over TCP instead of UDP.' },
      hostname_in_prefix: { type: 'boolean', default: false, description: "Put the node's hostname in the prefix." },
      consumer_identifier_default: { type: 'string', required: true, default: 'custom_id', oneOf: CONSUMER_IDENTIFIERS, description: 'Consumer naming for metrics that set none.' },
      service_identifier_default: { type: 'string', required: true, default: 'service_name_or_host', oneOf: SERVICE_IDENTIFIERS, description: 'Service naming for metrics that set none.' },
      workspace_identifier_default: { type: 'string', required: true, default: 'workspace_id', oneOf: WORKSPACE_IDENTIFIERS, description: 'Workspace naming for metrics that set none.' },
      retry_count: { type: 'integer', description: 'Deprecated; ignored (queue.max_retry_time rules).' },
      queue_size: { type: 'integer', description: 'Deprecated; overrides queue.max_batch_size.' },
      flush_timeout: { type: 'number', description: 'Deprecated; overrides queue.max_coalescing_delay.' },
      tag_style: { type: 'string', oneOf: ['dogstatsd', 'influxdb', 'librato', 'signalfx'], description: 'Tag format; none when unset.' },
      queue: t.queue(),
    },
  },
}
