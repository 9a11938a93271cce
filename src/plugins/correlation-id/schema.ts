/** correlation-id: tag each request with an id header. */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema } from '../../declarative/schema/types.js'

/** Kong's execution priority: higher runs first. */
export const priority = 100001

export const schema: PluginSchema = {
  name: 'correlation-id',
  config: {
    type: 'record',
    description: 'correlation-id settings.',
    fields: {
      header_name: t.headerName({ default: 'Kong-Request-ID', description: 'Header carrying the id.' }),
      generator: { type: 'string', required: true, oneOf: ['uuid', 'uuid#counter', 'tracker'], default: 'uuid#counter', description: 'How ids are made.' },
      echo_downstream: { type: 'boolean', required: true, default: false, description: 'Send the id back to the client.' },
    },
  },
}
