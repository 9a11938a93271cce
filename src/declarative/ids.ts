/**
 * Deterministic entity ids, derived exactly as Kong derives them: UUIDv5 (RFC 4122, SHA-1) of a
 * key in a per-collection namespace. Written on node:crypto rather than a uuid library because
 * it runs once per entity on every load, and per-call namespace parsing showed in profiles.
 */
import { createHash } from 'node:crypto'

/** Kong's root namespace for declarative ids. */
export const ID_NAMESPACE = 'fd02801f-0957-4a15-a55a-c8d9606f30b5'

const HEX = '0123456789abcdef'
const text = Buffer.alloc(36)

/**
 * UUIDv5 of `name` in the namespace given as 16 bytes. Formatted through a buffer so the result
 * is one flat string (concatenation would leave a rope that every JSON.stringify re-flattens).
 */
function uuidV5(name: string, namespace: Buffer): string {
  const h = createHash('sha1').update(namespace).update(name, 'utf8').digest()
  h[6] = ((h[6] as number) & 0x0f) | 0x50
  h[8] = ((h[8] as number) & 0x3f) | 0x80
  let o = 0
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[o++] = 0x2d
    const b = h[i] as number
    text[o++] = HEX.charCodeAt(b >> 4)
    text[o++] = HEX.charCodeAt(b & 15)
  }
  return text.toString('latin1')
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
