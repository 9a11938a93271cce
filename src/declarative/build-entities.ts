/**
 * Builds entity nodes from a parsed document: each entity's own fields validated against its
 * schema (plugins' configs against the plugin's), shorthands expanded and vault references
 * resolved, nested collections followed, every problem recorded with where it is.
 */
import type { ConfigIssue, EntityOrigin } from './errors.js'
import { Node, PARENT_REF, factsOf, pathOf } from './entity-node.js'
import type { NormalizeOptions } from './normalize.js'
import { DEFAULT_PLUGIN_PROTOCOLS, ENTITY_BY_NAME, nestingsOf, type Nesting } from './schema/entities/index.js'
import type { EntitySchema, PluginSchema, PluginSchemaLookup, RecordField, Shorthand } from './schema/types.js'
import { IssueSink, child, runEntityChecks, validateField, validateRecord, type Path } from './schema/validate.js'
import { defineKey, isRecord } from '../util/json.js'
import { findReferences, placeAt, setValueAt, valueAt, type FoundReference } from './vault/find-references.js'
import { ReferenceResolver } from './vault/resolver.js'

export function checkCommentAndIgnore(value: Record<string, unknown>, at: Path, issues: ConfigIssue[], entity?: EntityOrigin): void {
  const add = (field: string, message: string): void => {
    issues.push({ kind: 'field', key: [...at, field], at: [...at, field], message, ...(entity ? { entity, field } : {}) })
  }
  if (value._comment !== undefined && typeof value._comment !== 'string') add('_comment', 'expected a string')
  if (value._ignore !== undefined && !Array.isArray(value._ignore)) add('_ignore', 'expected an array')
}

export class NodeBuilder {
  /** Vaults are read first (ENTITIES order), so the entities after them can use their prefixes. */
  readonly #resolver: ReferenceResolver

  constructor(
    private readonly options: NormalizeOptions,
    private readonly issues: ConfigIssue[],
    /** Where warnings about valid entities go. */
    private readonly warnings: ConfigIssue[] = [],
  ) {
    this.#resolver = new ReferenceResolver(options.env ?? {})
  }

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
    for (const { name: field } of plan.foreign) {
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
      } else if (isRecord(value) && value.id === undefined) {
        // Kong reads a top-level reference as a primary key ({id}), whatever else the record holds.
        sink.field([field, 'id'], 'missing primary key')
        work[field] = undefined
      }
    }
    schema.prepare?.(work)
    expandEntityShorthands(plan.shorthands, work, sink)
    const references = entityReferences(schema, work, this.options.pluginSchemas)
    const unresolved = references.length === 0 ? undefined : this.options.resolveVaultReferences === false ? this.#keep(references) : this.#resolve(references, work)
    const secrets = secretsOf(references, work)
    const record = schema.name === 'plugins' ? this.#plugin(work, sink, plan) : validateRecord(schema, work, undefined, sink, plan.allowed)
    if (unresolved) unresolve(sink, unresolved, record)
    if (sink.empty) schema.finish?.(record)
    if (sink.empty && schema.warnings) {
      for (const w of schema.warnings(record, (this.options.now ?? Date.now)())) {
        const at = w.field === undefined ? node.at : [...node.at, w.field]
        this.warnings.push({ kind: w.field === undefined ? 'entity' : 'field', key: at, at, message: masked(w.message, secrets), entity: node.origin, ...(w.field === undefined ? {} : { field: w.field }) })
      }
    }
    if (sink.empty && references.length > 0) {
      // Ids, uniqueness and the hash read the references as written; load.ts puts the secrets back.
      for (const { path, reference } of references) {
        ;(node.references ??= []).push({ path, reference, value: valueAt(record, path) })
        setValueAt(record, path, reference)
      }
    }
    if (sink.empty && schema.name === 'vaults') {
      this.#resolver.addVault(record.prefix as string, record.name as string, record.config as Record<string, unknown>)
    }
    node.record = record
    node.id = typeof record.id === 'string' ? record.id : ''
    if (!sink.empty) {
      const at = node.at
      for (const issue of sink.issues) {
        const where = [...at, ...issue.path]
        this.issues.push({
          kind: issue.entity ? 'entity' : 'field',
          key: where,
          at: issue.at === undefined ? where : [...at, ...issue.at],
          message: masked(issue.message, secrets),
          entity: node.origin,
          ...(issue.entity ? {} : { field: issue.path.join('.') }),
        })
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


  /**
   * Puts each reference's secret in place of it, so the field's format checks judge the secret;
   * returns the references that did not resolve, with why.
   */
  #resolve(references: FoundReference[], work: Record<string, unknown>): { path: Path; error?: string }[] {
    const failed: { path: Path; error: string }[] = []
    for (let i = references.length - 1; i >= 0; i--) {
      const found = references[i]
      const result = this.#resolver.resolve(found.reference)
      if ('value' in result) {
        placeAt(work, found.path, result.value)
      } else {
        failed.push({ path: found.path, error: result.error })
        references.splice(i, 1)
      }
    }
    return failed
  }

  /** References left as written: their fields' checks are skipped, as Kong skips them for a reference. */
  #keep(references: FoundReference[]): { path: Path; error?: string; reference?: string }[] {
    const kept = references.map((r) => ({ path: r.path, reference: r.reference }))
    references.length = 0
    return kept
  }

  /** Plugins validate their `config` against the named plugin's own schema. */
  #plugin(work: Record<string, unknown>, sink: IssueSink, plan: Plan): Record<string, unknown> {
    return validatePluginRecord(work, sink, this.options.pluginSchemas, plan.allowed)
  }
}

/** The vault references in an entity's referenceable fields, a plugin's config included. */
export function entityReferences(schema: EntitySchema, work: Record<string, unknown>, pluginSchemas: PluginSchemaLookup): FoundReference[] {
  const found = findReferences(schema.fields, work)
  if (schema.name === 'plugins' && typeof work.name === 'string' && isRecord(work.config)) {
    const plugin = pluginSchemas(work.name)
    if (plugin) found.push(...findReferences(plugin.config.fields, work.config, ['config']))
  }
  return found
}

/**
 * Rewrites an entity's sugar (a service `url`) into its real fields, in `work`; each name stays
 * there as undefined once expanded. Problems are reported at the shorthand.
 */
export function expandEntityShorthands(shorthands: readonly (readonly [string, Shorthand])[], work: Record<string, unknown>, sink: IssueSink): void {
  for (const [name, expand] of shorthands) {
    const value = work[name]
    if (value === undefined) continue
    work[name] = undefined
    const result = expand(value, work)
    if (result.error !== undefined) sink.field([name], result.error)
    else Object.assign(work, result.fields)
  }
}

/**
 * Validates a plugin entity's own fields (a working copy, `work`), then its `config` against the
 * named plugin's schema, with Kong's message for a plugin this node does not have.
 */
export function validatePluginRecord(
  work: Record<string, unknown>,
  sink: IssueSink,
  pluginSchemas: PluginSchemaLookup,
  allowed?: ReadonlySet<string>,
): Record<string, unknown> {
  const name = work.name
  const plugin = typeof name === 'string' ? pluginSchemas(name) : undefined
  if (work.protocols === undefined) work.protocols = [...(plugin?.protocols ?? DEFAULT_PLUGIN_PROTOCOLS)]
  const schema = ENTITY_BY_NAME.get('plugins') as EntitySchema
  // A known plugin's config is validated once, by the plugin's own schema below.
  const config = work.config
  if (plugin) work.config = undefined
  const record = validateRecord(schema, work, undefined, sink, allowed)
  if (typeof name === 'string' && !plugin) {
    sink.field(['name'], `plugin '${name}' not enabled; add it to the 'plugins' configuration property`)
    return record
  }
  if (!plugin) return record
  record.config = validateField(requiredConfig(plugin), config, child(undefined, 'config'), sink)
  if (plugin.noConsumer && record.consumer !== null) sink.field(['consumer'], 'value must be null')
  if (plugin.noRoute && record.route !== null) sink.field(['route'], 'value must be null')
  if (plugin.noService && record.service !== null) sink.field(['service'], 'value must be null')
  const accepted = plugin.acceptedProtocols
  if (accepted && Array.isArray(record.protocols)) {
    record.protocols.forEach((p, i) => {
      if (!accepted.includes(p as string)) sink.field(['protocols', i], `expected one of: ${accepted.join(', ')}`)
    })
  }
  if (plugin.entityChecks && sink.empty) runEntityChecks(plugin.entityChecks, record, undefined, sink)
  return record
}

/** Each resolved secret of an entity, with the reference it came from. */
function secretsOf(resolved: readonly FoundReference[], work: Record<string, unknown>): readonly (readonly [string, string])[] {
  const out: [string, string][] = []
  for (const { path, reference } of resolved) {
    const value = valueAt(work, path)
    if (typeof value === 'string' && value !== '' && value !== reference) out.push([value, reference])
  }
  return out
}

/**
 * A message with every resolved secret replaced by its reference: checks judge the secret and
 * some quote the value they refuse, but errors and warnings are logged and answered to clients.
 */
function masked(message: string, secrets: readonly (readonly [string, string])[]): string {
  let out = message
  for (const [secret, reference] of secrets) if (out.includes(secret)) out = out.split(secret).join(reference)
  return out
}

/** Drops the issues about the values at (or inside) `places`: references whose text is not the value to judge. */
export function dropIssuesAt(sink: IssueSink, places: readonly { readonly path: Path }[]): void {
  const under = (issue: { path: Path; at?: Path }, path: Path): boolean => path.every((k, i) => (issue.at ?? issue.path)[i] === k) || path.every((k, i) => issue.path[i] === k)
  const kept = sink.issues.filter((issue) => !places.some((p) => under(issue, p.path)))
  sink.issues.length = 0
  sink.issues.push(...kept)
}

/** Drops what validating a reference's own text said about it; reports why it did not resolve, if it was to. */
function unresolve(sink: IssueSink, failed: readonly { path: Path; error?: string; reference?: string }[], record: Record<string, unknown>): void {
  dropIssuesAt(sink, failed)
  for (const f of failed) {
    if (f.error !== undefined) sink.field(f.path, f.error)
    // Validation nulled the field it refused; a reference kept as written goes back in.
    else if (f.reference !== undefined) setValueAt(record, f.path, f.reference)
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
