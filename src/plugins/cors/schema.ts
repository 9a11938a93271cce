/** cors: answer preflights and add CORS headers. */
import type { Field, PluginSchema } from '../../declarative/schema/types.js'

const strings = (description: string, d?: readonly string[]): Field => ({
  type: 'array',
  description,
  ...(d ? { default: d } : {}),
  elements: { type: 'string', description: 'A value.' },
})

const originCheck = (v: string): string | undefined => {
  if (v === '*' || /^[A-Za-z0-9.:/-]+$/.test(v)) return undefined
  try {
    new RegExp(v)
    return undefined
  } catch {
    return `'${v}' is not a valid regex`
  }
}

/** Kong's execution priority: higher runs first. */
export const priority = 2000

export const schema: PluginSchema = {
  name: 'cors',
  noConsumer: true,
  config: {
    type: 'record',
    description: 'cors settings.',
    fields: {
      origins: { type: 'array', description: 'Allowed origins: `*`, literals or regexes.', elements: { type: 'string', description: 'An origin.', checks: [originCheck] } },
      headers: strings('Allowed request headers.'),
      exposed_headers: strings('Headers exposed to the browser.'),
      methods: {
        type: 'array',
        description: 'Allowed methods.',
        default: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'],
        elements: {
          type: 'string',
          oneOf: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'],
          description: 'A method.',
        },
      },
      max_age: { type: 'number', description: 'Seconds a preflight may be cached.' },
      credentials: { type: 'boolean', required: true, default: false, description: 'Send Access-Control-Allow-Credentials.' },
      private_network: { type: 'boolean', required: true, default: false, description: 'Allow private network access requests.' },
      preflight_continue: { type: 'boolean', required: true, default: false, description: 'Proxy preflights upstream.' },
      allow_origin_absent: { type: 'boolean', required: true, default: true, description: 'Add headers when the request has no Origin.' },
    },
  },
}
