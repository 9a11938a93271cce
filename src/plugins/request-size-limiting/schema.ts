/** request-size-limiting: refuse request bodies over a size. */
import type { PluginSchema } from '../../declarative/schema/types.js'

/** Kong's execution priority: higher runs first. */
export const priority = 951

export const schema: PluginSchema = {
  name: 'request-size-limiting',
  config: {
    type: 'record',
    description: 'request-size-limiting settings.',
    fields: {
      allowed_payload_size: { type: 'integer', default: 128, description: 'Largest body allowed, in size_unit.' },
      size_unit: { type: 'string', required: true, oneOf: ['megabytes', 'kilobytes', 'bytes'], default: 'megabytes', description: 'Unit of allowed_payload_size.' },
      require_content_length: { type: 'boolean', required: true, default: false, description: 'Refuse bodies without Content-Length.' },
    },
  },
}
