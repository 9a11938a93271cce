/**
 * The declarative engine's entry points: text (or an already-parsed object) in, a frozen
 * Snapshot out, or one DeclarativeConfigError listing every problem with where it is.
 */
import { ConfigParseError, DeclarativeConfigError, MAX_REPORTED_ERRORS, locateIssues, type ConfigIssue } from './errors.js'
import { pathString, sortByPath } from './error-paths.js'
import { hashConfig, initHasher } from './hash.js'
import { mergeDocuments, type ConfigText } from './merge-files.js'
import { NormalizeIssues, normalizeConfig, type Entity, type NotRunPlugin } from './normalize.js'
import { DEFAULT_LIMITS, checkTree, parseConfigText, type ParseLimits, type TextFormat } from './parse.js'
import { PositionIndex } from './positions.js'
import { ENTITY_BY_NAME } from './schema/entities/index.js'
import type { PluginSchemaLookup } from './schema/types.js'
import { deepFreeze, type Snapshot } from './snapshot.js'
import { singleLocator, type Locator } from './source-map.js'
import type { Environment } from './vault/env-vault.js'
import { setValueAt } from './vault/find-references.js'

export interface LoadOptions {
  /** Names the input in every error: a file path, or "POST /config". */
  readonly source: string
  /** Finds a plugin's schema by name; injected so declarative/ never imports plugins/. */
  readonly pluginSchemas: PluginSchemaLookup
  /** `json`/`yaml` for files (by extension), `auto` for strings: JSON first, then YAML. */
  readonly format?: TextFormat
  readonly limits?: ParseLimits
  /** The clock used for created_at/updated_at and loadedAt; milliseconds. */
  readonly now?: () => number
  /** The environment `{vault://env/...}` references read; process.env when absent. */
  readonly env?: Environment
  /**
   * False leaves vault references unresolved and unchecked, as Kong's control plane does: for
   * computing a hash where the secrets are not at hand. True (the default) for anything served.
   */
  readonly resolveVaultReferences?: boolean
}

/**
 * Loads config text. Throws ConfigParseError when the text cannot be read, and
 * DeclarativeConfigError when it reads but is not a valid configuration.
 */
export async function loadDeclarative(text: string, options: LoadOptions): Promise<Snapshot> {
  const start = performance.now()
  const doc = parseConfigText(text, options.source, options.format ?? 'auto', options.limits ?? DEFAULT_LIMITS)
  return build(doc as Record<string, unknown>, options, singleLocator(options.source, () => new PositionIndex(text)), [], start)
}

/**
 * Loads several config texts as one config: each a whole document, their collections
 * concatenated in order (see merge-files.ts). One text loads exactly as loadDeclarative loads
 * it. The snapshot's source lists the texts' sources, comma-separated; every error and warning
 * names its own text.
 */
export async function loadDeclarativeFiles(texts: readonly ConfigText[], options: Omit<LoadOptions, 'source' | 'format'>): Promise<Snapshot> {
  if (texts.length === 0) throw new Error('loadDeclarativeFiles needs at least one text')
  if (texts.length === 1) return loadDeclarative(texts[0].text, { ...options, source: texts[0].source, format: texts[0].format })
  const start = performance.now()
  const limits = options.limits ?? DEFAULT_LIMITS
  const docs = texts.map((t) => parseConfigText(t.text, t.source, t.format, limits) as Record<string, unknown>)
  const merged = mergeDocuments(texts, docs)
  return build(merged.doc, { ...options, source: texts.map((t) => t.source).join(', ') }, merged.locator, merged.issues, start)
}

/**
 * Loads an already-parsed config object (a JSON body), within the same bounds as text; errors
 * carry paths but no lines.
 */
export async function loadDeclarativeObject(value: unknown, options: LoadOptions): Promise<Snapshot> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigParseError('expected an object', options.source)
  }
  checkTree(value, options.source, options.limits ?? DEFAULT_LIMITS)
  return build(value as Record<string, unknown>, options, singleLocator(options.source, () => undefined), [], performance.now())
}

async function build(
  doc: Record<string, unknown>,
  options: LoadOptions,
  locator: Locator,
  /** Problems already found outside the document the engine sees (a merged file's top level). */
  found: readonly ConfigIssue[],
  start: number,
): Promise<Snapshot> {
  const parsed = performance.now()
  const now = options.now ?? Date.now
  let normalized
  try {
    normalized = normalizeConfig(doc, { pluginSchemas: options.pluginSchemas, now, env: options.env ?? process.env, resolveVaultReferences: options.resolveVaultReferences ?? true })
  } catch (err) {
    if (err instanceof NormalizeIssues) throw new DeclarativeConfigError([...found, ...err.issues], options.source, locator)
    throw err
  }
  if (found.length > 0) throw new DeclarativeConfigError(found, options.source, locator)
  const validated = performance.now()
  await initHasher()
  // `_transform` is not hashed: what it changes (stored password digests) is in the entities.
  const hashes = hashConfig(normalized.entities, { _format_version: '3.0' }, { entitySchema: (c) => ENTITY_BY_NAME.get(c), pluginSchema: options.pluginSchemas })
  const hashed = performance.now()
  // Kong hashes references as written, so a rotated secret keeps the hash; the secrets go in now.
  for (const r of normalized.references) setValueAt(r.record, r.path, r.value)
  const references = normalized.references.map((r) => ({ collection: r.collection, id: r.record.id as string, path: r.path, reference: r.reference }))
  const loadedAt = now()
  const located = normalized.warnings.length === 0 ? [] : locateIssues(sortByPath(normalized.warnings, (w) => w.at).slice(0, MAX_REPORTED_ERRORS), locator)
  // By path, without a line: finding lines means reading the whole text again, and nearly
  // every config carries a plugin.
  const warnings = [...located, ...normalized.notRun.map((p) => {
    const place = locator.place(p.at, false)
    return { source: place.source, path: pathString(place.at), message: notRunMessage(p) }
  })]
  // Filled and frozen in document order, the order the records lie in memory; sorted last.
  const entities: Record<string, readonly Entity[]> = {}
  for (const [collection, list] of Object.entries(normalized.entities)) {
    const fill = ENTITY_BY_NAME.get(collection)?.fillAuto
    for (const entity of list) deepFreeze(fillAuto(entity as Record<string, unknown>, collection, loadedAt, fill))
    entities[collection] = Object.freeze([...list].sort(byId))
  }
  const done = performance.now()
  return deepFreeze({
    formatVersion: '3.0',
    transform: normalized.transform,
    entities,
    hash: hashes.config,
    hashes,
    source: options.source,
    loadedAt,
    timings: { parse: parsed - start, validate: validated - parsed, hash: hashed - validated, total: done - start },
    warnings,
    references,
  })
}

/** What a node that does not run a plugin says of it at load. */
function notRunMessage({ name, count }: NotRunPlugin): string {
  const where = count === 1 ? '' : ` (${count} instances; the first is here)`
  return `plugin '${name}' is validated but not run by this node yet${where}: requests pass as if it were absent`
}

const byId = (a: Entity, b: Entity): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** Node-generated values that never feed the hash: time stamps and random secrets. */
function fillAuto(
  entity: Record<string, unknown>,
  collection: string,
  loadedAt: number,
  fill: ((r: Record<string, unknown>) => void) | undefined,
): Record<string, unknown> {
  const stamp = collection === 'targets' ? Math.floor(loadedAt) / 1000 : Math.floor(loadedAt / 1000)
  if ('created_at' in entity && entity.created_at === null) entity.created_at = stamp
  if ('updated_at' in entity && entity.updated_at === null) entity.updated_at = stamp
  fill?.(entity)
  return entity
}
