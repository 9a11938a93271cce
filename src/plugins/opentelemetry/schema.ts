/** opentelemetry: export traces and logs to an OTLP/HTTP collector. */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema } from '../../declarative/schema/types.js'

/** Kong's execution priority: higher runs first. */
export const priority = 14

export const schema: PluginSchema = {
  name: 'opentelemetry',
  acceptedProtocols: ['grpc', 'grpcs', 'http', 'https'],
  config: {
    type: 'record',
    description: 'opentelemetry settings.',
    fields: {
      traces_endpoint: t.url({ referenceable: true, description: 'OTLP/HTTP URL the traces are sent to.' }),
      logs_endpoint: t.url({ referenceable: true, description: 'OTLP/HTTP URL the logs are sent to.' }),
      headers: {
        type: 'map',
        description: 'Headers sent to the collector (authentication tokens).',
        keys: { type: 'string', checks: [t.checkHeaderName], description: 'Header name.' },
        values: { type: 'string', referenceable: true, description: 'Header value.' },
      },
      resource_attributes: {
        type: 'map',
        description: 'Attributes of the OpenTelemetry resource (`service.name` overrides `kong`).',
        keys: { type: 'string', lenMin: 1, description: 'Attribute name.' },
        // Kong refuses empty values: its strings are at least one character unless they say otherwise.
        values: { type: 'string', lenMin: 1, description: 'Attribute value.' },
      },
      queue: t.queue({ default: { max_batch_size: 200 } }),
      batch_span_count: { type: 'integer', description: 'Deprecated; overrides queue.max_batch_size.' },
      batch_flush_delay: { type: 'integer', description: 'Deprecated; overrides queue.max_coalescing_delay.' },
      connect_timeout: t.zeroableTimeout({ default: 1000, description: 'Collector connect timeout in milliseconds.' }),
      send_timeout: t.zeroableTimeout({ default: 5000, description: 'Collector send timeout in milliseconds.' }),
      read_timeout: t.zeroableTimeout({ default: 5000, description: 'Collector read timeout in milliseconds.' }),
      http_response_header_for_traceid: { type: 'string', description: 'Response header carrying the trace id.' },
      header_type: {
        type: 'string',
        default: 'preserve',
        oneOf: ['preserve', 'ignore', 'b3', 'b3-single', 'w3c', 'jaeger', 'ot', 'aws', 'gcp', 'datadog', 'instana'],
        description: 'Deprecated (use propagation): tracing header format read and written.',
      },
      sampling_rate: { type: 'number', between: [0, 1], description: "Sampling probability; overrides kong.conf's tracing_sampling_rate." },
      propagation: t.propagation('w3c'),
    },
    entityChecks: [t.atLeastOneOf(['traces_endpoint', 'logs_endpoint'])],
    shorthandFields: {
      endpoint: {
        field: t.url({ referenceable: true, description: 'Deprecated name of traces_endpoint.' }),
        deprecated: true,
        expand: (value: string) => ({ traces_endpoint: value }),
      },
    },
  },
}
