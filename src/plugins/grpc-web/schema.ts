/** grpc-web: let browsers call gRPC services through gRPC-Web. */
import type { PluginSchema } from '../../declarative/schema/types.js'

/** Kong's execution priority: higher runs first. */
export const priority = 3

export const schema: PluginSchema = {
  name: 'grpc-web',
  config: {
    type: 'record',
    description: 'grpc-web settings.',
    fields: {
      proto: { type: 'string', description: 'Path of the .proto file; needed to transcode JSON payloads.' },
      pass_stripped_path: { type: 'boolean', description: 'Send the stripped request path to the gRPC service.' },
      allow_origin_header: { type: 'string', default: '*', description: 'Access-Control-Allow-Origin sent to gRPC-Web clients.' },
    },
  },
}
