/**
 * Entities as written: the vault references in place of the secrets they resolved to, which is
 * what the Admin API and the config export show (Kong never shows a resolved secret there).
 */
import type { Entity } from '../normalize.js'
import type { Snapshot, VaultReference } from '../snapshot.js'

/** References by collection, then entity id; one index per snapshot. */
const INDEXES = new WeakMap<Snapshot, Map<string, Map<string, VaultReference[]>>>()

function indexOf(snapshot: Snapshot): Map<string, Map<string, VaultReference[]>> {
  let index = INDEXES.get(snapshot)
  if (!index) {
    index = new Map<string, Map<string, VaultReference[]>>()
    for (const r of snapshot.references) {
      let byId = index.get(r.collection)
      if (!byId) index.set(r.collection, (byId = new Map<string, VaultReference[]>()))
      const list = byId.get(r.id)
      if (list) list.push(r)
      else byId.set(r.id, [r])
    }
    INDEXES.set(snapshot, index)
  }
  return index
}

/** The entity as written; itself when it holds no reference. */
export function unresolvedEntity(snapshot: Snapshot | undefined, collection: string, entity: Entity): Entity {
  if (!snapshot || snapshot.references.length === 0) return entity
  const refs = indexOf(snapshot).get(collection)?.get(entity.id)
  if (!refs) return entity
  const out = structuredClone(entity) as Record<string | number, unknown>
  for (const { path, reference } of refs) {
    let at = out
    for (let i = 0; i < path.length - 1; i++) at = at[path[i]] as Record<string | number, unknown>
    at[path[path.length - 1]] = reference
  }
  return out as Entity
}

/** A list of entities as written. */
export function unresolvedEntities(snapshot: Snapshot | undefined, collection: string, entities: readonly Entity[]): readonly Entity[] {
  if (!snapshot || snapshot.references.length === 0) return entities
  return entities.map((e) => unresolvedEntity(snapshot, collection, e))
}
