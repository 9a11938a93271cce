/**
 * The declarative engine's entry points: text (or an already-parsed object) in, a frozen
 * Snapshot out, or one DeclarativeConfigError listing every problem with where it is.
 */
import { ConfigParseError, DeclarativeConfigError, MAX_REPORTED_ERRORS, locateIssues } from './errors.js'
import { pathString, sortByPath } from './error-paths.js'
import { hashConfig, initHasher } from './hash.js'
import { NormalizeIssues, normalizeConfig, type Entity, type NotRunPlugin } from './normalize.js'
import { DEFAULT_LIMITS, checkTree, parseConfigText, type ParseLimits, type TextFormat } from './parse.js'
import { PositionIndex } from './positions.js'
import { ENTITY_BY_NAME } from './schema/entities/index.js'
import type { PluginSchemaLookup } from './schema/types.js'
import { deepFreeze, type Snapshot } from './snapshot.js'
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
  return build(doc as Record<string, unknown>, options, () => new PositionIndex(text), start)
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
  return build(value as Record<string, unknown>, options, () => undefined, performance.now())
}

async function build(
  doc: Record<string, unknown>,
  options: LoadOptions,
  positions: () => PositionIndex | undefined,
  start: number,
): Promise<Snapshot> {
  const parsed = performance.now()
  const now = options.now ?? Date.now
  let normalized
  try {
    normalized = normalizeConfig(doc, { pluginSchemas: options.pluginSchemas, now, env: options.env ?? process.env, resolveVaultReferences: options.resolveVaultReferences ?? true })
  } catch (err) {
    if (err instanceof NormalizeIssues) {
      let index: PositionIndex | undefined
      throw new DeclarativeConfigError(err.issues, options.source, () => (index ??= positions()))
    }
    throw err
  }
  const validated = performance.now()
  await initHasher()
  // `_transform` is not hashed: what it changes (stored password digests) is in the entities.
  const hashes = hashConfig(normalized.entities, { _format_version: '3.0' }, { entitySchema: (c) => ENTITY_BY_NAME.get(c), pluginSchema: options.pluginSchemas })
  const hashed = performance.now()
  // Kong hashes references as written, so a rotated secret keeps the hash; the secrets go in now.
  for (const r of normalized.references) setValueAt(r.record, r.path, r.value)
  const references = normalized.references.map((r) => ({ collection: r.collection, id: r.record.id as string, path: r.path, reference: r.reference }))
  const loadedAt = now()
  const located = normalized.warnings.length === 0 ? [] : locateIssues(sortByPath(normalized.warnings, (w) => w.at).slice(0, MAX_REPORTED_ERRORS), options.source, positions())
  // By path, without a line: finding lines means reading the whole text again, and nearly
  // every config carries a plugin.
  const warnings = [...located, ...normalized.notRun.map((p) => ({ source: options.source, path: pathString(p.at), message: notRunMessage(p) }))]
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
