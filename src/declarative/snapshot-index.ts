/**
 * Lookups over a snapshot that the admin API and the runtime share: entities by id, by endpoint
 * key (name, username, ...), and the children that point at a parent, so no request scans a list.
 */
import type { Entity } from './normalize.js'
import { ENTITY_BY_NAME } from './schema/entities/index.js'

const NONE: readonly Entity[] = Object.freeze([])

/** Built once per snapshot, collection by collection; read-only once built. */
export class SnapshotIndex {
  readonly #byId = new Map<string, Map<string, Entity>>()
  readonly #byKey = new Map<string, Map<string, Entity>>()
  /** `collection.field` → parent id → children, in the collection's order. */
  readonly #children = new Map<string, Map<string, Entity[]>>()

  /** Indexes a list of entities of `collection` (called once per list or chunk, in order). */
  add(collection: string, entities: readonly Entity[]): void {
    const schema = ENTITY_BY_NAME.get(collection)
    const byId = mapOf(this.#byId, collection)
    const endpointKey = schema?.endpointKey
    const byKey = endpointKey === undefined ? undefined : mapOf(this.#byKey, collection)
    const foreign = schema ? Object.entries(schema.fields).filter(([, f]) => f.type === 'foreign').map(([name]) => name) : []
    for (const entity of entities) {
      byId.set(entity.id, entity)
      if (byKey) {
        const key = entity[endpointKey as string]
        if (typeof key === 'string') byKey.set(key, entity)
      }
      for (const field of foreign) {
        const ref = entity[field] as { id: string } | null | undefined
        if (!ref) continue
        const byParent = mapOf(this.#children, `${collection}.${field}`)
        const list = byParent.get(ref.id)
        if (list) list.push(entity)
        else byParent.set(ref.id, [entity])
      }
    }
  }

  /** The entity of `collection` with this id. */
  byId(collection: string, id: string): Entity | undefined {
    return this.#byId.get(collection)?.get(id)
  }

  /** The entity of `collection` with this endpoint key value (a service's name, a consumer's username). */
  byKey(collection: string, key: string): Entity | undefined {
    return this.#byKey.get(collection)?.get(key)
  }

  /** The entities of `collection` whose foreign `field` references `parentId`. */
  children(collection: string, field: string, parentId: string): readonly Entity[] {
    return this.#children.get(`${collection}.${field}`)?.get(parentId) ?? NONE
  }
}

function mapOf<V>(maps: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let map = maps.get(key)
  if (!map) maps.set(key, (map = new Map<string, V>()))
  return map
}

/** Indexes every collection of a snapshot at once. */
export function indexEntities(entities: Readonly<Record<string, readonly Entity[]>>): SnapshotIndex {
  const index = new SnapshotIndex()
  for (const [collection, list] of Object.entries(entities)) index.add(collection, list)
  return index
}
