/** key-auth: authenticate consumers by an API key in a header, query argument or body. */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema } from '../../declarative/schema/types.js'

/** Kong's execution priority: higher runs first. */
export const priority = 1250

export const schema: PluginSchema = {
  name: 'key-auth',
  noConsumer: true,
  config: {
    type: 'record',
    description: 'key-auth settings.',
    fields: {
      key_names: {
        type: 'array',
        required: true,
        lenMin: 1,
        default: ['apikey'],
        description: 'Names of the header, query argument or body field carrying the key.',
        elements: t.headerName({ description: 'A key name.' }),
      },
      hide_credentials: { type: 'boolean', required: true, default: false, description: 'Strip the key before proxying.' },
      anonymous: { type: 'string', description: 'Consumer id or username used when authentication fails.' },
      key_in_header: { type: 'boolean', required: true, default: true, description: 'Look for the key in headers.' },
      key_in_query: { type: 'boolean', required: true, default: true, description: 'Look for the key in the query string.' },
      key_in_body: { type: 'boolean', required: true, default: false, description: 'Look for the key in the request body.' },
      run_on_preflight: { type: 'boolean', required: true, default: true, description: 'Authenticate CORS preflight requests too.' },
      realm: { type: 'string', description: 'Realm sent in WWW-Authenticate.' },
    },
  },
}
