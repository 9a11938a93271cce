/**
 * Resolves vault references against the vault entities of the config being loaded and the
 * node's environment: Kong's kong.vault.get, for the vault types this node bundles.
 */
import { isRecord } from '../../util/json.js'
import { BUNDLED_VAULTS } from '../schema/entities/vaults.js'
import { readEnvVault, type Environment } from './env-vault.js'
import { parseReference } from './reference.js'

/** A resolved secret, or why it could not be. */
export type Resolution = { readonly value: string } | { readonly error: string }

const ENV_CONFIG_FIELDS = new Set(['prefix'])

/** Resolves `{vault://...}` references from the env vault and the config's `vaults` entities. */
export class ReferenceResolver {
  readonly #vaults = new Map<string, { readonly name: string; readonly config: Readonly<Record<string, unknown>> }>()

  constructor(private readonly env: Environment) {}

  /** Makes a vault entity's prefix usable in references. */
  addVault(prefix: string, name: string, config: Readonly<Record<string, unknown>>): void {
    this.#vaults.set(prefix, { name, config })
  }

  /** The secret a reference names. */
  resolve(reference: string): Resolution {
    const parsed = parseReference(reference)
    if (typeof parsed === 'string') return { error: parsed }
    const fail = (why: string): Resolution => ({ error: `unable to resolve reference ${reference} (${why})` })
    // A bundled type's name wins over a prefix, as in Kong (and vault prefixes may not take those names).
    const vault = BUNDLED_VAULTS.includes(parsed.name) ? { name: parsed.name, config: {} } : this.#vaults.get(parsed.name)
    if (!vault) return fail(`could not find vault (${parsed.name})`)
    const config: Record<string, unknown> = { ...vault.config }
    for (const [k, v] of Object.entries(parsed.config)) {
      if (ENV_CONFIG_FIELDS.has(k)) config[k] = v
    }
    const { name, value } = readEnvVault(this.env, parsed.resource, config, parsed.version)
    if (value === undefined) return fail(`no value found: environment variable ${name} is not set`)
    if (parsed.key === undefined) return { value }
    let json: unknown
    try {
      json = JSON.parse(value)
    } catch {
      // JSON.parse's own message quotes the text it read: the secret.
      return fail('could not get subfield value: unable to json decode value (not valid JSON)')
    }
    if (!isRecord(json)) return fail('could not get subfield value: unable to json decode value (not an object)')
    const sub = Object.hasOwn(json, parsed.key) ? json[parsed.key] : undefined
    if (sub === undefined || sub === null) return fail(`could not get subfield value: subfield ${parsed.key} not found in JSON secret`)
    if (typeof sub !== 'string') return fail(`could not get subfield value: unexpected ${typeof sub} value in JSON secret for subfield ${parsed.key}`)
    return { value: sub }
  }
}
