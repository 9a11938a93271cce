/**
 * Plain config data to normalized entities: meta keys, format migration, per-entity schemas and
 * shorthands, nesting flattened with parent keys, deterministic ids, uniqueness and references.
 * Pure: the same document always yields the same entities, or the same list of problems.
 */
import { assignIds } from './assign-ids.js'
import { checkCommentAndIgnore, NodeBuilder } from './build-entities.js'
import { checkUniqueness, referencesAsPrimaryKeys, resolveReferences } from './check-references.js'
import type { Node } from './entity-node.js'
import type { ConfigIssue } from './errors.js'
import { migrateRoutePaths } from './migrate.js'
import { ENTITIES, ENTITY_BY_NAME } from './schema/entities/index.js'
import type { EntitySchema, PluginSchemaLookup } from './schema/types.js'
import { isRecord } from '../util/json.js'
import type { Path } from './schema/validate.js'
import type { Environment } from './vault/env-vault.js'

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
  /** What valid entities hold that their authors likely want to know (expired certificates). */
  readonly warnings: readonly ConfigIssue[]
  /** Vault references: each record holds the reference at `path` until load puts `value` there. */
  readonly references: readonly NormalizedReference[]
  /** Enabled plugins this node validates but does not run, one per name, in document order. */
  readonly notRun: readonly NotRunPlugin[]
}

/** A plugin name whose enabled instances would not run here: how many, and where the first is. */
export interface NotRunPlugin {
  readonly name: string
  readonly count: number
  readonly at: Path
}

/** A vault reference in a normalized record, with the secret it resolved to. */
export interface NormalizedReference {
  readonly collection: string
  readonly record: Record<string, unknown>
  readonly path: Path
  readonly reference: string
  readonly value: unknown
}

export interface NormalizeOptions {
  readonly pluginSchemas: PluginSchemaLookup
  /** The clock entity warnings are judged by (certificate validity); milliseconds. */
  readonly now?: () => number
  /** The environment the env vault reads; none when absent. */
  readonly env?: Environment
  /** False accepts vault references as written, unchecked; the default resolves them. */
  readonly resolveVaultReferences?: boolean
}

/** Problems found; thrown as a DeclarativeConfigError by the caller, which knows the source. */
export class NormalizeIssues extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`${issues.length} problem(s) in the configuration`)
  }
}

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

  const warnings: ConfigIssue[] = []
  const builder = new NodeBuilder(options, issues, warnings)
  const roots: Node[] = []
  for (const [schema, items] of collections) {
    for (let i = 0; i < items.length; i++) {
      const node = builder.build(schema, items[i], undefined, schema.name, i)
      if (node) roots.push(node)
    }
  }
  if (referencesAsPrimaryKeys(roots, issues)) throw new NormalizeIssues(issues)

  const all = assignIds(roots, { entitySchema: (c) => ENTITY_BY_NAME.get(c), pluginSchema: options.pluginSchemas })
  const index = checkUniqueness(all, issues)
  resolveReferences(all, index, issues)
  if (issues.length > 0) throw new NormalizeIssues(issues)

  const transform = doc._transform !== false
  const entities: Record<string, Entity[]> = {}
  const references: NormalizedReference[] = []
  for (const node of all) {
    for (const r of node.references ?? []) references.push({ collection: node.schema.name, record: node.record, ...r })
    if (transform) node.schema.transform?.(node.record)
    const list = entities[node.schema.name] ?? []
    list.push(node.record as Entity)
    entities[node.schema.name] = list
  }
  return { formatVersion: '3.0', transform, entities, warnings, references, notRun: notRunPlugins(all, options.pluginSchemas) }
}

/**
 * A plugin this node validates but does not run lets requests through as if it were absent:
 * worth a word at load for an auth or limiting plugin. One word per plugin name (a config may
 * carry a thousand rate-limiting instances); a disabled instance runs nowhere and is not counted.
 */
function notRunPlugins(all: readonly Node[], pluginSchemas: PluginSchemaLookup): NotRunPlugin[] {
  const byName = new Map<string, { name: string; count: number; at: Path }>()
  for (const node of all) {
    if (node.schema.name !== 'plugins') continue
    const { name, enabled } = node.record
    if (typeof name !== 'string' || enabled === false || pluginSchemas(name)?.runs !== false) continue
    const seen = byName.get(name)
    if (seen) seen.count++
    else byName.set(name, { name, count: 1, at: node.at })
  }
  return [...byName.values()]
}
