/** http-log: send each request's log entry to an HTTP endpoint. */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema } from '../../declarative/schema/types.js'

/**
 * Kong's match_none rules on header names, in its order and with its messages. Kong's
 * Content-Length pattern spells its third letter `[nn]`, so only a lower-case `n` there is
 * refused; kept, so that the configs Kong accepts load here too.
 */
const FORBIDDEN: readonly [RegExp, string][] = [
  [/^[Hh][Oo][Ss][Tt]$/, "cannot contain 'Host' header"],
  [/^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Ll][Ee]n[Gg][Tt][Hh]$/, "cannot contain 'Content-Length' header"],
  [/^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Tt][Yy][Pp][Ee]$/, "cannot contain 'Content-Type' header"],
]

/** Kong's execution priority: higher runs first. */
export const priority = 12

/** Kong's config-level check: credentials in the URL and an Authorization header cannot both be given. */
const noDoubleCredentials = (config: { http_endpoint: string | null; headers: Record<string, unknown> | null }): string | undefined => {
  if (config.http_endpoint === null || config.headers === null) return undefined
  if (t.parseSocketUrl(config.http_endpoint).userinfo === undefined) return undefined
  return Object.keys(config.headers).some((h) => h.toLowerCase() === 'authorization')
    ? "specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed"
    : undefined
}

export const schema: PluginSchema = {
  name: 'http-log',
  config: {
    type: 'record',
    description: 'http-log settings.',
    checks: [noDoubleCredentials],
    fields: {
      http_endpoint: t.url({ required: true, referenceable: true, description: 'URL receiving the logs, or a vault reference (Kong checks only that it has a scheme and a host).' }),
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
          // match_none runs before the header name check in Kong, so its messages win.
          checks: [(v: string) => FORBIDDEN.find(([re]) => re.test(v))?.[1], t.checkHeaderName],
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
