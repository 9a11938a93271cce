/** ip-restriction: allow or deny clients by IP or CIDR. */
import { isIP } from 'node:net'
import * as t from '../../declarative/schema/typedefs.js'
import type { Field, PluginSchema } from '../../declarative/schema/types.js'

const cidr = (v: string): string | undefined => {
  const [ip, bits] = v.split('/')
  const family = isIP(ip)
  if (family === 0) return `invalid ip or cidr range: '${v}'`
  if (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))) {
    return `invalid ip or cidr range: '${v}'`
  }
  return undefined
}
const addresses = (description: string): Field => ({
  type: 'array',
  description,
  elements: { type: 'string', description: 'An IP or CIDR.', checks: [cidr] },
})

/** Kong's execution priority: higher runs first. */
export const priority = 990

export const schema: PluginSchema = {
  name: 'ip-restriction',
  protocols: ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls'],
  config: {
    type: 'record',
    description: 'ip-restriction settings.',
    fields: {
      allow: addresses('Addresses allowed; others are refused.'),
      deny: addresses('Addresses refused (checked first).'),
      status: { type: 'number', description: 'Status of a refused request (403).' },
      message: { type: 'string', description: 'Message of a refused request.' },
    },
    entityChecks: [t.atLeastOneOf(['allow', 'deny'], ['config.allow', 'config.deny'])],
  },
}
