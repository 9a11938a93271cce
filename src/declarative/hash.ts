/**
 * configuration_hash: 32 lowercase hex over the canonical form of the normalized entities, so
 * formatting, comments, key order and entity order do not change it and every meaningful change
 * does. Each entity's row gets an xxHash64 digest, each collection combines its rows' digests
 * whatever their order, and the group and config hashes are 128 bits (two seeded xxHash64
 * digests) over those. Group hashes tell which part changed.
 */
import xxhash from 'xxhash-wasm'
import type { Entity } from './normalize.js'
import { RowBytes } from './row-bytes.js'
import { ENTITY_BY_NAME } from './schema/entities/index.js'
import { sharedDefault } from './schema/validate.js'

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

/** Which fields a collection has, in schema order, their defaults, and which are references. */
interface RowPlan {
  readonly keys: readonly string[]
  /** The shared copies validation fills in, so a defaulted field is skipped on identity. */
  readonly defaults: readonly unknown[]
  readonly defaultJson: readonly (string | undefined)[]
  readonly foreign: readonly boolean[]
}
const ROW_PLANS = new Map<string, RowPlan>()
const ROW = new RowBytes()

function rowPlan(collection: string, sample: Entity): RowPlan {
  let plan = ROW_PLANS.get(collection)
  if (!plan) {
    const fields = ENTITY_BY_NAME.get(collection)?.fields
    // Time stamps say when, not what: an exported and re-imported config keeps its hash.
    const keys = (fields ? Object.keys(fields) : Object.keys(sample)).filter((k) => k !== 'created_at' && k !== 'updated_at')
    const defaults = keys.map((k) => {
      const field = fields?.[k]
      return field ? sharedDefault(field) : undefined
    })
    plan = {
      keys,
      defaults,
      defaultJson: defaults.map((d) => (typeof d === 'object' && d !== null ? JSON.stringify(d) : undefined)),
      foreign: keys.map((k) => fields?.[k]?.type === 'foreign'),
    }
    ROW_PLANS.set(collection, plan)
  }
  return plan
}

/**
 * The canonical form of one entity: field index and value for every field that is set and
 * differs from its default, a reference by its id alone. Leaving out nulls and defaults makes
 * an explicit default and an omitted one hash alike, and keeps the bytes few; the field list
 * heads each collection, so the form stays unambiguous.
 */
function row(record: Entity, plan: RowPlan, out: RowBytes): Uint8Array {
  out.reset()
  const { keys, defaults, defaultJson, foreign } = plan
  for (let i = 0; i < keys.length; i++) {
    const v = record[keys[i] as string]
    if (v === null || v === undefined || v === defaults[i]) continue
    if (foreign[i]) {
      out.count(i)
      out.string((v as { id: string }).id)
      continue
    }
    const dj = defaultJson[i]
    if (dj !== undefined && typeof v === 'object' && sameAsDefault(v, defaults[i], dj)) continue
    out.count(i)
    out.value(v)
  }
  return out.bytes()
}

function sameAsDefault(value: object, def: unknown, defJson: string): boolean {
  if (Array.isArray(value) && Array.isArray(def)) {
    if (value.length !== def.length) return false
    for (let i = 0; i < value.length; i++) {
      const a: unknown = value[i]
      if (typeof a === 'object' && a !== null) return JSON.stringify(value) === defJson
      if (a !== def[i]) return false
    }
    return true
  }
  return JSON.stringify(value) === defJson
}

/**
 * One collection's digest. Each entity's row is hashed on its own, and the row digests are
 * summed (mod 2^64) and xor-ed, so the digest does not depend on the order of the list: the
 * hash can walk entities in the order they were built, which is the order they lie in memory.
 * Walking them sorted by id took twice as long, nearly all of it waiting on memory. Rows carry
 * the entity's id, unique in its collection, so no two rows are equal.
 */
function collectionDigest(collection: string, list: readonly Entity[], h: Hasher): string {
  const plan = rowPlan(collection, list[0] as Entity)
  let sum = 0n
  let xor = 0n
  for (let i = 0; i < list.length; i++) {
    const digest = h.h64Raw(row(list[i] as Entity, plan, ROW), SEED_A)
    sum += digest
    xor ^= digest
  }
  return hash128(`${JSON.stringify([collection, plan.keys, list.length])}${hex64(BigInt.asUintN(64, sum))}${hex64(xor)}`)
}

/**
 * Hashes normalized entities; the order of each list does not matter. A group with no entities
 * hashes to all zeros (Kong's "absent group"); the config hash itself is never all zeros, even
 * for a config with no entities.
 */
export function hashConfig(
  entities: Readonly<Record<string, readonly Entity[]>>,
  meta: Readonly<Record<string, unknown>>,
): ConfigHashes {
  if (!hasher) throw new Error('initHasher() must be awaited before hashing')
  const h = hasher
  const group = (name: (typeof HASH_GROUPS)[number]): string => {
    const list = entities[name]
    return list && list.length > 0 ? collectionDigest(name, list, h) : EMPTY_CONFIG_HASH
  }
  let rest = JSON.stringify(Object.keys(meta).sort().map((k) => [k, meta[k]]))
  for (const name of Object.keys(entities).sort()) {
    const list = entities[name] as readonly Entity[]
    if (!(HASH_GROUPS as readonly string[]).includes(name) && list.length > 0) rest += `\n${name}:${collectionDigest(name, list, h)}`
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
