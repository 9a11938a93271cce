/** standard-webhooks: verify incoming webhooks signed as the Standard Webhooks specification says. */
import type { PluginSchema } from '../../declarative/schema/types.js'

/** Kong's execution priority: higher runs first. */
export const priority = 760

export const schema: PluginSchema = {
  name: 'standard-webhooks',
  noConsumer: true,
  config: {
    type: 'record',
    description: 'standard-webhooks settings.',
    fields: {
      secret_v1: { type: 'string', required: true, referenceable: true, description: 'Secret the signatures are made with.' },
      tolerance_second: { type: 'integer', required: true, gt: -1, default: 300, description: 'Oldest webhook timestamp accepted, in seconds.' },
    },
  },
}
