/**
 * `config diff`: what changed between two loaded configurations, entity by entity. Collections
 * whose group hash is the same on both sides are skipped unread; the others are matched by id
 * (ids derive from names and keys, so an entity keeps its id across edits of its other fields).
 * Secrets never appear: credential keys, passwords and secrets, and every field a schema lets
 * hold a vault reference, are shown as `******`, a vault reference as the reference written.
 */
import { deterministicId } from '../declarative/ids.js'
import { hashConfig, hashGroupOf } from '../declarative/hash.js'
import type { Entity } from '../declarative/normalize.js'
import { ENTITY_BY_NAME } from '../declarative/schema/entities/index.js'
import type { EntitySchema, Field, PluginSchemaLookup } from '../declarative/schema/types.js'
import type { Snapshot } from '../declarative/snapshot.js'
import { indexEntities, type SnapshotIndex } from '../declarative/snapshot-index.js'
import { isReference } from '../declarative/vault/reference.js'
import { unresolvedEntity } from '../declarative/vault/unresolved.js'
import { isRecord } from '../util/json.js'

/** What a secret is shown as, as Kong shows sensitive settings. */
export const MASK = '******'

/** One side of a diff. */
export interface DiffSide {
  readonly source: string
  readonly configuration_hash: string
}

/** An entity added or removed: its id and the name it is known by, when it has one to show. */
export interface EntityRef {
  readonly id: string
  readonly name?: string
}

/** One field that differs; a path such as `config.minute` or `paths`, null for absent. */
export interface FieldChange {
  readonly path: string
  readonly from: unknown
  readonly to: unknown
}

/** An entity on both sides whose fields differ. */
export interface ChangedEntity extends EntityRef {
  readonly fields: readonly FieldChange[]
}

/** The differences in one collection. */
export interface CollectionDiff {
  readonly added: readonly EntityRef[]
  readonly removed: readonly EntityRef[]
  readonly changed: readonly ChangedEntity[]
}

/** The whole diff: the `--json` document of `config diff`. */
export interface ConfigDiff {
  /** True when the configuration hashes are equal: a node would see no change. */
  readonly equal: boolean
  readonly from: DiffSide
  readonly to: DiffSide
  /** Only the collections that differ, in the order a config file lists them. */
  readonly collections: Readonly<Record<string, CollectionDiff>>
}

/** Fields that say when, not what; the hash leaves them out too. */
const TIMESTAMPS = new Set(['created_at', 'updated_at'])

/** Field names that hold secrets wherever they appear (credentials, plugin configs). */
const SECRET_NAME = /(^|_)(password|passwd|secret|token|key|apikey)$/i

/** Up to this many differing generated-or-written values, every split of them is tried against the hash. */
const MAX_SEARCHED = 6

/** The collections named first, as a config file lists them; the others follow by name. */
const ORDER = ['services', 'routes', 'consumers', 'plugins', 'upstreams', 'targets']

/** Compares two loaded snapshots; `pluginSchemas` tells which plugin config fields are secrets. */
export function diffSnapshots(from: Snapshot, to: Snapshot, pluginSchemas: PluginSchemaLookup): ConfigDiff {
  const sides = { from: { source: from.source, configuration_hash: from.hash }, to: { source: to.source, configuration_hash: to.hash } }
  if (from.hash === to.hash) return { equal: true, ...sides, collections: {} }
  const generatedFrom = generatedValues(from, to, pluginSchemas)
  const generatedTo = generatedValues(to, from, pluginSchemas)
  const collections: Record<string, CollectionDiff> = {}
  for (const name of collectionOrder(from, to)) {
    if (from.hashes[hashGroupOf(name)] === to.hashes[hashGroupOf(name)]) continue
    const diff = diffCollection(name, from, to, { pluginSchemas, generatedFrom, generatedTo })
    if (diff.added.length + diff.removed.length + diff.changed.length > 0) collections[name] = diff
  }
  return { equal: false, ...sides, collections }
}

function collectionOrder(a: Snapshot, b: Snapshot): string[] {
  const names = new Set([...Object.keys(a.entities), ...Object.keys(b.entities)])
  const rank = (n: string): number => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length)
  return [...names].sort((x, y) => rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0))
}

interface DiffContext {
  readonly pluginSchemas: PluginSchemaLookup
  /** Keys (`collection id field`) of values the node generated because the file left them out. */
  readonly generatedFrom: ReadonlySet<string>
  readonly generatedTo: ReadonlySet<string>
}

function diffCollection(collection: string, from: Snapshot, to: Snapshot, ctx: DiffContext): CollectionDiff {
  const before = new Map((from.entities[collection] ?? []).map((e) => [e.id, e]))
  const after = new Map((to.entities[collection] ?? []).map((e) => [e.id, e]))
  const schema = ENTITY_BY_NAME.get(collection)
  const added: EntityRef[] = []
  const removed: EntityRef[] = []
  const changed: ChangedEntity[] = []
  for (const [id, entity] of before) if (!after.has(id)) removed.push(refOf(collection, entity, from, ctx.pluginSchemas))
  for (const [id, entity] of after) {
    const old = before.get(id)
    if (old === undefined) {
      added.push(refOf(collection, entity, to, ctx.pluginSchemas))
      continue
    }
    const a = unresolvedEntity(from, collection, old) as Record<string, unknown>
    const b = unresolvedEntity(to, collection, entity) as Record<string, unknown>
    const fields: FieldChange[] = []
    const names = new Set([...Object.keys(a), ...Object.keys(b)])
    for (const name of [...names].sort()) {
      if (TIMESTAMPS.has(name)) continue
      const key = `${collection}\0${id}\0${name}`
      // A value the node made up was not in the file: absent, as far as the diff goes.
      const was = ctx.generatedFrom.has(key) ? null : a[name]
      const is = ctx.generatedTo.has(key) ? null : b[name]
      const field = fieldOf(schema, name, b, ctx.pluginSchemas) ?? fieldOf(schema, name, a, ctx.pluginSchemas)
      if (field?.type === 'foreign') {
        const [x, y] = [foreignRef(was, field.reference, from, ctx.pluginSchemas), foreignRef(is, field.reference, to, ctx.pluginSchemas)]
        if (x?.id !== y?.id) fields.push({ path: name, from: x, to: y })
      } else diffValue(name, was, is, field, fields)
    }
    if (fields.length > 0) changed.push({ ...refOf(collection, entity, to, ctx.pluginSchemas), fields })
  }
  return { added: added.sort(byName), removed: removed.sort(byName), changed: changed.sort(byName) }
}

/** By name, the unnamed last, then by id: the order the text lists entities in. */
function byName(a: EntityRef, b: EntityRef): number {
  const x = a.name ?? '\uffff'
  const y = b.name ?? '\uffff'
  return x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** The declared field of an entity's top-level `name`; a plugin's `config` is its plugin's record. */
function fieldOf(schema: EntitySchema | undefined, name: string, record: Readonly<Record<string, unknown>>, plugins: PluginSchemaLookup): Field | undefined {
  if (schema?.name === 'plugins' && name === 'config' && typeof record.name === 'string') return plugins(record.name)?.config
  return schema?.fields[name]
}

/** The declared field under `key` of a record or map field. */
function childField(field: Field | undefined, key: string): Field | undefined {
  if (field?.type === 'record') return field.fields[key]
  if (field?.type === 'map') return field.values
  return undefined
}

/** True when a field's values are secrets or may be (anything a vault reference may stand for). */
function isSecret(name: string, field: Field | undefined): boolean {
  if (SECRET_NAME.test(name)) return true
  if (field === undefined) return false
  if (field.type === 'string') return field.referenceable === true
  if (field.type === 'array' || field.type === 'set') return isSecret('', field.elements)
  if (field.type === 'map') return isSecret('', field.values)
  return false
}

/**
 * A load error as `config diff` prints it: Kong's uniqueness message quotes the duplicated value
 * (`entity with key set to '...'`), which for a key-auth or jwt key is the secret itself.
 */
export function maskQuotedSecrets(text: string): string {
  return text.replace(/(entity with (\S+) set to ')(.*?)(' already declared)/g, (all: string, head: string, field: string, _value: string, tail: string) =>
    isSecret(field, undefined) ? `${head}${MASK}${tail}` : all,
  )
}

/** A secret as shown: absent stays null, a vault reference is shown as written, anything else masked. */
function masked(value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (isReference(value)) return value
  if (Array.isArray(value)) return value.map(masked)
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v)]))
  return MASK
}

/** Appends the differences between `a` and `b` at `path`: records key by key, anything else whole. */
function diffValue(path: string, a: unknown, b: unknown, field: Field | undefined, out: FieldChange[]): void {
  if (sameValue(a, b)) return
  const name = path.slice(path.lastIndexOf('.') + 1)
  if (isRecord(a) && isRecord(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (TIMESTAMPS.has(key)) continue
      diffValue(`${path}.${key}`, a[key], b[key], childField(field, key), out)
    }
    return
  }
  out.push({ path, from: redacted(name, a, field), to: redacted(name, b, field) })
}

/** A value as shown: secrets masked at any depth (a record replacing null may hold one). */
function redacted(name: string, value: unknown, field: Field | undefined): unknown {
  if (value === null || value === undefined) return null
  if (isSecret(name, field)) return masked(value)
  if (Array.isArray(value)) {
    const elements = field?.type === 'array' || field?.type === 'set' ? field.elements : undefined
    return value.map((v) => redacted('', v, elements))
  }
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redacted(k, v, childField(field, k))]))
  return value
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const list = b as unknown[]
    return a.length === list.length && a.every((v, i) => sameValue(v, list[i]))
  }
  const x = a as Record<string, unknown>
  const y = b as Record<string, unknown>
  const keys = new Set([...Object.keys(x), ...Object.keys(y)])
  for (const k of keys) if (!sameValue(x[k], y[k])) return false
  return true
}

/** How an entity is named in the diff: its endpoint key unless that is a secret, else what identifies it. */
function refOf(collection: string, entity: Entity, snapshot: Snapshot, plugins: PluginSchemaLookup): EntityRef {
  const name = nameOf(collection, entity, snapshot, plugins)
  return name === undefined ? { id: entity.id } : { id: entity.id, name }
}

function nameOf(collection: string, entity: Entity, snapshot: Snapshot, plugins: PluginSchemaLookup): string | undefined {
  const record = entity as Record<string, unknown>
  const schema = ENTITY_BY_NAME.get(collection)
  const key = schema?.endpointKey
  if (key !== undefined && typeof record[key] === 'string' && !isSecret(key, fieldOf(schema, key, record, plugins))) return record[key]
  if (collection === 'plugins' && typeof record.name === 'string') return `${record.name}${pluginScope(record, snapshot, plugins)}`
  if (collection === 'targets' && typeof record.target === 'string') return record.target
  const consumer = record.consumer
  if (isRecord(consumer) && typeof consumer.id === 'string') {
    const owner = entityById(snapshot, 'consumers', consumer.id)
    const who = [owner?.username, owner?.custom_id].find((v): v is string => typeof v === 'string') ?? consumer.id
    return collection === 'acls' && typeof record.group === 'string' ? `${record.group} of consumer ${who}` : `of consumer ${who}`
  }
  return undefined
}

const INDEXES = new WeakMap<Snapshot, SnapshotIndex>()

/** An entity of a snapshot by id, from the snapshot's index, built on first use. */
function entityById(snapshot: Snapshot, collection: string, id: string): Entity | undefined {
  let index = INDEXES.get(snapshot)
  if (index === undefined) INDEXES.set(snapshot, (index = indexEntities(snapshot.entities)))
  return index.byId(collection, id)
}

/** A reference to another entity as shown: its id and name; null for none. */
function foreignRef(value: unknown, collection: string, snapshot: Snapshot, plugins: PluginSchemaLookup): EntityRef | null {
  if (!isRecord(value) || typeof value.id !== 'string') return null
  const target = entityById(snapshot, collection, value.id)
  return target === undefined ? { id: value.id } : refOf(collection, target, snapshot, plugins)
}

/** Where a plugin runs, when not everywhere: ` on service orders`, ` for consumer bob`. */
function pluginScope(record: Readonly<Record<string, unknown>>, snapshot: Snapshot, plugins: PluginSchemaLookup): string {
  const parts: string[] = []
  for (const [field, collection, word] of [['route', 'routes', 'on route'], ['service', 'services', 'on service'], ['consumer', 'consumers', 'for consumer']] as const) {
    const ref = foreignRef(record[field], collection, snapshot, plugins)
    if (ref !== null) parts.push(`${word} ${ref.name ?? ref.id}`)
  }
  return parts.length === 0 ? '' : ` ${parts.join(' ')}`
}

/**
 * The values the node generated in `snapshot` (an absent credential key or secret gets a random
 * one at each load) among those that differ from `other`'s, as `collection id field` keys. The
 * hash is taken before they are filled, so nulling exactly the generated values gives back the
 * snapshot's `rest` group hash. Known: a value equal on both sides was written (a random one
 * would not repeat); an endpoint key (key-auth `key`) was written when the id derives from it.
 * Guessed: which of the values that differ are generated, and whether those of entities on
 * this side only are all generated or all written. When no guess gives back the hash, none is
 * taken as generated: the diff rather shows a generated value as
 * changed (masked) than hides a change.
 */
function generatedValues(snapshot: Snapshot, other: Snapshot, pluginSchemas: PluginSchemaLookup): ReadonlySet<string> {
  const differing = new Set<string>()
  const oneSided = new Set<string>()
  const entities: Record<string, Entity[]> = {}
  const all: Readonly<Record<string, readonly Entity[]>> = snapshot.entities
  for (const collection of Object.keys(all)) {
    const schema = ENTITY_BY_NAME.get(collection)
    const auto = autoFields(schema)
    const theirs = auto.length === 0 ? undefined : new Map((other.entities[collection] ?? []).map((e: Entity) => [e.id, e as Record<string, unknown>]))
    entities[collection] = all[collection].map((entity: Entity) => {
      const record = unresolvedEntity(snapshot, collection, entity) as Record<string, unknown>
      if (theirs === undefined) return record as Entity
      const counterpart = theirs.get(entity.id)
      for (const f of auto) {
        const value = record[f]
        if (value === null || value === undefined) continue
        const key = `${collection}\0${entity.id}\0${f}`
        if (counterpart === undefined) {
          if (f !== schema?.endpointKey || typeof value !== 'string' || entity.id !== deterministicId(collection, value)) oneSided.add(key)
        } else if (counterpart[f] !== value) differing.add(key)
      }
      return record as Entity
    })
  }
  if (differing.size === 0) return differing
  const restWith = (generated: ReadonlySet<string>): string => {
    const nulled: Record<string, Entity[]> = {}
    for (const [collection, list] of Object.entries(entities)) {
      // Only the collections outside the named groups make up `rest`.
      if (hashGroupOf(collection) !== 'rest') continue
      const auto = autoFields(ENTITY_BY_NAME.get(collection))
      nulled[collection] = auto.length === 0 ? list : list.map((e) => {
        const drop = auto.filter((f) => generated.has(`${collection}\0${e.id}\0${f}`))
        return drop.length === 0 ? e : { ...e, ...Object.fromEntries(drop.map((f) => [f, null])) }
      })
    }
    return hashConfig(nulled, { _format_version: '3.0' }, { entitySchema: (c) => ENTITY_BY_NAME.get(c), pluginSchema: pluginSchemas }).rest
  }
  // Every split of a few differing values is tried, most generated first; of many, only "all".
  const list = [...differing]
  const splits = list.length <= MAX_SEARCHED ? 2 ** list.length : 1
  for (let n = 0; n < splits; n++) {
    const generated = new Set(list.filter((_, i) => (n & (1 << i)) === 0))
    if (restWith(new Set([...generated, ...oneSided])) === snapshot.hashes.rest) return generated
    if (oneSided.size > 0 && restWith(generated) === snapshot.hashes.rest) return generated
  }
  return new Set()
}

/** The top-level fields a schema's fillAuto may fill: declared `auto`, neither the id nor a timestamp. */
function autoFields(schema: EntitySchema | undefined): string[] {
  if (schema?.fillAuto === undefined) return []
  return Object.entries(schema.fields)
    .filter(([name, f]) => f.auto === true && name !== 'id' && !TIMESTAMPS.has(name))
    .map(([name]) => name)
}

/** The text form: both hashes, each differing collection's entities, and a summary line. */
export function formatDiff(diff: ConfigDiff): string {
  const lines = [`--- ${diff.from.source} (configuration_hash ${diff.from.configuration_hash})`, `+++ ${diff.to.source} (configuration_hash ${diff.to.configuration_hash})`]
  const counts = { added: 0, removed: 0, changed: 0 }
  for (const [collection, c] of Object.entries(diff.collections)) {
    const noun = ENTITY_BY_NAME.get(collection)?.singular ?? collection
    lines.push(`${collection}:`)
    const label = (e: EntityRef): string => `${noun}${e.name === undefined ? '' : ` ${e.name}`} (id ${e.id})`
    for (const e of c.removed) lines.push(`  - ${label(e)}`)
    for (const e of c.added) lines.push(`  + ${label(e)}`)
    for (const e of c.changed) {
      lines.push(`  ~ ${label(e)}`)
      for (const f of e.fields) lines.push(`      ${f.path}: ${shownValue(f.from)} -> ${shownValue(f.to)}`)
    }
    counts.added += c.added.length
    counts.removed += c.removed.length
    counts.changed += c.changed.length
  }
  lines.push(diff.equal ? 'no differences: the configuration hashes are equal' : `${counts.added} added, ${counts.removed} removed, ${counts.changed} changed`)
  return `${lines.join('\n')}\n`
}

function shownValue(value: unknown): string {
  if (value === MASK) return MASK
  // A reference to another entity (see foreignRef): by name where it has one.
  if (isRecord(value) && typeof value.id === 'string' && Object.keys(value).every((k) => k === 'id' || k === 'name')) {
    return typeof value.name === 'string' ? `${value.name} (id ${value.id})` : `id ${value.id}`
  }
  return JSON.stringify(value)
}
