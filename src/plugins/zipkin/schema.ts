/** zipkin: trace requests and report the spans to a Zipkin collector. */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema } from '../../declarative/schema/types.js'

/** Tags the plugin sets itself, which static tags may not replace. */
const PROTECTED_TAGS = [
  'error', 'http.method', 'http.path', 'http.status_code', 'kong.balancer.state', 'kong.balancer.try', 'kong.consumer',
  'kong.credential', 'kong.node.id', 'kong.route', 'kong.service', 'lc', 'peer.hostname',
]

const HEADER_TYPES = ['b3', 'b3-single', 'w3c', 'jaeger', 'ot', 'aws', 'datadog', 'gcp', 'instana']

const uniqueTagNames = (tags: readonly { readonly name: string }[]): string | undefined => {
  const seen = new Set<string>()
  for (const { name } of tags) {
    if (seen.has(name)) return `repeated tags are not allowed: ${name}`
    seen.add(name)
  }
  return undefined
}

/** Kong's execution priority: higher runs first. */
export const priority = 100000

export const schema: PluginSchema = {
  name: 'zipkin',
  config: {
    type: 'record',
    description: 'zipkin settings.',
    fields: {
      local_service_name: { type: 'string', required: true, default: 'kong', description: 'Service name shown in Zipkin.' },
      http_endpoint: t.url({ description: 'Collector URL the spans are sent to; none sends nothing.' }),
      sample_ratio: { type: 'number', default: 0.001, between: [0, 1], description: 'Share of requests without a trace id that are sampled.' },
      default_service_name: { type: 'string', description: 'Service name of spans instead of `unknown-service-name`.' },
      include_credential: { type: 'boolean', required: true, default: true, description: "Tag spans with the consumer's credential." },
      traceid_byte_count: { type: 'integer', required: true, default: 16, oneOf: [8, 16], description: 'Length of new trace ids in bytes.' },
      header_type: {
        type: 'string',
        required: true,
        default: 'preserve',
        oneOf: ['preserve', 'ignore', ...HEADER_TYPES],
        description: 'Deprecated (use propagation): tracing header format read and written.',
      },
      default_header_type: {
        type: 'string',
        required: true,
        default: 'b3',
        oneOf: HEADER_TYPES,
        description: 'Deprecated (use propagation.default_format): format written when the request has none.',
      },
      tags_header: { type: 'string', required: true, default: 'Zipkin-Tags', description: 'Request header whose tags are added to the span.' },
      static_tags: {
        type: 'array',
        description: 'Tags added to every span.',
        elements: {
          type: 'record',
          description: 'A tag.',
          fields: {
            name: { type: 'string', required: true, checks: [t.mustNotBeOneOf(PROTECTED_TAGS)], description: 'Tag name.' },
            value: { type: 'string', required: true, description: 'Tag value.' },
          },
        },
        checks: [uniqueTagNames],
      },
      http_span_name: { type: 'string', required: true, default: 'method', oneOf: ['method', 'method_path'], description: 'Span name: the method, or method and path.' },
      connect_timeout: t.zeroableTimeout({ default: 2000, description: 'Collector connect timeout in milliseconds.' }),
      send_timeout: t.zeroableTimeout({ default: 5000, description: 'Collector send timeout in milliseconds.' }),
      read_timeout: t.zeroableTimeout({ default: 5000, description: 'Collector read timeout in milliseconds.' }),
      http_response_header_for_traceid: { type: 'string', description: 'Response header carrying the trace id.' },
      phase_duration_flavor: { type: 'string', required: true, default: 'annotations', oneOf: ['annotations', 'tags'], description: 'Phase durations as annotations or tags.' },
      queue: t.queue(),
      propagation: t.propagation('b3'),
    },
  },
}
