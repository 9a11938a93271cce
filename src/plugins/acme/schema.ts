/** acme: obtain and renew certificates from an ACME server (Let's Encrypt) for the node's domains. */
import * as t from '../../declarative/schema/typedefs.js'
import { checkRouteHost } from '../../declarative/schema/entities/routes.js'
import type { CheckResult, EntityCheck, Field, PluginSchema, RecordShorthand } from '../../declarative/schema/types.js'
import { REDIS_FIELDS } from '../redis-config.js'
import { KONG_SHARED_DICTS } from '../shared-dicts.js'

/** Key prefixes the plugin keeps its own state under in Redis. */
const RESERVED_PREFIXES = ['kong_acme:renew_config:', 'kong_acme:renew_last_run', 'kong_acme:cert_key:']

const namespace = (v: string): string | undefined => {
  const reserved = RESERVED_PREFIXES.find((p) => v.startsWith(p))
  return reserved === undefined ? undefined : `namespace can't be prefixed with reserved word: ${reserved}`
}

const record = (description: string, fields: Readonly<Record<string, Field>>, extra: { shorthandFields?: Readonly<Record<string, RecordShorthand>> } = {}): Field => ({
  type: 'record',
  required: true,
  description,
  fields,
  ...extra,
})

/** Deprecated names of the redis storage settings, to go in Kong 4.0. */
const redisAlias = (type: 'string' | 'integer', expand: (v: unknown) => Record<string, unknown>, replacedWith: readonly string[], lenMin?: number): RecordShorthand => ({
  field: { type, description: `Deprecated: use ${replacedWith.join('.')}.`, ...(lenMin === undefined ? {} : { lenMin }) },
  expand,
  replacedWith,
})

const kv = (tls: boolean): Readonly<Record<string, Field>> => ({
  https: { type: 'boolean', default: false, description: 'Talk to the server over HTTPS.' },
  host: t.host({ description: 'Server host.' }),
  port: t.port({ description: 'Server port.' }),
  kv_path: { type: 'string', description: 'KV prefix path.' },
  timeout: { type: 'number', description: 'Timeout in milliseconds.' },
  token: { type: 'string', referenceable: true, description: 'Access token.' },
  ...(tls
    ? {
        tls_verify: { type: 'boolean', default: true, description: "Verify the server's certificate." },
        tls_server_name: { type: 'string', description: 'SNI sent; the host when unset.' },
        auth_method: { type: 'string', default: 'token', oneOf: ['token', 'kubernetes'], description: 'How to authenticate to Vault.' },
        auth_path: { type: 'string', description: "Vault's authentication path." },
        auth_role: { type: 'string', description: 'Role to assume.' },
        jwt_path: { type: 'string', description: 'Path of the service account JWT.' },
      }
    : {}),
})

/** Kong refuses the Let's Encrypt base URLs unless their terms of service are accepted. */
const LETS_ENCRYPT = ['https://acme-v02.api.letsencrypt.org', 'https://acme-staging-v02.api.letsencrypt.org']

const tosAccepted = t.conditional('api_uri', (v) => LETS_ENCRYPT.includes(v as string), 'tos_accepted', (v) => (v === true ? undefined : 'value must be true'), {
  err: 'terms of service must be accepted, see https://letsencrypt.org/repository/',
})

const redisNeeds =
  (field: string): EntityCheck =>
  (r): CheckResult | undefined => {
    if (r.storage !== 'redis') return undefined
    const redis = (r.storage_config as Readonly<Record<string, Readonly<Record<string, unknown>>>>).redis
    if (redis?.[field] !== null) return undefined
    return { fields: { [`storage_config.redis.${field}`]: 'required field missing' }, entity: ["failed conditional validation given value of field 'config.storage'"] }
  }

/** Kong's execution priority: higher runs first. */
export const priority = 1705

export const schema: PluginSchema = {
  name: 'acme',
  // A global plugin only.
  noConsumer: true,
  noService: true,
  noRoute: true,
  config: {
    type: 'record',
    description: 'acme settings.',
    fields: {
      // Kong's loose sanity pattern: anything with an `@` in it.
      account_email: { type: 'string', required: true, referenceable: true, match: /@/, description: 'Account e-mail at the ACME server.' },
      account_key: {
        type: 'record',
        description: 'The account private key, from a key set.',
        fields: {
          key_id: { type: 'string', required: true, description: 'The key id.' },
          key_set: { type: 'string', description: 'The key set the key belongs to.' },
        },
      },
      api_uri: t.url({ default: 'https://acme-v02.api.letsencrypt.org/directory', description: 'ACME directory URL.' }),
      tos_accepted: { type: 'boolean', default: false, description: "Accept the ACME server's terms of service." },
      eab_kid: { type: 'string', referenceable: true, description: 'External account binding key id.' },
      eab_hmac_key: { type: 'string', referenceable: true, description: 'External account binding HMAC key (base64url).' },
      cert_type: { type: 'string', default: 'rsa', oneOf: ['rsa', 'ecc'], description: 'Key type of issued certificates.' },
      rsa_key_size: { type: 'number', default: 4096, oneOf: [2048, 3072, 4096], description: 'RSA key size of issued certificates.' },
      renew_threshold_days: { type: 'number', default: 14, description: 'Days before expiry a certificate is renewed.' },
      domains: {
        type: 'array',
        description: 'Domains certificates may be issued for (one wildcard label at an end).',
        elements: { type: 'string', checks: [checkRouteHost], description: 'A domain.' },
      },
      allow_any_domain: { type: 'boolean', default: false, description: 'Issue for any domain, ignoring `domains`.' },
      fail_backoff_minutes: { type: 'number', default: 5, description: 'Minutes before retrying a domain that failed.' },
      storage: { type: 'string', default: 'shm', oneOf: ['kong', 'shm', 'redis', 'consul', 'vault'], description: 'Where certificates and account keys are kept.' },
      storage_config: record('Settings of each storage.', {
        shm: record('shm storage.', {
          shm_name: {
            type: 'string',
            default: 'kong',
            description: 'Shared memory zone used.',
            checks: [(v: string) => (KONG_SHARED_DICTS.has(v) ? undefined : `failed validating: ${v}`)],
          },
        }),
        kong: record('kong storage.', {}),
        redis: record(
          'redis storage.',
          {
            ...REDIS_FIELDS,
            extra_options: record('Custom ACME Redis options.', {
              namespace: { type: 'string', required: true, default: '', lenMin: 0, checks: [namespace], description: 'Prefix of every key stored.' },
              scan_count: { type: 'number', default: 10, description: 'Keys returned per SCAN call.' },
            }),
          },
          {
            shorthandFields: {
              auth: redisAlias('string', (v) => ({ password: v }), ['password'], 0),
              ssl_server_name: redisAlias('string', (v) => ({ server_name: v }), ['server_name']),
              namespace: redisAlias('string', (v) => ({ extra_options: { namespace: v } }), ['extra_options', 'namespace'], 0),
              scan_count: redisAlias('integer', (v) => ({ extra_options: { scan_count: v } }), ['extra_options', 'scan_count']),
            },
          },
        ),
        consul: record('consul storage.', kv(false)),
        vault: record('vault storage.', kv(true)),
      }),
      preferred_chain: { type: 'string', description: 'Preferred certificate chain, by issuer name.' },
      enable_ipv4_common_name: { type: 'boolean', default: true, description: 'Put an IPv4 address in the common name of certificates.' },
    },
    entityChecks: [tosAccepted, redisNeeds('host'), redisNeeds('port')],
  },
}
