/**
 * Plain config data to normalized entities: meta keys, format migration, per-entity schemas and
 * shorthands, nesting flattened with parent keys, deterministic ids, uniqueness and references.
 * Pure: the same document always yields the same entities, or the same list of problems.
 */
import { createHash } from 'node:crypto'
import { canonicalJson } from './canonical.js'
import type { ConfigIssue, EntityOrigin } from './errors.js'
import { deterministicId } from './ids.js'
import { migrateRoutePaths } from './migrate.js'
import { DEFAULT_PLUGIN_PROTOCOLS, ENTITIES, ENTITY_BY_NAME, nestingsOf, type Nesting } from './schema/entities/index.js'
import type { EntitySchema, PluginSchema, PluginSchemaLookup, RecordField, Shorthand } from './schema/types.js'
import { defineKey, isRecord } from '../util/json.js'
import { IssueSink, child, validateField, validateRecord, type Path } from './schema/validate.js'

/** The format versions Kong reads; older ones are migrated to 3.0. */
export const FORMAT_VERSIONS = ['1.1', '2.1', '3.0'] as const

/** One stored entity: every schema field present, references as `{id}`. */
export type Entity = Readonly<Record<string, unknown>> & { readonly id: string }

/**
 * The outcome of normalization: entities by collection, each list in document order (parents
 * before their nested children), which is also the order the records lie in memory.
 */
export interface NormalizedConfig {
  readonly formatVersion: '3.0'
  readonly transform: boolean
  readonly entities: Readonly<Record<string, readonly Entity[]>>
}

export interface NormalizeOptions {
  readonly pluginSchemas: PluginSchemaLookup
}

/** Problems found; thrown as a DeclarativeConfigError by the caller, which knows the source. */
export class NormalizeIssues extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`${issues.length} problem(s) in the configuration`)
  }
}

/**
 * One entity while it is normalized. Where it was written and the origin errors echo are worked
 * out only when asked for: a valid config never needs them, and every object a load keeps
 * alive is one the garbage collector copies.
 */
class Node {
  record: Record<string, unknown> = EMPTY_RECORD
  id = ''
  children: Node[] | undefined
  /** Foreign fields written as nested records (a service's `client_certificate`). */
  embedded: { field: string; node: Node }[] | undefined
  #origin: EntityOrigin | undefined

  constructor(
    readonly schema: EntitySchema,
    readonly input: Record<string, unknown>,
    /** The entity this one is written inside, if any: its nesting parent or the embedder. */
    readonly owner: Node | undefined,
    /** The key it is written under: its collection at top level or nested, else the field. */
    readonly key: string,
    /** Its index in that list, or -1 for an embedded record. */
    readonly index: number,
    /** The foreign field that points at the nesting parent; unset for embedded records. */
    readonly parentField: string | undefined,
  ) {}

  /** The nesting parent, whose id this entity's parentField takes. */
  get parent(): Node | undefined {
    return this.parentField === undefined ? undefined : this.owner
  }

  /** Document path of the entity (`['services', 0, 'routes', 1]`). */
  get at(): Path {
    return pathOf(this.owner, this.key, this.index)
  }

  get origin(): EntityOrigin {
    if (this.#origin) return this.#origin
    const { schema, input, parentField, owner } = this
    const base = { collection: schema.name, singular: schema.singular, at: this.at, input, nested: planOf(schema).nestedNames }
    this.#origin = parentField && owner ? { ...base, parent: { field: parentField, id: owner.input.id } } : base
    return this.#origin
  }
}

const EMPTY_RECORD: Record<string, unknown> = Object.freeze({})

/** The document path of what is written at `key` (and `index`, unless -1) inside `owner`. */
function pathOf(owner: Node | undefined, key: string, index: number): Path {
  const up = owner ? owner.at : []
  return index < 0 ? [...up, key] : [...up, key, index]
}

const PARENT_REF = Object.freeze({ id: '00000000-0000-0000-0000-000000000000' })

const META = new Set(['_format_version', '_transform', '_comment', '_ignore'])

/** Normalizes a parsed document, or throws NormalizeIssues listing every problem. */
export function normalizeConfig(doc: Record<string, unknown>, options: NormalizeOptions): NormalizedConfig {
  const issues: ConfigIssue[] = []
  const topIssue = (key: string, message: string): void => {
    issues.push({ kind: 'field', key: [key], at: [key], message })
  }

  const version = doc._format_version
  if (version === undefined || version === null) topIssue('_format_version', 'required field missing')
  else if (typeof version !== 'string') topIssue('_format_version', 'expected a string')
  else if (!(FORMAT_VERSIONS as readonly string[]).includes(version)) {
    topIssue('_format_version', `expected one of: ${FORMAT_VERSIONS.join(', ')}`)
  }
  if (doc._transform !== undefined && typeof doc._transform !== 'boolean') topIssue('_transform', 'expected a boolean')
  checkCommentAndIgnore(doc, [], issues)

  const collections: [EntitySchema, unknown[]][] = []
  for (const key of Object.keys(doc)) {
    if (!META.has(key) && !ENTITY_BY_NAME.has(key)) topIssue(key, 'unknown field')
  }
  for (const schema of ENTITIES) {
    const value = doc[schema.name]
    if (value === undefined || value === null) continue
    if (isRecord(value) && Object.keys(value).length === 0) continue
    if (!Array.isArray(value)) {
      topIssue(schema.name, 'expected an array')
      continue
    }
    collections.push([schema, value])
  }

  if (version === '1.1' || version === '2.1') migrateRoutePaths(doc)

  const builder = new NodeBuilder(options, issues)
  const roots: Node[] = []
  for (const [schema, items] of collections) {
    for (let i = 0; i < items.length; i++) {
      const node = builder.build(schema, items[i], undefined, schema.name, i)
      if (node) roots.push(node)
    }
  }
  if (issues.length > 0) throw new NormalizeIssues(issues)

  const all = assignIds(roots)
  const index = checkUniqueness(all, issues)
  resolveReferences(all, index, issues)
  if (issues.length > 0) throw new NormalizeIssues(issues)

  const transform = doc._transform !== false
  const entities: Record<string, Entity[]> = {}
  for (const node of all) {
    if (transform) node.schema.transform?.(node.record)
    const list = entities[node.schema.name] ?? []
    list.push(node.record as Entity)
    entities[node.schema.name] = list
  }
  return { formatVersion: '3.0', transform, entities }
}

function checkCommentAndIgnore(value: Record<string, unknown>, at: Path, issues: ConfigIssue[], entity?: EntityOrigin): void {
  const add = (field: string, message: string): void => {
    issues.push({ kind: 'field', key: [...at, field], at: [...at, field], message, ...(entity ? { entity, field } : {}) })
  }
  if (value._comment !== undefined && typeof value._comment !== 'string') add('_comment', 'expected a string')
  if (value._ignore !== undefined && !Array.isArray(value._ignore)) add('_ignore', 'expected an array')
}

class NodeBuilder {
  constructor(
    private readonly options: NormalizeOptions,
    private readonly issues: ConfigIssue[],
  ) {}

  /** Validates one entity (and, recursively, its nested children) into a Node. */
  build(schema: EntitySchema, input: unknown, owner: Node | undefined, key: string, index: number, parentField?: string): Node | undefined {
    if (!isRecord(input)) {
      const at = pathOf(owner, key, index)
      this.issues.push({ kind: 'field', key: at, at, message: 'expected a record' })
      return undefined
    }
    const node = new Node(schema, input, owner, key, index, parentField)
    const parent = node.parent
    const plan = planOf(schema)
    if (input._comment !== undefined || input._ignore !== undefined) checkCommentAndIgnore(input, node.at, this.issues, node.origin)

    const work: Record<string, unknown> = {}
    for (const k in input) {
      if (!Object.hasOwn(input, k) || plan.skip.has(k)) continue
      defineKey(work, k, input[k])
    }
    const sink = new IssueSink()
    let embedded: { field: string; input: Record<string, unknown>; schema: EntitySchema }[] | undefined
    for (const { name: field, reference } of plan.foreign) {
      const value = work[field]
      if (parent && field === parentField) {
        if (value !== undefined && value !== null && !refersTo(value, parent)) sink.field([field], 'value must be null')
        // A placeholder until ids exist; assignIds writes the parent's real id.
        work[field] = PARENT_REF
      } else if (value === undefined || value === null) {
        continue
      } else if (parent) {
        sink.field([field], 'value must be null')
        work[field] = undefined
      } else if (isRecord(value) && Object.keys(value).some((k) => k !== 'id')) {
        const target = ENTITY_BY_NAME.get(reference)
        if (target) {
          ;(embedded ??= []).push({ field, input: value, schema: target })
          work[field] = undefined
        }
      }
    }
    schema.prepare?.(work)
    for (const [name, expand] of plan.shorthands) {
      const value = work[name]
      if (value === undefined) continue
      work[name] = undefined
      const result = expand(value, work)
      if (result.error !== undefined) sink.field([name], result.error)
      else Object.assign(work, result.fields)
    }
    const record = schema.name === 'plugins' ? this.#plugin(work, sink, plan) : validateRecord(schema, work, undefined, sink, plan.allowed)
    if (sink.empty) schema.finish?.(record)
    node.record = record
    node.id = typeof record.id === 'string' ? record.id : ''
    if (!sink.empty) {
      const at = node.at
      for (const issue of sink.issues) {
        const where = [...at, ...issue.path]
        this.issues.push({
          kind: issue.entity ? 'entity' : 'field',
          key: where,
          at: where,
          message: issue.message,
          entity: node.origin,
          ...(issue.entity ? {} : { field: issue.path.join('.') }),
        })
      }
    }

    if (embedded) {
      for (const e of embedded) {
        const child = this.build(e.schema, e.input, node, e.field, -1)
        if (child) (node.embedded ??= []).push({ field: e.field, node: child })
      }
    }
    for (const { child, field } of plan.nestings) {
      const value = input[child.name]
      if (value === undefined || value === null) continue
      if (!Array.isArray(value)) {
        if (isRecord(value) && Object.keys(value).length === 0) continue
        const at = [...node.at, child.name]
        this.issues.push({ kind: 'field', key: at, at, message: 'expected an array', entity: node.origin, field: child.name })
        continue
      }
      for (let j = 0; j < value.length; j++) {
        const built = this.build(child, value[j], node, child.name, j, field)
        if (built) (node.children ??= []).push(built)
      }
    }
    return node
  }

  /** Plugins validate their `config` against the named plugin's own schema. */
  #plugin(work: Record<string, unknown>, sink: IssueSink, plan: Plan): Record<string, unknown> {
    const name = work.name
    const plugin = typeof name === 'string' ? this.options.pluginSchemas(name) : undefined
    if (work.protocols === undefined) work.protocols = [...(plugin?.protocols ?? DEFAULT_PLUGIN_PROTOCOLS)]
    const schema = ENTITY_BY_NAME.get('plugins') as EntitySchema
    const record = validateRecord(schema, work, undefined, sink, plan.allowed)
    if (typeof name === 'string' && !plugin) {
      sink.field(['name'], `plugin '${name}' not enabled; add it to the 'plugins' configuration property`)
      return record
    }
    if (!plugin) return record
    record.config = validateField(requiredConfig(plugin), work.config, child(undefined, 'config'), sink)
    if (plugin.noConsumer && record.consumer !== null) sink.field(['consumer'], 'value must be null')
    if (plugin.noRoute && record.route !== null) sink.field(['route'], 'value must be null')
    if (plugin.noService && record.service !== null) sink.field(['service'], 'value must be null')
    return record
  }
}

const CONFIG_FIELDS = new WeakMap<PluginSchema, RecordField>()

/** A plugin's `config` record as a required field (absent means all defaults); one per plugin. */
function requiredConfig(plugin: PluginSchema): RecordField {
  let field = CONFIG_FIELDS.get(plugin)
  if (!field) {
    field = { ...plugin.config, required: true }
    CONFIG_FIELDS.set(plugin, field)
  }
  return field
}

/** Whether a nested child's parent reference names its own parent (tolerated, as in Kong). */
function refersTo(value: unknown, parent: Node): boolean {
  const input = parent.input
  const key = parent.schema.endpointKey
  if (typeof value === 'string') return value === input.id || (key !== undefined && value === input[key])
  return isRecord(value) && value.id !== undefined && value.id === input.id
}

/** Every node, parents before children, embedded records before the entity that embeds them. */
function flatten(roots: readonly Node[]): Node[] {
  const out: Node[] = []
  const visit = (node: Node): void => {
    if (node.embedded) for (const e of node.embedded) visit(e.node)
    out.push(node)
    if (node.children) for (const child of node.children) visit(child)
  }
  roots.forEach(visit)
  return out
}

/**
 * Kong's deterministic ids (cache key, else endpoint key). Where Kong would pick a random id we
 * derive one from the entity's content, so reloading the same config yields the same ids and
 * the same hash.
 */
function assignIds(roots: readonly Node[]): Node[] {
  const all = flatten(roots)
  const digests = new Map<Node, string>()
  const digest = (node: Node): string => {
    let d = digests.get(node)
    if (d !== undefined) return d
    const own: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(node.record)) {
      if (k === 'id' || k === 'created_at' || k === 'updated_at' || k === node.parentField) continue
      own[k] = v
    }
    const children = (node.children ?? []).map((c) => `${c.schema.name}:${digest(c)}`).sort()
    const embedded = (node.embedded ?? []).map((e) => `${e.field}:${digest(e.node)}`).sort()
    d = createHash('sha1').update(canonicalJson({ own, children, embedded })).digest('hex')
    digests.set(node, d)
    return d
  }
  const seen = new Map<string, number>()
  for (const node of all.filter((n) => !n.parent)) setIds(node, digest, seen)
  for (const node of all) {
    const parent = node.parent
    if (parent && node.parentField) node.record[node.parentField] = { id: parent.id }
    if (node.embedded) for (const e of node.embedded) node.record[e.field] = { id: e.node.id }
  }
  return all
}

function setIds(node: Node, digest: (n: Node) => string, seen: Map<string, number>): void {
  if (node.embedded) for (const e of node.embedded) setIds(e.node, digest, seen)
  if (node.id === '') {
    const key = cacheKeyOf(node) ?? endpointKeyOf(node)
    if (key !== undefined) {
      node.id = deterministicId(node.schema.name, key)
    } else {
      const d = `${node.schema.name}:${digest(node)}`
      const n = seen.get(d) ?? 0
      seen.set(d, n + 1)
      node.id = deterministicId(node.schema.name, `~content:${d}:${n}`)
    }
  }
  node.record.id = node.id
  if (node.children) for (const child of node.children) setIds(child, digest, seen)
}

function cacheKeyOf(node: Node): string | undefined {
  const fields = node.schema.cacheKey
  if (!fields) return undefined
  const parts: string[] = []
  for (const f of fields) {
    const def = node.schema.fields[f]
    if (!def || def.auto) return undefined
    const v = node.record[f]
    if (def.type === 'foreign') {
      const parent = f === node.parentField ? node.parent : undefined
      if (parent) parts.push(parent.id)
      else parts.push(typeof v === 'string' ? v : '')
    } else if (v === null || v === undefined) {
      if (def.required) return undefined
      parts.push('')
    } else {
      parts.push(String(v))
    }
  }
  return `${node.schema.name}:*:${parts.join(':')}`
}

function endpointKeyOf(node: Node): string | undefined {
  const key = node.schema.endpointKey
  const v = key === undefined ? undefined : node.record[key]
  return typeof v === 'string' ? v : undefined
}

/** How Kong keys reference and unique-field errors: the endpoint key's value, else the id. */
function nameOf(node: Node): string {
  return endpointKeyOf(node) ?? node.id
}

/** How an entity type is read, worked out once per schema instead of per entity. */
interface Plan {
  readonly nestings: readonly Nesting[]
  readonly nestedNames: readonly string[]
  /** Input keys that are not fields: nested collections, `_comment`, `_ignore`, transient ones. */
  readonly skip: ReadonlySet<string>
  /** Shorthand names, which stay in the work record (as undefined) once expanded. */
  readonly allowed: ReadonlySet<string>
  readonly shorthands: readonly (readonly [string, Shorthand])[]
  readonly foreign: readonly { name: string; reference: string }[]
}
const PLANS = new Map<EntitySchema, Plan>()
function planOf(schema: EntitySchema): Plan {
  let plan = PLANS.get(schema)
  if (!plan) {
    const nestings = nestingsOf(schema)
    const nestedNames = nestings.map((n) => n.child.name)
    const shorthands = Object.entries(schema.shorthands ?? {})
    plan = {
      nestings,
      nestedNames,
      skip: new Set(['_comment', '_ignore', ...nestedNames, ...(schema.transient ?? [])]),
      allowed: new Set(shorthands.map(([name]) => name)),
      shorthands,
      foreign: factsOf(schema).foreign,
    }
    PLANS.set(schema, plan)
  }
  return plan
}

/** Per-schema field lists, computed once instead of per entity. */
interface SchemaFacts {
  readonly foreign: readonly { name: string; reference: string }[]
  /** Unique fields other than the endpoint key, with the name of their index. */
  readonly unique: readonly { field: string; index: string }[]
}
const FACTS = new Map<EntitySchema, SchemaFacts>()
function factsOf(schema: EntitySchema): SchemaFacts {
  let facts = FACTS.get(schema)
  if (!facts) {
    const foreign: { name: string; reference: string }[] = []
    const unique: { field: string; index: string }[] = []
    for (const [name, def] of Object.entries(schema.fields)) {
      if (def.type === 'foreign') foreign.push({ name, reference: def.reference })
      if (def.unique && name !== schema.endpointKey) unique.push({ field: name, index: `${schema.name}.${name}` })
    }
    facts = { foreign, unique }
    FACTS.set(schema, facts)
  }
  return facts
}

/** A two-level index: collection, then key. */
class Index<V> {
  readonly #maps = new Map<string, Map<string, V>>()
  get(collection: string, key: string): V | undefined {
    return this.#maps.get(collection)?.get(key)
  }
  /** Stores the value unless the key is taken; returns whether it was stored. */
  add(collection: string, key: string, value: V): boolean {
    let map = this.#maps.get(collection)
    if (!map) this.#maps.set(collection, (map = new Map()))
    if (map.has(key)) return false
    map.set(key, value)
    return true
  }
}

/** Entities by id and by endpoint key, per collection: built while checking uniqueness. */
interface EntityIndex {
  readonly byId: Index<Node>
  readonly byName: Index<Node>
}

function checkUniqueness(all: readonly Node[], issues: ConfigIssue[]): EntityIndex {
  const violation = (node: Node, what: string, value: string): string =>
    `uniqueness violation: '${node.schema.name}' entity with ${what} set to '${value}' already declared`
  const byKey = new Index<Node>()
  const byId = new Index<Node>()
  const byField = new Index<Node>()
  for (const node of all) {
    const collection = node.schema.name
    const ek = node.schema.endpointKey
    const value = endpointKeyOf(node)
    let flagged = false
    if (ek !== undefined && value !== undefined && !byKey.add(collection, value, node)) {
      flagged = true
      issues.push({ kind: 'field', key: node.at, at: [...node.at, ek], message: violation(node, ek, value), entity: node.origin })
    }
    if (!byId.add(collection, node.id, node) && !flagged) {
      issues.push({ kind: 'field', key: node.at, at: node.at, message: violation(node, 'primary key', node.id), entity: node.origin })
    }
    for (const { field, index } of factsOf(node.schema).unique) {
      const v = node.record[field]
      if (v === null || v === undefined) continue
      if (!byField.add(index, String(v), node)) {
        issues.push({
          kind: 'field',
          key: [collection, nameOf(node)],
          at: [...node.at, field],
          message: violation(node, field, String(v)),
          entity: node.origin,
        })
      }
    }
  }
  return { byId, byName: byKey }
}

function resolveReferences(all: readonly Node[], { byId, byName }: EntityIndex, issues: ConfigIssue[]): void {
  for (const node of all) {
    for (const { name: field, reference } of factsOf(node.schema).foreign) {
      if (field === node.parentField) continue
      const value = node.record[field]
      if (value === null || value === undefined || node.embedded?.some((e) => e.field === field)) continue
      const target =
        typeof value === 'string'
          ? (byName.get(reference, value) ?? byId.get(reference, value))
          : byId.get(reference, (value as { id: string }).id)
      if (target) {
        node.record[field] = { id: target.id }
        continue
      }
      const shown = typeof value === 'string' ? value : JSON.stringify(value)
      issues.push({
        kind: 'list',
        key: [node.schema.name, nameOf(node)],
        at: [...node.at, field],
        message: `invalid reference '${field}: ${shown}' (no such entry in '${reference}')`,
        entity: node.origin,
        field,
      })
    }
  }
}
