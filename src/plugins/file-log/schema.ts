/** file-log: append one JSON line per request to a file. */
import type { PluginSchema } from '../../declarative/schema/types.js'

/** Kong's execution priority: higher runs first. */
export const priority = 9

export const schema: PluginSchema = {
  name: 'file-log',
  config: {
    type: 'record',
    description: 'file-log settings.',
    fields: {
      path: {
        type: 'string',
        required: true,
        description: 'File appended to.',
        match: /^[^*&%\\`]+$/,
      },
      reopen: { type: 'boolean', required: true, default: false, description: 'Reopen the file for every request.' },
      custom_fields_by_lua: { type: 'map', keys: { type: 'string', description: 'Field.' }, values: { type: 'string', description: 'Expression.' }, description: 'Extra serialized fields.' },
    },
  },
}
