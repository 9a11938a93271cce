/** Deterministic entity ids, derived exactly as Kong derives them (UUIDv5 per collection). */
import { v5 } from 'uuid'

/** Kong's root namespace for declarative ids. */
export const ID_NAMESPACE = 'fd02801f-0957-4a15-a55a-c8d9606f30b5'

const namespaces = new Map<string, string>()

/** The UUIDv5 namespace of a collection: uuid_v5(ID_NAMESPACE, collection). */
export function collectionNamespace(collection: string): string {
  let ns = namespaces.get(collection)
  if (ns === undefined) {
    ns = v5(collection, ID_NAMESPACE)
    namespaces.set(collection, ns)
  }
  return ns
}

/** The id of an entity of `collection` whose identifying key is `key`. */
export function deterministicId(collection: string, key: string): string {
  return v5(key, collectionNamespace(collection))
}
