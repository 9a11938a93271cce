/** oauth2: an OAuth 2.0 authorization server and token check (authorization code, implicit, client credentials, password). */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema } from '../../declarative/schema/types.js'

const FLOWS = ['enable_authorization_code', 'enable_implicit_grant', 'enable_client_credentials', 'enable_password_grant'] as const

const flag = (description: string): { type: 'boolean'; required: true; default: false; description: string } => ({ type: 'boolean', required: true, default: false, description })

/** Kong's execution priority: higher runs first. */
export const priority = 1400

export const schema: PluginSchema = {
  name: 'oauth2',
  noConsumer: true,
  config: {
    type: 'record',
    description: 'oauth2 settings.',
    fields: {
      scopes: { type: 'array', description: 'Scope names offered to end users.', elements: { type: 'string', description: 'A scope.' } },
      mandatory_scope: flag('Require at least one authorized scope.'),
      // Kong generates a random key when absent; a random value would change the config hash on
      // every load, and the plugin does not run here, so an absent key stays null.
      provision_key: { type: 'string', auto: true, unique: true, description: 'Key identifying this plugin to its authorization endpoints.' },
      token_expiration: { type: 'number', required: true, default: 7200, description: 'Access token lifetime in seconds; 0 never expires.' },
      enable_authorization_code: flag('Enable the authorization code flow.'),
      enable_implicit_grant: flag('Enable the implicit grant flow.'),
      enable_client_credentials: flag('Enable the client credentials flow.'),
      enable_password_grant: flag('Enable the resource owner password flow.'),
      hide_credentials: flag('Strip the credential before proxying.'),
      accept_http_if_already_terminated: flag('Accept plain HTTP when a trusted proxy terminated TLS.'),
      anonymous: { type: 'string', description: 'Consumer id or username used when authentication fails.' },
      global_credentials: flag('Share credentials with every oauth2 plugin that also sets this.'),
      auth_header_name: { type: 'string', default: 'authorization', description: 'Header carrying the access token.' },
      refresh_token_ttl: t.ttl({ required: true, default: 1209600, description: 'Refresh token lifetime in seconds; 0 never expires.' }),
      reuse_refresh_token: flag('Keep the refresh token when refreshing an access token.'),
      pkce: { type: 'string', default: 'lax', oneOf: ['none', 'lax', 'strict'], description: 'How Proof Key for Code Exchange is enforced.' },
      realm: { type: 'string', description: 'Realm sent in WWW-Authenticate.' },
    },
    checks: [
      (v: Readonly<Record<string, unknown>>) =>
        FLOWS.some((f) => v[f] === true) ? undefined : `at least one of these fields must be true: ${FLOWS.join(', ')}`,
    ],
    entityChecks: [t.conditional('mandatory_scope', (v) => v === true, 'scopes', (v) => (v === null || v === undefined ? 'required field missing' : undefined))],
  },
}
