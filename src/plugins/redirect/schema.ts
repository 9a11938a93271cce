/** redirect: answer requests with a redirect to another URL. */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema } from '../../declarative/schema/types.js'

/** Kong's execution priority: higher runs first. */
export const priority = 779

export const schema: PluginSchema = {
  name: 'redirect',
  config: {
    type: 'record',
    description: 'redirect settings.',
    fields: {
      status_code: { type: 'integer', required: true, default: 301, between: [100, 599], description: 'Status of the redirect.' },
      location: t.url({ required: true, description: 'URL redirected to.' }),
      keep_incoming_path: { type: 'boolean', default: false, description: "Append the request's path and query to the location." },
    },
  },
}
