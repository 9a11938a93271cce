/** Every entity type of kong.yml, in dependency order (referenced before referencing). */
import type { ArrayField, EntitySchema } from '../types.js'
import type { CaCertificate, Certificate, Sni } from './certificates.js'
import type { Consumer } from './consumers.js'
import type { Acl, BasicauthCredential, HmacauthCredential, JwtSecret, KeyauthCredential, Oauth2Credential } from './credentials.js'
import type { Key, KeySet } from './keys.js'
import type { Plugin } from './plugins.js'
import type { Route } from './routes.js'
import type { Service } from './services.js'
import type { Target, Upstream } from './upstreams.js'
import type { Vault } from './vaults.js'
import { caCertificates, certificates, snis } from './certificates.js'
import { consumers } from './consumers.js'
import { acls, basicauthCredentials, hmacauthCredentials, jwtSecrets, keyauthCredentials, oauth2Credentials } from './credentials.js'
import { keySets, keys } from './keys.js'
import { plugins } from './plugins.js'
import { routes } from './routes.js'
import { services } from './services.js'
import { targets, upstreams } from './upstreams.js'
import { vaults } from './vaults.js'

export const ENTITIES: readonly EntitySchema[] = [
  // First: the other entities' vault references are resolved with the vaults already read.
  vaults,
  certificates,
  caCertificates,
  snis,
  services,
  routes,
  consumers,
  upstreams,
  targets,
  plugins,
  keyauthCredentials,
  basicauthCredentials,
  acls,
  jwtSecrets,
  oauth2Credentials,
  hmacauthCredentials,
  keySets,
  keys,
]

/** Entity schemas by collection name. */
export const ENTITY_BY_NAME: ReadonlyMap<string, EntitySchema> = new Map(ENTITIES.map((e) => [e.name, e]))

/**
 * A transient input field (certificates' `snis`) as Kong declares it: an array of the endpoint
 * keys of the entities it creates; undefined when `name` is no collection with an endpoint key.
 */
export function transientField(name: string): ArrayField | undefined {
  const target = ENTITY_BY_NAME.get(name)
  const key = target?.endpointKey
  const declared = key === undefined ? undefined : target?.fields[key]
  if (!target || !declared) return undefined
  const { required: _required, unique: _unique, ...element } = declared
  return { type: 'array', elements: element, description: `${target.name} created with this entity, by ${key}.` }
}

/** A child collection that may be nested in a parent record, and the child's field pointing back. */
export interface Nesting {
  readonly child: EntitySchema
  readonly field: string
}

/** Kong's mechanical nesting: a collection with a foreign key to P may be listed inside P's records. */
export function nestingsOf(parent: EntitySchema): readonly Nesting[] {
  const cached = NESTINGS.get(parent)
  if (cached) return cached
  const out: Nesting[] = []
  for (const child of ENTITIES) {
    for (const [field, def] of Object.entries(child.fields)) {
      if (def.type === 'foreign' && def.reference === parent.name && !Object.hasOwn(parent.fields, child.name)) {
        out.push({ child, field })
      }
    }
  }
  NESTINGS.set(parent, out)
  return out
}

const NESTINGS = new Map<EntitySchema, readonly Nesting[]>()

export { DEFAULT_PLUGIN_PROTOCOLS } from './plugins.js'
export { compareTargets, DEFAULT_TARGET_PORT, splitFormattedTarget, usesHealthchecks } from './upstreams.js'
export { bundledVaultSchema } from './vaults.js'
export type { Acl, BasicauthCredential, CaCertificate, Certificate, Consumer, HmacauthCredential, JwtSecret, Key, KeySet, KeyauthCredential, Oauth2Credential, Plugin, Route, Service, Sni, Target, Upstream, Vault }

/** Each collection's stored entity type. */
export interface EntityTypes {
  readonly certificates: Certificate
  readonly ca_certificates: CaCertificate
  readonly snis: Sni
  readonly services: Service
  readonly routes: Route
  readonly consumers: Consumer
  readonly upstreams: Upstream
  readonly targets: Target
  readonly plugins: Plugin
  readonly keyauth_credentials: KeyauthCredential
  readonly basicauth_credentials: BasicauthCredential
  readonly acls: Acl
  readonly jwt_secrets: JwtSecret
  readonly oauth2_credentials: Oauth2Credential
  readonly hmacauth_credentials: HmacauthCredential
  readonly key_sets: KeySet
  readonly keys: Key
  readonly vaults: Vault
}
