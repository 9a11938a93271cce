/** udp-log: send each request's log entry as a JSON datagram. */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema } from '../../declarative/schema/types.js'

/** Kong's execution priority: higher runs first. */
export const priority = 8

export const schema: PluginSchema = {
  name: 'udp-log',
  config: {
    type: 'record',
    description: 'udp-log settings.',
    fields: {
      host: t.host({ required: true, description: 'Host receiving the logs.' }),
      port: t.port({ required: true, description: 'Port receiving the logs.' }),
      timeout: { type: 'number', default: 10000, description: 'Send timeout in milliseconds.' },
      custom_fields_by_lua: t.luaCode('Log fields set by Lua expressions.'),
    },
  },
}
