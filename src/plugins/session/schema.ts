/** session: keep consumers authenticated across requests with a session cookie. */
import type { Field, PluginSchema, RecordShorthand } from '../../declarative/schema/types.js'

const HEADERS = ['id', 'audience', 'subject', 'timeout', 'idling-timeout', 'rolling-timeout', 'absolute-timeout']

const headers = (description: string): Field => ({
  type: 'set',
  description,
  elements: { type: 'string', oneOf: HEADERS, description: 'A piece of session information.' },
})

const num = (description: string, d: number): Field => ({ type: 'number', default: d, description })
const str = (description: string, d: string): Field => ({ type: 'string', default: d, description })
const bool = (description: string, d: boolean): Field => ({ type: 'boolean', default: d, description })

/** An alias of Kong's session 3.x settings, renamed in 4.0 of its session library. */
const alias = (type: 'number' | 'string' | 'boolean', expand: (v: never) => Record<string, unknown> | undefined): RecordShorthand => ({
  field: { type, description: 'Deprecated alias.' },
  expand,
})

/** Kong's execution priority: higher runs first. */
export const priority = 1900

export const schema: PluginSchema = {
  name: 'session',
  noConsumer: true,
  config: {
    type: 'record',
    description: 'session settings.',
    fields: {
      // Kong fills a random secret when absent; a random value would change the config hash on
      // every load, and the plugin does not run here, so an absent secret stays null.
      secret: { type: 'string', auto: true, referenceable: true, description: 'Secret the session HMAC is keyed with.' },
      storage: { type: 'string', oneOf: ['cookie', 'kong'], default: 'cookie', description: 'Session data kept in the cookie or in Kong.' },
      audience: str('Intended audience of the session.', 'default'),
      idling_timeout: num('Seconds a session may stay idle.', 900),
      rolling_timeout: num('Seconds a session lasts before it must be renewed.', 3600),
      absolute_timeout: num('Seconds after which a session is no longer valid.', 86400),
      stale_ttl: num('Seconds an old cookie is still accepted once replaced.', 10),
      cookie_name: str('Name of the session cookie.', 'session'),
      cookie_path: str('Path the cookie is sent for.', '/'),
      cookie_domain: { type: 'string', description: 'Domain the cookie is sent to.' },
      cookie_same_site: { type: 'string', default: 'Strict', oneOf: ['Strict', 'Lax', 'None', 'Default'], description: 'SameSite attribute of the cookie.' },
      cookie_http_only: bool('Set HttpOnly on the cookie.', true),
      cookie_secure: bool('Set Secure on the cookie.', true),
      remember: bool('Keep a persistent session cookie too.', false),
      remember_cookie_name: str('Name of the persistent session cookie.', 'remember'),
      remember_rolling_timeout: num('Seconds a persistent session lasts before it must be renewed.', 604800),
      remember_absolute_timeout: num('Seconds after which a persistent session is no longer valid.', 2592000),
      response_headers: headers('Session information sent to the client as headers.'),
      request_headers: headers('Session information sent upstream as headers.'),
      read_body_for_logout: bool('Look for the logout argument in the request body.', false),
      logout_methods: {
        type: 'set',
        default: ['POST', 'DELETE'],
        description: 'Methods a logout request may use.',
        elements: { type: 'string', oneOf: ['GET', 'POST', 'DELETE'], description: 'A method.' },
      },
      logout_query_arg: str('Query argument that requests a logout.', 'session_logout'),
      logout_post_arg: str('Body argument that requests a logout.', 'session_logout'),
      hash_subject: bool('Hash the subject when metadata is stored.', false),
      store_metadata: bool('Store session metadata (audience, subject).', false),
    },
    // Deprecated names Kong still takes (to be removed in its 4.0).
    shorthandFields: {
      cookie_lifetime: alias('number', (v: number) => ({ rolling_timeout: v })),
      cookie_idletime: alias('number', (v: number) => ({ idling_timeout: v })),
      cookie_renew: alias('number', () => undefined),
      cookie_discard: alias('number', (v: number) => ({ stale_ttl: v })),
      cookie_samesite: alias('string', (v: string) => ({ cookie_same_site: v === 'off' ? 'Lax' : v })),
      cookie_httponly: alias('boolean', (v: boolean) => ({ cookie_http_only: v })),
      cookie_persistent: alias('boolean', (v: boolean) => ({ remember: v })),
    },
  },
}
