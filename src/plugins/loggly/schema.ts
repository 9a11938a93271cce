/** loggly: send each request's log entry to Loggly over UDP syslog. */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema, StringField } from '../../declarative/schema/types.js'

const SEVERITIES = ['debug', 'info', 'notice', 'warning', 'err', 'crit', 'alert', 'emerg']

const severity = (description: string): StringField => ({ type: 'string', default: 'info', oneOf: SEVERITIES, description })

/** Kong's execution priority: higher runs first. */
export const priority = 6

export const schema: PluginSchema = {
  name: 'loggly',
  config: {
    type: 'record',
    description: 'loggly settings.',
    fields: {
      host: t.host({ default: 'logs-01.loggly.com', description: 'Loggly host.' }),
      port: t.port({ default: 514, description: 'Loggly port.' }),
      key: { type: 'string', required: true, referenceable: true, description: 'Loggly customer token.' },
      tags: { type: 'set', default: ['kong'], description: 'Tags attached to every entry.', elements: { type: 'string', description: 'A tag.' } },
      log_level: severity('Lowest severity logged.'),
      successful_severity: severity('Severity of requests answered below 400.'),
      client_errors_severity: severity('Severity of requests answered 4xx.'),
      server_errors_severity: severity('Severity of requests answered 5xx.'),
      timeout: { type: 'number', default: 10000, description: 'Send timeout in milliseconds.' },
      custom_fields_by_lua: t.luaCode('Log fields set by Lua expressions.'),
    },
  },
}
