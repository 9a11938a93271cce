/** jwt: authenticate consumers by a signed JSON Web Token from a header, query argument or cookie. */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema } from '../../declarative/schema/types.js'

const strings = (description: string, d: readonly string[]): { type: 'set'; description: string; default: readonly string[]; elements: { type: 'string'; description: string } } => ({
  type: 'set',
  description,
  default: d,
  elements: { type: 'string', description: 'A name.' },
})

/** Kong's execution priority: higher runs first. */
export const priority = 1450

export const schema: PluginSchema = {
  name: 'jwt',
  noConsumer: true,
  config: {
    type: 'record',
    description: 'jwt settings.',
    fields: {
      uri_param_names: strings('Query arguments searched for a token.', ['jwt']),
      cookie_names: strings('Cookies searched for a token.', []),
      key_claim_name: { type: 'string', default: 'iss', description: 'Claim (payload, then header) naming the credential key.' },
      secret_is_base64: { type: 'boolean', required: true, default: false, description: 'Credential secrets are base64-encoded.' },
      claims_to_verify: {
        type: 'set',
        description: 'Registered claims checked: exp, nbf.',
        elements: { type: 'string', oneOf: ['exp', 'nbf'], description: 'A claim.' },
      },
      anonymous: { type: 'string', description: 'Consumer id or username used when authentication fails.' },
      run_on_preflight: { type: 'boolean', required: true, default: true, description: 'Authenticate CORS preflight requests too.' },
      maximum_expiration: { type: 'number', default: 0, between: [0, 31536000], description: 'Longest token lifetime accepted, in seconds; 0 for no limit.' },
      header_names: strings('Headers searched for a token.', ['authorization']),
      realm: { type: 'string', description: 'Realm sent in WWW-Authenticate.' },
    },
    entityChecks: [
      // Kong checks a null claims_to_verify as passing: only a list without exp is refused.
      t.conditional(
        'maximum_expiration',
        (v) => typeof v === 'number' && v > 0,
        'claims_to_verify',
        (v) => (Array.isArray(v) && !v.includes('exp') ? 'expected to contain: exp' : undefined),
        { label: 'config.maximum_expiration' },
      ),
    ],
  },
}
