/**
 * Config schemas of Kong's authentication plugins (jwt, oauth2, hmac-auth, ldap-auth, session,
 * bot-detection): the defaults Kong fills, and the configs it refuses with its messages.
 */
import t from 'tap'
import { checkPlugin, refusal } from '../helpers/plugin-config.js'

const FLOWS = 'at least one of these fields must be true: enable_authorization_code, enable_implicit_grant, enable_client_credentials, enable_password_grant'

checkPlugin(
  'jwt',
  [
    {
      desc: 'an empty config gets every default',
      config: {},
      full: true,
      expect: {
        uri_param_names: ['jwt'],
        cookie_names: [],
        key_claim_name: 'iss',
        secret_is_base64: false,
        claims_to_verify: null,
        anonymous: null,
        run_on_preflight: true,
        maximum_expiration: 0,
        header_names: ['authorization'],
        realm: null,
      },
    },
    { desc: 'maximum_expiration with exp verified (Kong spec)', config: { maximum_expiration: 60, claims_to_verify: ['exp', 'nbf'] }, expect: { maximum_expiration: 60 } },
    { desc: 'maximum_expiration without claims_to_verify: Kong passes a null list', config: { maximum_expiration: 60 }, expect: { claims_to_verify: null } },
    { desc: 'claims_to_verify is a set', config: { claims_to_verify: ['exp', 'exp'] }, expect: { claims_to_verify: ['exp'] } },
  ],
  [
    { desc: 'negative maximum_expiration (Kong spec)', config: { maximum_expiration: -1, claims_to_verify: ['exp', 'nbf'] }, errors: { config: { maximum_expiration: 'value should be between 0 and 31536000' } } },
    {
      desc: 'maximum_expiration without exp in claims_to_verify (Kong spec)',
      config: { maximum_expiration: 60, claims_to_verify: ['nbf'] },
      errors: { config: { claims_to_verify: 'expected to contain: exp', '@entity': ["failed conditional validation given value of field 'config.maximum_expiration'"] } },
    },
    { desc: 'an unknown claim', config: { claims_to_verify: ['iat'] }, errors: { config: { claims_to_verify: ['expected one of: exp, nbf'] } } },
  ],
)

t.test('jwt, oauth2, hmac-auth, ldap-auth, session and bot-detection cannot be scoped to a consumer', async (t) => {
  const minimal: Record<string, unknown> = {
    jwt: {},
    oauth2: { enable_password_grant: true },
    'hmac-auth': {},
    'ldap-auth': { ldap_host: 'ldap.test', base_dn: 'dc=test', attribute: 'cn' },
    session: {},
    'bot-detection': {},
  }
  for (const [name, config] of Object.entries(minimal)) {
    t.same(await refusal(name, config, '  consumer: alice\nconsumers:\n- username: alice\n'), { consumer: 'value must be null' }, name)
  }
})

checkPlugin(
  'oauth2',
  [
    {
      desc: 'one flow enabled gets every default',
      config: { enable_authorization_code: true },
      full: true,
      expect: {
        scopes: null,
        mandatory_scope: false,
        provision_key: null,
        token_expiration: 7200,
        enable_authorization_code: true,
        enable_implicit_grant: false,
        enable_client_credentials: false,
        enable_password_grant: false,
        hide_credentials: false,
        accept_http_if_already_terminated: false,
        anonymous: null,
        global_credentials: false,
        auth_header_name: 'authorization',
        refresh_token_ttl: 1209600,
        reuse_refresh_token: false,
        pkce: 'lax',
        realm: null,
      },
    },
    { desc: 'mandatory scope with scopes', config: { enable_client_credentials: true, mandatory_scope: true, scopes: ['email'] }, expect: { scopes: ['email'] } },
    { desc: 'a provision key as written', config: { enable_implicit_grant: true, provision_key: 'k' }, expect: { provision_key: 'k' } },
  ],
  [
    { desc: 'no flow enabled (Kong spec)', config: {}, errors: { config: FLOWS } },
    {
      desc: 'mandatory scope without scopes (Kong spec)',
      config: { enable_authorization_code: true, mandatory_scope: true },
      errors: { config: { scopes: 'required field missing', '@entity': ["failed conditional validation given value of field 'mandatory_scope'"] } },
    },
    { desc: 'an unknown pkce mode', config: { enable_password_grant: true, pkce: 'loose' }, errors: { config: { pkce: 'expected one of: none, lax, strict' } } },
    { desc: "a refresh token ttl past Kong's limit", config: { enable_password_grant: true, refresh_token_ttl: 1e9 }, errors: { config: { refresh_token_ttl: 'value should be between 0 and 100000000' } } },
  ],
)

checkPlugin(
  'hmac-auth',
  [
    {
      desc: 'an empty config gets every default',
      config: {},
      full: true,
      expect: {
        hide_credentials: false,
        clock_skew: 300,
        anonymous: null,
        validate_request_body: false,
        enforce_headers: [],
        algorithms: ['hmac-sha1', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'],
        realm: null,
      },
    },
    { desc: 'enforced headers and one algorithm', config: { enforce_headers: ['date', 'request-line'], algorithms: ['hmac-sha256'] }, expect: { enforce_headers: ['date', 'request-line'], algorithms: ['hmac-sha256'] } },
  ],
  [
    { desc: 'a zero clock skew (Kong spec)', config: { clock_skew: 0 }, errors: { config: { clock_skew: 'value must be greater than 0' } } },
    { desc: 'an unknown algorithm (Kong spec)', config: { algorithms: ['sha1024'] }, errors: { config: { algorithms: ['expected one of: hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512'] } } },
  ],
)

checkPlugin(
  'ldap-auth',
  [
    {
      desc: 'the required fields get every default',
      config: { ldap_host: 'ldap.test', base_dn: 'dc=test', attribute: 'cn' },
      full: true,
      expect: {
        ldap_host: 'ldap.test',
        ldap_port: 389,
        ldaps: false,
        start_tls: false,
        verify_ldap_host: false,
        base_dn: 'dc=test',
        attribute: 'cn',
        cache_ttl: 60,
        hide_credentials: false,
        timeout: 10000,
        keepalive: 60000,
        anonymous: null,
        header_type: 'ldap',
        realm: null,
      },
    },
    { desc: 'a port of its own (Kong spec)', config: { ldap_host: 'ldap.test', ldap_port: 12345, base_dn: 'dc=test', attribute: 'cn' }, expect: { ldap_port: 12345 } },
    { desc: 'ldaps alone', config: { ldap_host: '10.0.0.1', ldaps: true, ldap_port: 636, base_dn: 'dc=test', attribute: 'cn' }, expect: { ldaps: true, start_tls: false } },
  ],
  [
    {
      desc: 'nothing set',
      config: {},
      errors: { config: { ldap_host: 'required field missing', base_dn: 'required field missing', attribute: 'required field missing' } },
    },
    {
      desc: 'ldaps and start_tls together (Kong spec)',
      config: { ldap_host: 'ldap.test', base_dn: 'dc=test', attribute: 'cn', ldaps: true, start_tls: true },
      errors: { config: { start_tls: 'value must be false', '@entity': ["'ldaps' and 'start_tls' cannot be enabled simultaneously"] } },
    },
    { desc: 'a host with a port', config: { ldap_host: 'ldap.test:389', base_dn: 'dc=test', attribute: 'cn' }, errors: { config: { ldap_host: 'must not have a port' } } },
    { desc: 'a port out of range', config: { ldap_host: 'ldap.test', ldap_port: 70000, base_dn: 'dc=test', attribute: 'cn' }, errors: { config: { ldap_port: 'value should be between 0 and 65535' } } },
  ],
)

const SESSION_DEFAULTS = {
  secret: null,
  storage: 'cookie',
  audience: 'default',
  idling_timeout: 900,
  rolling_timeout: 3600,
  absolute_timeout: 86400,
  stale_ttl: 10,
  cookie_name: 'session',
  cookie_path: '/',
  cookie_domain: null,
  cookie_same_site: 'Strict',
  cookie_http_only: true,
  cookie_secure: true,
  remember: false,
  remember_cookie_name: 'remember',
  remember_rolling_timeout: 604800,
  remember_absolute_timeout: 2592000,
  response_headers: null,
  request_headers: null,
  read_body_for_logout: false,
  logout_methods: ['POST', 'DELETE'],
  logout_query_arg: 'session_logout',
  logout_post_arg: 'session_logout',
  hash_subject: false,
  store_metadata: false,
}

checkPlugin(
  'session',
  [
    { desc: 'an empty config gets every default (the secret stays unset)', config: {}, full: true, expect: SESSION_DEFAULTS },
    { desc: 'a secret as written', config: { secret: 'sekret' }, expect: { secret: 'sekret' } },
    { desc: 'headers to send', config: { response_headers: ['id', 'timeout'], request_headers: ['subject'] }, expect: { response_headers: ['id', 'timeout'], request_headers: ['subject'] } },
    { desc: 'deprecated cookie_lifetime becomes rolling_timeout', config: { cookie_lifetime: 120 }, expect: { rolling_timeout: 120 } },
    { desc: 'deprecated cookie_idletime becomes idling_timeout', config: { cookie_idletime: 30 }, expect: { idling_timeout: 30 } },
    { desc: 'deprecated cookie_renew is dropped', config: { cookie_renew: 600 }, full: true, expect: SESSION_DEFAULTS },
    { desc: 'deprecated cookie_discard becomes stale_ttl', config: { cookie_discard: 5 }, expect: { stale_ttl: 5 } },
    { desc: 'deprecated cookie_samesite off becomes Lax', config: { cookie_samesite: 'off' }, expect: { cookie_same_site: 'Lax' } },
    { desc: 'deprecated cookie_samesite keeps other values', config: { cookie_samesite: 'None' }, expect: { cookie_same_site: 'None' } },
    { desc: 'deprecated cookie_httponly becomes cookie_http_only', config: { cookie_httponly: false }, expect: { cookie_http_only: false } },
    { desc: 'deprecated cookie_persistent becomes remember', config: { cookie_persistent: true }, expect: { remember: true } },
    { desc: 'a deprecated name overrides the new one, as in Kong', config: { cookie_lifetime: 120, rolling_timeout: 60 }, expect: { rolling_timeout: 120 } },
  ],
  [
    { desc: 'an unknown storage', config: { storage: 'redis' }, errors: { config: { storage: 'expected one of: cookie, kong' } } },
    { desc: 'an unknown SameSite', config: { cookie_same_site: 'Sometimes' }, errors: { config: { cookie_same_site: 'expected one of: Strict, Lax, None, Default' } } },
    { desc: 'a deprecated name of the wrong type', config: { cookie_lifetime: 'long' }, errors: { config: { cookie_lifetime: 'expected a number' } } },
    { desc: 'a deprecated SameSite that is not one', config: { cookie_samesite: 'Sometimes' }, errors: { config: { cookie_same_site: 'expected one of: Strict, Lax, None, Default' } } },
    { desc: 'an unknown logout method', config: { logout_methods: ['PUT'] }, errors: { config: { logout_methods: ['expected one of: GET, POST, DELETE'] } } },
    { desc: 'an unknown header', config: { response_headers: ['secret'] }, errors: { config: { response_headers: ['expected one of: id, audience, subject, timeout, idling-timeout, rolling-timeout, absolute-timeout'] } } },
  ],
)

checkPlugin(
  'bot-detection',
  [
    { desc: 'an empty config gets empty lists', config: {}, full: true, expect: { allow: [], deny: [] } },
    { desc: 'patterns as written', config: { allow: ['^curl/'], deny: ['(?i)bot', 'spider$'] }, expect: { allow: ['^curl/'], deny: ['(?i)bot', 'spider$'] } },
  ],
  [
    { desc: 'an invalid regex', config: { deny: ['ok', '(unclosed'] }, errors: { config: { deny: [null, 'not a valid regex: (unclosed'] } } },
    { desc: 'not a list', config: { allow: 'curl' }, errors: { config: { allow: 'expected an array' } } },
  ],
)
