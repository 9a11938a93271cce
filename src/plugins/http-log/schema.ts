/** http-log: send each request's log entry to an HTTP endpoint. */
import type { PluginSchema } from '../../declarative/schema/types.js'

const httpUrl = (v: string): string | undefined => {
  try {
    const u = new URL(v)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'unsupported scheme'
    return u.hostname === '' ? 'missing host in url' : undefined
  } catch {
    return 'missing host in url'
  }
}

const FORBIDDEN = ['host', 'content-length', 'content-type']

/** Kong's execution priority: higher runs first. */
export const priority = 12

export const schema: PluginSchema = {
  name: 'http-log',
  config: {
    type: 'record',
    description: 'http-log settings.',
    fields: {
      http_endpoint: { type: 'string', required: true, referenceable: true, description: 'URL receiving the logs, or a vault reference.', checks: [httpUrl] },
      method: { type: 'string', oneOf: ['POST', 'PUT', 'PATCH'], default: 'POST', description: 'Request method.' },
      content_type: { type: 'string', oneOf: ['application/json', 'application/json; charset=utf-8'], default: 'application/json', description: 'Body content type.' },
      timeout: { type: 'number', default: 10000, description: 'Request timeout in milliseconds.' },
      keepalive: { type: 'number', default: 60000, description: 'Idle connection lifetime in milliseconds.' },
      retry_count: { type: 'integer', description: 'Deprecated; ignored.' },
      queue_size: { type: 'integer', description: 'Deprecated; overrides queue.max_batch_size.' },
      flush_timeout: { type: 'number', description: 'Deprecated; overrides queue.max_coalescing_delay.' },
      headers: {
        type: 'map',
        description: 'Extra request headers (not Host, Content-Length or Content-Type).',
        keys: {
          type: 'string',
          description: 'Header name.',
          checks: [(v: string) => (FORBIDDEN.includes(v.toLowerCase()) ? 'cannot contain a Host, Content-Length or Content-Type header' : undefined)],
        },
        values: { type: 'string', referenceable: true, description: 'Header value, or a vault reference.' },
      },
      queue: {
        type: 'record',
        required: true,
        description: 'Batching and retry queue.',
        fields: {
          max_batch_size: { type: 'integer', between: [1, 1000000], default: 1, description: 'Entries per request.' },
          max_coalescing_delay: { type: 'number', between: [0, 3600], default: 1, description: 'Seconds to wait for a batch to fill.' },
          max_entries: { type: 'integer', between: [1, 1000000], default: 10000, description: 'Entries kept before dropping.' },
          max_bytes: { type: 'integer', description: 'Bytes kept before dropping.' },
          max_retry_time: { type: 'number', default: 60, description: 'Seconds a batch is retried.' },
          initial_retry_delay: { type: 'number', between: [0.001, 1000000], default: 0.01, description: 'First retry delay in seconds.' },
          max_retry_delay: { type: 'number', between: [0.001, 1000000], default: 60, description: 'Longest retry delay in seconds.' },
          concurrency_limit: { type: 'integer', oneOf: [-1, 1], default: 1, description: 'Parallel sends.' },
        },
      },
      custom_fields_by_lua: { type: 'map', keys: { type: 'string', description: 'Field.' }, values: { type: 'string', description: 'Expression.' }, description: 'Extra serialized fields.' },
    },
  },
}
