/** tcp-log: send each request's log entry as a JSON line over TCP (or TLS). */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema } from '../../declarative/schema/types.js'

/** Kong's execution priority: higher runs first. */
export const priority = 7

export const schema: PluginSchema = {
  name: 'tcp-log',
  config: {
    type: 'record',
    description: 'tcp-log settings.',
    fields: {
      host: t.host({ required: true, description: 'Host receiving the logs.' }),
      port: t.port({ required: true, description: 'Port receiving the logs.' }),
      timeout: { type: 'number', default: 10000, description: 'Send timeout in milliseconds.' },
      keepalive: { type: 'number', default: 60000, description: 'Idle connection lifetime in milliseconds.' },
      tls: { type: 'boolean', required: true, default: false, description: 'Connect with TLS.' },
      tls_sni: { type: 'string', description: 'Server name sent in the TLS handshake.' },
      custom_fields_by_lua: t.luaCode('Log fields set by Lua expressions.'),
    },
  },
}
