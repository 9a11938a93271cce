/** azure-functions: answer requests by calling an Azure Function over HTTP. */
import type { PluginSchema } from '../../declarative/schema/types.js'

/** Kong's execution priority: higher runs first. */
export const priority = 749

export const schema: PluginSchema = {
  name: 'azure-functions',
  config: {
    type: 'record',
    description: 'azure-functions settings.',
    fields: {
      timeout: { type: 'number', default: 600000, description: 'Call timeout in milliseconds.' },
      keepalive: { type: 'number', default: 60000, description: 'Idle connection lifetime in milliseconds.' },
      https: { type: 'boolean', default: true, description: 'Call the function over HTTPS.' },
      https_verify: { type: 'boolean', default: false, description: "Verify the function server's certificate." },
      apikey: { type: 'string', referenceable: true, description: 'Sent as `x-functions-key`.' },
      clientid: { type: 'string', referenceable: true, description: 'Sent as `x-functions-clientid`.' },
      appname: { type: 'string', required: true, description: 'Azure app name.' },
      hostdomain: { type: 'string', required: true, default: 'azurewebsites.net', description: 'Domain the function lives under.' },
      routeprefix: { type: 'string', default: 'api', description: 'Route prefix.' },
      functionname: { type: 'string', required: true, description: 'Function invoked.' },
    },
  },
}
