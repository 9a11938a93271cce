/** The Redis connection record Kong's plugins share (kong/tools/redis/schema.lua). */
import * as t from '../declarative/schema/typedefs.js'
import type { Field, RecordField, RecordShorthand } from '../declarative/schema/types.js'

/** The connection fields, for plugins that add their own beside them. */
export const REDIS_FIELDS: Readonly<Record<string, Field>> = {
  host: t.host({ description: 'Redis host.' }),
  port: t.port({ default: 6379, description: 'Redis port.' }),
  timeout: { type: 'integer', between: [0, 2 ** 31 - 2], default: 2000, description: 'Redis timeout in milliseconds.' },
  username: { type: 'string', referenceable: true, description: 'Redis ACL user; none sends no AUTH user.' },
  password: { type: 'string', referenceable: true, lenMin: 0, description: 'Redis password; none sends no AUTH.' },
  database: { type: 'integer', default: 0, description: 'Redis database index.' },
  ssl: { type: 'boolean', default: false, description: 'Connect with TLS.' },
  ssl_verify: { type: 'boolean', default: false, description: 'Verify the Redis server certificate.' },
  server_name: t.sni({ description: 'SNI sent on TLS connections.' }),
}

/** Kong's redis config record; required, as records in a plugin's config are unless Kong says otherwise. */
export const redisConfig = (description: string): RecordField => ({ type: 'record', required: true, description, fields: REDIS_FIELDS })

/** The flat redis_* names Kong took before the redis record; deprecated, to go in its 4.0. */
const redisAlias = (name: string, type: 'string' | 'integer' | 'boolean', lenMin?: number): [string, RecordShorthand] => [
  `redis_${name}`,
  {
    field: { type, description: `Deprecated: use redis.${name}.`, ...(lenMin === undefined ? {} : { lenMin }) },
    expand: (v: unknown) => ({ redis: { [name]: v } }),
    replacedWith: ['redis', name],
  },
]

/** Kong's deprecated flat `redis_*` config names, for the plugins whose config holds a `redis` record. */
export const REDIS_ALIASES: Readonly<Record<string, RecordShorthand>> = Object.fromEntries([
  redisAlias('host', 'string'),
  redisAlias('port', 'integer'),
  redisAlias('password', 'string', 0),
  redisAlias('username', 'string'),
  redisAlias('ssl', 'boolean'),
  redisAlias('ssl_verify', 'boolean'),
  redisAlias('server_name', 'string'),
  redisAlias('timeout', 'integer'),
  redisAlias('database', 'integer'),
])
