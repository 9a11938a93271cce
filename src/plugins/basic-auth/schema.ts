/** basic-auth: authenticate consumers by user name and password. */
import type { PluginSchema } from '../../declarative/schema/types.js'

/** Kong's execution priority: higher runs first. */
export const priority = 1100

export const schema: PluginSchema = {
  name: 'basic-auth',
  noConsumer: true,
  config: {
    type: 'record',
    description: 'basic-auth settings.',
    fields: {
      anonymous: { type: 'string', description: 'Consumer id or username used when authentication fails.' },
      hide_credentials: { type: 'boolean', required: true, default: false, description: 'Strip credentials before proxying.' },
      realm: { type: 'string', required: true, default: 'service', description: 'Realm sent in WWW-Authenticate.' },
    },
  },
}
