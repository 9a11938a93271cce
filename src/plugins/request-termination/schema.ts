/** request-termination: answer requests directly with a fixed response. */
import type { EntityCheck, PluginSchema } from '../../declarative/schema/types.js'

const messageOrBody: EntityCheck = (r) =>
  r.message !== null && r.body !== null ? { entity: ['message cannot be used with content_type or body'] } : undefined

/** Kong's execution priority: higher runs first. */
export const priority = 2

export const schema: PluginSchema = {
  name: 'request-termination',
  config: {
    type: 'record',
    description: 'request-termination settings.',
    fields: {
      status_code: { type: 'integer', required: true, between: [100, 599], default: 503, description: 'Status sent.' },
      message: { type: 'string', description: 'Message sent as {"message": ...}.' },
      content_type: { type: 'string', description: 'Content type of body.' },
      body: { type: 'string', description: 'Raw body sent instead of a message.' },
      echo: { type: 'boolean', required: true, default: false, description: 'Echo the request back as JSON.' },
      trigger: { type: 'string', description: 'Only terminate when this header or query argument is present.' },
    },
    entityChecks: [messageOrBody],
  },
}
