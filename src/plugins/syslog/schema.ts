/** syslog: write each request's log entry to the local system log. */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema, StringField } from '../../declarative/schema/types.js'

const SEVERITIES = ['debug', 'info', 'notice', 'warning', 'err', 'crit', 'alert', 'emerg'] as const

const severity = (description: string): StringField => ({ type: 'string', required: true, default: 'info', oneOf: SEVERITIES, description })

const FACILITIES = [
  'auth', 'authpriv', 'cron', 'daemon', 'ftp', 'kern', 'lpr', 'mail', 'news', 'syslog', 'user', 'uucp',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
]

/** Kong's execution priority: higher runs first. */
export const priority = 4

export const schema: PluginSchema = {
  name: 'syslog',
  config: {
    type: 'record',
    description: 'syslog settings.',
    fields: {
      log_level: severity('Lowest severity logged.'),
      successful_severity: severity('Severity of requests answered below 400.'),
      client_errors_severity: severity('Severity of requests answered 4xx.'),
      server_errors_severity: severity('Severity of requests answered 5xx.'),
      custom_fields_by_lua: t.luaCode('Log fields set by Lua expressions.'),
      facility: { type: 'string', required: true, default: 'user', oneOf: FACILITIES, description: 'syslog facility the entries are filed under.' },
    },
  },
}
