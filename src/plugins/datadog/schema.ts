/** datadog: send request metrics to a DogStatsD agent. */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema } from '../../declarative/schema/types.js'

const STAT_NAMES = ['kong_latency', 'latency', 'request_count', 'request_size', 'response_size', 'upstream_latency']
const STAT_TYPES = ['counter', 'gauge', 'histogram', 'meter', 'set', 'timer', 'distribution']
const CONSUMER_IDENTIFIERS = ['consumer_id', 'custom_id', 'username']

/** Kong's default metrics, each with every field a metric record holds (unset ones null). */
const metric = (name: string, statType: string, sampleRate: number | null) => ({
  name,
  stat_type: statType,
  tags: ['app:kong'],
  sample_rate: sampleRate,
  consumer_identifier: 'custom_id',
})

/** Kong's execution priority: higher runs first. */
export const priority = 10

export const schema: PluginSchema = {
  name: 'datadog',
  config: {
    type: 'record',
    description: 'datadog settings.',
    fields: {
      host: t.host({ referenceable: true, default: 'localhost', description: 'Agent host.' }),
      port: t.port({ default: 8125, description: 'Agent port.' }),
      prefix: { type: 'string', default: 'kong', description: "Prefix of every metric's name." },
      service_name_tag: { type: 'string', default: 'name', description: 'Tag naming the service.' },
      status_tag: { type: 'string', default: 'status', description: 'Tag naming the HTTP status.' },
      consumer_tag: { type: 'string', default: 'consumer', description: 'Tag naming the consumer.' },
      retry_count: { type: 'integer', description: 'Deprecated; ignored (queue.max_retry_time rules).' },
      queue_size: { type: 'integer', description: 'Deprecated; overrides queue.max_batch_size.' },
      flush_timeout: { type: 'number', description: 'Deprecated; overrides queue.max_coalescing_delay.' },
      queue: t.queue(),
      metrics: {
        type: 'array',
        required: true,
        default: [
          metric('request_count', 'counter', 1),
          metric('latency', 'timer', null),
          metric('request_size', 'timer', null),
          metric('response_size', 'timer', null),
          metric('upstream_latency', 'timer', null),
          metric('kong_latency', 'timer', null),
        ],
        description: 'Metrics sent.',
        elements: {
          type: 'record',
          description: 'A metric.',
          fields: {
            name: { type: 'string', required: true, oneOf: STAT_NAMES, description: 'Metric name.' },
            stat_type: { type: 'string', required: true, oneOf: STAT_TYPES, description: 'Kind of event the metric counts.' },
            tags: { type: 'array', description: 'Tags sent with the metric.', elements: { type: 'string', match: /^[\s\S]*[^:]$/, description: 'A tag; must not end with `:`.' } },
            sample_rate: { type: 'number', between: [0, 1], description: 'Sampling rate.' },
            consumer_identifier: { type: 'string', oneOf: CONSUMER_IDENTIFIERS, description: 'How the consumer is named.' },
          },
          entityChecks: [t.conditional('stat_type', (v) => v === 'counter' || v === 'gauge', 'sample_rate', t.mustBeSet)],
        },
      },
    },
  },
}
