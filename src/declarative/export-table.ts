/**
 * A snapshot as Kong exports it (`kong/db/declarative/export.lua`): flat lists by collection,
 * references as plain ids, vault references as written, `_transform: false`. What `GET /config`
 * dumps as YAML and what a control plane sends its data planes as `config_table`; loaded again,
 * it gives the same snapshot hash.
 */
import type { Entity } from './normalize.js'
import { ENTITIES } from './schema/entities/index.js'
import type { Snapshot } from './snapshot.js'
import { unresolvedEntity } from './vault/unresolved.js'

/** The export's document: the meta keys, then one list per non-empty collection. */
export interface ExportTable {
  readonly _format_version: '3.0'
  readonly _transform: false
  readonly [collection: string]: unknown
}

const FOREIGN_KEYS = new Map<string, readonly string[]>(
  ENTITIES.map(({ name, fields }) => [name, Object.keys(fields).filter((k) => fields[k]?.type === 'foreign')]),
)

/** The fields of a collection's entities that reference another entity. */
export function foreignKeysOf(collection: string): readonly string[] {
  return FOREIGN_KEYS.get(collection) ?? []
}

/** One entity as exported: vault references as written, references as plain ids. */
export function exportedEntity(snapshot: Snapshot | undefined, collection: string, entity: Entity): Record<string, unknown> {
  const written = unresolvedEntity(snapshot, collection, entity)
  const foreign = foreignKeysOf(collection)
  if (foreign.length === 0) return written
  const out: Record<string, unknown> = { ...written }
  for (const key of foreign) {
    const value = out[key] as { id: string } | null | undefined
    if (value !== null && value !== undefined) out[key] = value.id
  }
  return out
}

/** The collections an export lists, in the order it lists them (referenced before referencing). */
export function exportedCollections(snapshot: Snapshot | undefined): string[] {
  return ENTITIES.map((e) => e.name).filter((name) => (snapshot?.entities[name]?.length ?? 0) > 0)
}

/** The whole export as one object. */
export function exportTable(snapshot: Snapshot | undefined): ExportTable {
  const table: Record<string, unknown> = { _format_version: '3.0', _transform: false }
  for (const name of exportedCollections(snapshot)) {
    table[name] = (snapshot?.entities[name] ?? []).map((e) => exportedEntity(snapshot, name, e))
  }
  return table as ExportTable
}

