/**
 * configuration_hash: 128 bits (two seeded xxHash64 digests, 32 lowercase hex) over the canonical
 * form of the normalized entities, so formatting, comments, key order and entity order do not
 * change it and every meaningful change does. Group hashes tell which part changed.
 */
import xxhash from 'xxhash-wasm'
import type { Entity } from './normalize.js'

/** Reported while no valid configuration is loaded, and only then. */
export const EMPTY_CONFIG_HASH = '00000000000000000000000000000000'

/** The groups hashed separately, as Kong's hybrid protocol names them. */
export const HASH_GROUPS = ['routes', 'services', 'plugins', 'upstreams', 'targets'] as const

/** The config hash and one hash per group (`rest` covers every other collection). */
export interface ConfigHashes {
  readonly config: string
  readonly routes: string
  readonly services: string
  readonly plugins: string
  readonly upstreams: string
  readonly targets: string
  readonly rest: string
}

type Hasher = Awaited<ReturnType<typeof xxhash>>
let hasher: Hasher | undefined

/** Loads the WebAssembly hasher once; later calls are free. */
export async function initHasher(): Promise<void> {
  hasher ??= await xxhash()
}

const SEED_A = 0n
const SEED_B = 0x9e3779b97f4a7c15n

/** 32 lowercase hex characters of a text; needs initHasher() first. */
export function hash128(text: string): string {
  if (!hasher) throw new Error('initHasher() must be awaited before hashing')
  const bytes = Buffer.from(text, 'utf8')
  return hex64(hasher.h64Raw(bytes, SEED_A)) + hex64(hasher.h64Raw(bytes, SEED_B))
}

function hex64(value: bigint): string {
  return value.toString(16).padStart(16, '0')
}

/**
 * The canonical text of normalized data. Records come out of validation with keys in schema
 * order and maps sorted, so JSON.stringify is already canonical (a test holds this across
 * permuted inputs) and runs natively.
 */
function canonicalText(value: unknown): string {
  return JSON.stringify(value)
}

/**
 * Hashes normalized entities. A group with no entities hashes to all zeros (Kong's "absent
 * group"); the config hash itself is never all zeros, even for a config with no entities.
 */
export function hashConfig(
  entities: Readonly<Record<string, readonly Entity[]>>,
  meta: Readonly<Record<string, unknown>>,
): ConfigHashes {
  const group = (list: readonly Entity[] | undefined): string =>
    list && list.length > 0 ? hash128(canonicalText(list)) : EMPTY_CONFIG_HASH
  const rest: Record<string, unknown> = {}
  for (const key of Object.keys(meta).sort()) rest[key] = meta[key]
  for (const name of Object.keys(entities).sort()) {
    const list = entities[name] as readonly Entity[]
    if (!(HASH_GROUPS as readonly string[]).includes(name) && list.length > 0) rest[name] = list
  }
  const routes = group(entities.routes)
  const services = group(entities.services)
  const plugins = group(entities.plugins)
  const upstreams = group(entities.upstreams)
  const targets = group(entities.targets)
  const restHash = hash128(canonicalText(rest))
  let config = hash128(routes + services + plugins + upstreams + targets + restHash)
  if (config === EMPTY_CONFIG_HASH) config = hash128(`${config}!`)
  return { config, routes, services, plugins, upstreams, targets, rest: restHash }
}
