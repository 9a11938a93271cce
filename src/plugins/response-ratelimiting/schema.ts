/** response-ratelimiting: limits counted from a response header the upstream sets, per named limit. */
import * as t from '../../declarative/schema/typedefs.js'
import type { CheckResult, EntityCheck, Field, PluginSchema } from '../../declarative/schema/types.js'
import { REDIS_ALIASES, redisConfig } from '../redis-config.js'

const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const

/** Kong's message when a longer period allows fewer than a shorter one. */
function periodsInOrder(limit: Readonly<Record<string, unknown>>): string | undefined {
  for (let i = 0; i < PERIODS.length; i++) {
    const lower = PERIODS[i] as string
    const v1 = limit[lower]
    if (typeof v1 !== 'number') continue
    for (const upper of PERIODS.slice(i + 1)) {
      const v2 = limit[upper]
      if (typeof v2 === 'number' && v2 < v1) return `the limit for ${upper}(${v2.toFixed(1)}) cannot be lower than the limit for ${lower}(${v1.toFixed(1)})`
    }
  }
  return undefined
}

const limit: Field = {
  type: 'record',
  required: true,
  description: 'Limits of one name, per period.',
  fields: Object.fromEntries(PERIODS.map((p) => [p, { type: 'number', gt: 0, description: `Units allowed per ${p}.` }])),
  entityChecks: [t.atLeastOneOf(PERIODS)],
  checks: [periodsInOrder],
}

/** Kong's plugin-level check that the redis policy has a host, port and timeout. */
const redisNeeds =
  (field: string): EntityCheck =>
  (r): CheckResult | undefined => {
    if (r.policy !== 'redis') return undefined
    const redis = r.redis as Readonly<Record<string, unknown>> | null
    if (redis !== null && redis[field] !== null) return undefined
    return { fields: { [`redis.${field}`]: 'required field missing' }, entity: ["failed conditional validation given value of field 'config.policy'"] }
  }

/** Kong's execution priority: higher runs first. */
export const priority = 900

export const schema: PluginSchema = {
  name: 'response-ratelimiting',
  config: {
    type: 'record',
    description: 'response-ratelimiting settings.',
    fields: {
      header_name: { type: 'string', default: 'x-kong-limit', description: 'Response header the upstream reports usage in.' },
      limit_by: { type: 'string', default: 'consumer', oneOf: ['consumer', 'credential', 'ip'], description: 'What a counter is kept per; falls back to ip.' },
      // Kong offers `cluster` only with a database.
      policy: { type: 'string', default: 'local', oneOf: ['local', 'redis'], description: 'Where counters live.' },
      fault_tolerant: { type: 'boolean', required: true, default: true, description: 'Proxy anyway when counters are unreachable.' },
      redis: redisConfig('Redis connection for the redis policy.'),
      block_on_first_violation: { type: 'boolean', required: true, default: false, description: 'Block as soon as any one limit is exceeded.' },
      hide_client_headers: { type: 'boolean', required: true, default: false, description: 'Do not send rate-limit headers.' },
      limits: {
        type: 'map',
        required: true,
        description: 'Limits by name, each per period.',
        keys: { type: 'string', description: 'A limit name.' },
        values: limit,
        checks: [(v: Readonly<Record<string, unknown>>) => (Object.keys(v).length < 1 ? 'length must be at least 1' : undefined)],
      },
    },
    shorthandFields: REDIS_ALIASES,
    entityChecks: [redisNeeds('host'), redisNeeds('port'), redisNeeds('timeout')],
  },
}
