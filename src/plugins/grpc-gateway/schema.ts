/** grpc-gateway: translate REST-style JSON requests to gRPC calls, as described by a .proto file. */
import type { PluginSchema } from '../../declarative/schema/types.js'

/** Kong's execution priority: higher runs first. */
export const priority = 998

export const schema: PluginSchema = {
  name: 'grpc-gateway',
  config: {
    type: 'record',
    description: 'grpc-gateway settings.',
    fields: {
      proto: { type: 'string', description: 'Path of the .proto file describing the gRPC services.' },
    },
  },
}
