/** proxy-cache: cache upstream responses in memory by method, status and content type. */
import type { EntityCheck, PluginSchema } from '../../declarative/schema/types.js'
import { KONG_SHARED_DICTS } from '../shared-dicts.js'

const strings = (description: string): { type: 'array'; description: string; elements: { type: 'string'; description: string } } => ({
  type: 'array',
  description,
  elements: { type: 'string', description: 'A name.' },
})

const knownDictionary: EntityCheck = (r) => {
  if (r.strategy !== 'memory') return undefined
  const name = (r.memory as Readonly<Record<string, unknown>>).dictionary_name as string
  return KONG_SHARED_DICTS.has(name) ? undefined : { entity: [`missing shared dict '${name}'`] }
}

const header = (description: string): { type: 'boolean'; default: true; description: string } => ({ type: 'boolean', default: true, description })

/** Kong's execution priority: higher runs first. */
export const priority = 100

export const schema: PluginSchema = {
  name: 'proxy-cache',
  config: {
    type: 'record',
    description: 'proxy-cache settings.',
    fields: {
      response_code: {
        type: 'array',
        required: true,
        lenMin: 1,
        default: [200, 301, 404],
        description: 'Upstream statuses that may be cached.',
        elements: { type: 'integer', between: [100, 900], description: 'A status.' },
      },
      request_method: {
        type: 'array',
        required: true,
        default: ['GET', 'HEAD'],
        description: 'Request methods that may be cached.',
        elements: { type: 'string', oneOf: ['HEAD', 'GET', 'POST', 'PATCH', 'PUT'], description: 'A method.' },
      },
      content_type: {
        type: 'array',
        required: true,
        default: ['text/plain', 'application/json'],
        description: 'Response content types that may be cached (exact match).',
        elements: { type: 'string', description: 'A content type.' },
      },
      cache_ttl: { type: 'integer', default: 300, gt: 0, description: 'Seconds a cached response is served.' },
      strategy: { type: 'string', required: true, oneOf: ['memory'], description: 'Where cached responses live.' },
      cache_control: { type: 'boolean', required: true, default: false, description: 'Follow Cache-Control as RFC 7234 says.' },
      ignore_uri_case: { type: 'boolean', default: false, description: 'Treat paths that differ only in case as one key.' },
      storage_ttl: { type: 'integer', description: 'Seconds an entry stays in storage, whatever its freshness.' },
      memory: {
        type: 'record',
        required: true,
        description: 'Settings of the memory strategy.',
        fields: {
          dictionary_name: { type: 'string', required: true, default: 'kong_db_cache', description: 'Shared memory zone holding the cache.' },
        },
      },
      vary_query_params: strings('Query arguments that make up the cache key; all when unset.'),
      vary_headers: strings('Headers that make up the cache key; none when unset.'),
      response_headers: {
        type: 'record',
        required: true,
        description: 'Diagnostic headers added to responses.',
        fields: {
          age: header('Send Age.'),
          'X-Cache-Status': header('Send X-Cache-Status.'),
          'X-Cache-Key': header('Send X-Cache-Key.'),
        },
      },
    },
    entityChecks: [knownDictionary],
  },
}
