/**
 * configuration_hash: 32 lowercase hex over the canonical form of the normalized entities
 * (`canonical-form.ts`), so formatting, comments, key order, entity order, spelled-out defaults
 * and a new release do not change it and every meaningful change does. Each entity's row gets
 * an xxHash64 digest, each collection combines its rows' digests whatever their order, and the
 * group and config hashes are 128 bits (two seeded xxHash64 digests) over those. Group hashes
 * tell which part changed. The README ("The configuration hash") defines it in full.
 */
import xxhash from 'xxhash-wasm'
import type { Entity } from './normalize.js'
import { entityWriter, type SchemaLookups } from './canonical-form.js'
import { RowBytes } from './row-bytes.js'

/** Reported while no valid configuration is loaded, and only then. */
export const EMPTY_CONFIG_HASH = '00000000000000000000000000000000'

/** Whether a value is a configuration hash: 32 lowercase hex characters. */
export function isConfigHash(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{32}$/.test(value)
}

/** The groups hashed separately, as Kong's hybrid protocol names them. */
export const HASH_GROUPS = ['routes', 'services', 'plugins', 'upstreams', 'targets'] as const

/** The group hash a collection counts in: its own for the named groups, `rest` for every other. */
export function hashGroupOf(collection: string): (typeof HASH_GROUPS)[number] | 'rest' {
  return (HASH_GROUPS as readonly string[]).includes(collection) ? (collection as (typeof HASH_GROUPS)[number]) : 'rest'
}

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

const ROW = new RowBytes()

/** The schemas the node ships; hashing with others is for tests that reorder or extend them. */
export type HashSchemas = SchemaLookups

/**
 * One collection's digest. Each entity's canonical row is hashed on its own, and the row
 * digests are summed (mod 2^64) and xor-ed, so the digest does not depend on the order of the
 * list: the hash can walk entities in the order they were built, which is the order they lie
 * in memory. Walking them sorted by id took twice as long, nearly all of it waiting on memory.
 * Rows carry the entity's id, unique in its collection, so no two rows are equal.
 */
function collectionDigest(collection: string, list: readonly Entity[], h: Hasher, schemas: SchemaLookups): string {
  const schema = schemas.entitySchema(collection)
  const write = schema ? entityWriter(schema, 'hash') : (record: Entity, out: RowBytes) => out.value(record)
  let sum = 0n
  let xor = 0n
  for (let i = 0; i < list.length; i++) {
    ROW.reset()
    write(list[i], ROW, schemas)
    const digest = h.h64Raw(ROW.bytes(), SEED_A)
    sum += digest
    xor ^= digest
  }
  return hash128(`${JSON.stringify([collection, list.length])}${hex64(BigInt.asUintN(64, sum))}${hex64(xor)}`)
}

/**
 * Hashes normalized entities; the order of each list does not matter. A group with no entities
 * hashes to all zeros (Kong's "absent group"); the config hash itself is never all zeros, even
 * for a config with no entities.
 */
export function hashConfig(
  entities: Readonly<Record<string, readonly Entity[]>>,
  meta: Readonly<Record<string, unknown>>,
  schemas: SchemaLookups,
): ConfigHashes {
  if (!hasher) throw new Error('initHasher() must be awaited before hashing')
  const h = hasher
  const group = (name: (typeof HASH_GROUPS)[number]): string => {
    const list = entities[name]
    return list && list.length > 0 ? collectionDigest(name, list, h, schemas) : EMPTY_CONFIG_HASH
  }
  let rest = JSON.stringify(Object.keys(meta).sort().map((k) => [k, meta[k]]))
  for (const name of Object.keys(entities).sort()) {
    const list = entities[name]
    if (hashGroupOf(name) === 'rest' && list.length > 0) rest += `\n${name}:${collectionDigest(name, list, h, schemas)}`
  }
  const routes = group('routes')
  const services = group('services')
  const plugins = group('plugins')
  const upstreams = group('upstreams')
  const targets = group('targets')
  const restHash = hash128(rest)
  let config = hash128(routes + services + plugins + upstreams + targets + restHash)
  if (config === EMPTY_CONFIG_HASH) config = hash128(`${config}!`)
  return { config, routes, services, plugins, upstreams, targets, rest: restHash }
}
