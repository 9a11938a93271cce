/** prometheus: expose request and node metrics at /metrics. */
import type { Field, PluginSchema } from '../../declarative/schema/types.js'

const flag = (description: string): Field => ({ type: 'boolean', required: true, default: false, description })

/** Kong's execution priority: higher runs first. */
export const priority = 13

export const schema: PluginSchema = {
  name: 'prometheus',
  config: {
    type: 'record',
    description: 'prometheus settings.',
    fields: {
      per_consumer: flag('Label metrics with the consumer.'),
      status_code_metrics: flag('Count requests by status code.'),
      ai_metrics: flag('Export AI metrics.'),
      latency_metrics: flag('Export latency histograms.'),
      bandwidth_metrics: flag('Export bandwidth counters.'),
      upstream_health_metrics: flag('Export target health.'),
      wasm_metrics: flag('Export wasm metrics.'),
    },
  },
}
