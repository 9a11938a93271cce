/** The `vaults` entity: a named configuration of a vault type that `{vault://<prefix>/...}` references use. */
import * as t from '../typedefs.js'
import { defineEntity, type EntityOf, type RecordField } from '../types.js'

/** The vault types this node bundles (Kong's BUNDLED_VAULTS). */
export const BUNDLED_VAULTS: readonly string[] = ['env']


/** The env vault's config (Kong's kong/vaults/env schema); the only vault type bundled. */
const ENV_VAULT_CONFIG: RecordField = {
  type: 'record',
  required: true,
  description: "The vault type's configuration (env: `prefix`).",
  fields: {
    prefix: { type: 'string', match: /^[A-Za-z_-][A-Za-z0-9_-]*$/, description: 'The prefix for the environment variable that the value will be stored in.' },
  },
}

/** A bundled vault type's config schema, by vault name; undefined for vaults this node lacks. */
export function bundledVaultSchema(name: string): { readonly config: RecordField } | undefined {
  return name === 'env' ? { config: ENV_VAULT_CONFIG } : undefined
}

export const vaults = defineEntity({
  name: 'vaults',
  singular: 'vault',
  endpointKey: 'prefix',
  cacheKey: ['prefix'],
  fields: {
    id: t.id(),
    // Kong's Lua pattern ^[a-z][a-z%d-]-[a-z%d]+$: it names the host part of a reference URL.
    prefix: { type: 'string', required: true, unique: true, match: /^[a-z][a-z0-9-]*[a-z0-9]$/, checks: [t.mustNotBeOneOf(BUNDLED_VAULTS)], description: 'The name references use: `{vault://<prefix>/<key>}`.' },
    name: {
      type: 'string',
      required: true,
      checks: [(v: string) => (BUNDLED_VAULTS.includes(v) ? undefined : `vault '${v}' is not installed`)],
      description: 'The vault type (`env`).',
    },
    description: { type: 'string', description: 'Free text about the vault.' },
    config: ENV_VAULT_CONFIG,
    created_at: t.timestamp('When the vault was created (seconds).'),
    updated_at: t.timestamp('When the vault was last updated (seconds).'),
    tags: t.tags(),
  },
})
/** A stored vaults entity. */
export type Vault = EntityOf<typeof vaults>
