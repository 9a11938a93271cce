/**
 * Deterministic entity ids, derived exactly as Kong derives them: UUIDv5 (RFC 4122, SHA-1) of a
 * key in a per-collection namespace. Written on node:crypto rather than a uuid library because
 * it runs once per entity on every load, and per-call namespace parsing showed in profiles.
 */
import { hash } from 'node:crypto'

/** Kong's root namespace for declarative ids. */
export const ID_NAMESPACE = 'fd02801f-0957-4a15-a55a-c8d9606f30b5'

/** The variant nibble (RFC 4122: binary 10xx) for each hex digit the hash put there. */
const VARIANT: Readonly<Record<string, string>> = Object.fromEntries([...'0123456789abcdef'].map((c, i) => [c, '89ab'[i & 3]]))

/** Namespace bytes followed by the name: one buffer, so hashing is one call. */
let input = Buffer.alloc(1024)

/**
 * UUIDv5 of `name` in the namespace given as 16 bytes. The one-shot `crypto.hash` with hex
 * output is about twice as fast as `createHash()...digest()` at tens of thousands of ids.
 */
function uuidV5(name: string, namespace: Buffer): string {
  const size = 16 + Buffer.byteLength(name, 'utf8')
  if (size > input.length) input = Buffer.alloc(size * 2)
  namespace.copy(input, 0)
  input.write(name, 16, 'utf8')
  const h = hash('sha1', input.subarray(0, size), 'hex')
  // Joined, not concatenated: a template literal leaves a rope that every Map lookup flattens.
  return [h.slice(0, 8), h.slice(8, 12), `5${h.slice(13, 16)}`, (VARIANT[h[16]]) + h.slice(17, 20), h.slice(20, 32)].join('-')
}

const bytesOf = (uuid: string): Buffer => Buffer.from(uuid.replace(/-/g, ''), 'hex')
const ROOT = bytesOf(ID_NAMESPACE)
const namespaces = new Map<string, { text: string; bytes: Buffer }>()

function namespaceOf(collection: string): { text: string; bytes: Buffer } {
  let ns = namespaces.get(collection)
  if (ns === undefined) {
    const text = uuidV5(collection, ROOT)
    ns = { text, bytes: bytesOf(text) }
    namespaces.set(collection, ns)
  }
  return ns
}

/** The UUIDv5 namespace of a collection: uuid_v5(ID_NAMESPACE, collection). */
export function collectionNamespace(collection: string): string {
  return namespaceOf(collection).text
}

/** The id of an entity of `collection` whose identifying key is `key`. */
export function deterministicId(collection: string, key: string): string {
  return uuidV5(key, namespaceOf(collection).bytes)
}

/** UUIDv5 of `name` in any namespace given as a UUID string (Kong's route-split ids, for one). */
export function uuidV5In(namespace: string, name: string): string {
  return uuidV5(name, bytesOf(namespace))
}
