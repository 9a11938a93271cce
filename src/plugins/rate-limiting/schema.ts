/** rate-limiting: fixed-window request limits per consumer, credential, IP, service, header or path. */
import * as t from '../../declarative/schema/typedefs.js'
import { REDIS_ALIASES, redisConfig } from '../redis-config.js'
import type { CheckResult, EntityCheck, Field, PluginSchema } from '../../declarative/schema/types.js'

const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const
const limit = (period: string): Field => ({ type: 'number', gt: 0, description: `Requests allowed per ${period}.` })

const ordered: EntityCheck = (r) => {
  const set = PERIODS.filter((p) => typeof r[p] === 'number')
  if (set.length === 0) {
    return { entity: [`at least one of these fields must be non-empty: ${PERIODS.map((p) => `'config.${p}'`).join(', ')}`] }
  }
  for (let i = 1; i < set.length; i++) {
    const small = set[i - 1] as string
    const big = set[i] as string
    const a = r[small] as number
    const b = r[big] as number
    if (b < a) return { entity: [`The limit for ${big}(${b.toFixed(1)}) cannot be lower than the limit for ${small}(${a.toFixed(1)})`] }
  }
  return undefined
}

const byNeeds: EntityCheck = (r): CheckResult | undefined => {
  if (r.limit_by === 'header' && r.header_name === null) return { fields: { header_name: 'required field missing' } }
  if (r.limit_by === 'path' && r.path === null) return { fields: { path: 'required field missing' } }
  const redis = r.redis as Record<string, unknown>
  if (r.policy === 'redis' && redis.host === null) return { fields: { redis: 'host: required field missing' } }
  if (r.sync_rate !== -1 && r.policy !== 'redis') return { fields: { sync_rate: 'only allowed with the redis policy' } }
  return undefined
}

/** Kong's execution priority: higher runs first. */
export const priority = 910

export const schema: PluginSchema = {
  name: 'rate-limiting',
  config: {
    type: 'record',
    description: 'rate-limiting settings.',
    fields: {
      ...Object.fromEntries(PERIODS.map((p) => [p, limit(p)])),
      limit_by: {
        type: 'string',
        oneOf: ['consumer', 'credential', 'ip', 'service', 'header', 'path'],
        default: 'consumer',
        description: 'What a counter is kept per.',
      },
      header_name: t.headerName({ description: 'Header counted when limit_by is header.' }),
      path: t.urlPath({ description: 'Path counted when limit_by is path.' }),
      policy: { type: 'string', oneOf: ['local', 'redis'], default: 'local', description: 'Where counters live.' },
      fault_tolerant: { type: 'boolean', required: true, default: true, description: 'Proxy anyway when counters are unreachable.' },
      redis: redisConfig('Redis connection for the redis policy.'),
      hide_client_headers: { type: 'boolean', required: true, default: false, description: 'Do not send rate-limit headers.' },
      error_code: { type: 'number', default: 429, description: 'Status of a limited request.' },
      error_message: { type: 'string', default: 'API rate limit exceeded', description: 'Message of a limited request.' },
      sync_rate: { type: 'number', default: -1, description: 'Seconds between counter syncs to redis; -1 is realtime.' },
    },
    shorthandFields: REDIS_ALIASES,
    entityChecks: [ordered, byNeeds],
  },
}
