/** hmac-auth: authenticate consumers by an HMAC signature of the request. */
import type { PluginSchema } from '../../declarative/schema/types.js'

const ALGORITHMS = ['hmac-sha1', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512']

/** Kong's execution priority: higher runs first. */
export const priority = 1030

export const schema: PluginSchema = {
  name: 'hmac-auth',
  noConsumer: true,
  config: {
    type: 'record',
    description: 'hmac-auth settings.',
    fields: {
      hide_credentials: { type: 'boolean', required: true, default: false, description: 'Strip the signature before proxying.' },
      clock_skew: { type: 'number', default: 300, gt: 0, description: 'Allowed clock skew in seconds, against replays.' },
      anonymous: { type: 'string', description: 'Consumer id or username used when authentication fails.' },
      validate_request_body: { type: 'boolean', required: true, default: false, description: 'Check the body against its Digest header.' },
      enforce_headers: { type: 'array', default: [], description: 'Headers the signature must cover.', elements: { type: 'string', description: 'A header name.' } },
      algorithms: {
        type: 'array',
        default: ALGORITHMS,
        description: 'Digest algorithms accepted.',
        elements: { type: 'string', oneOf: ALGORITHMS, description: 'An algorithm.' },
      },
      realm: { type: 'string', description: 'Realm sent in WWW-Authenticate.' },
    },
  },
}
