/**
 * A snapshot as bytes, for handing it from the process that loaded it to the processes that
 * serve it: a header (everything but the entities) and the entities in sections of a few
 * thousand, each in V8's serialization format. A reader deserializes section by section and
 * may yield between them, so a process with a big config to take in keeps serving meanwhile.
 */
import { deserialize, serialize } from 'node:v8'
import type { Entity } from './normalize.js'
import { deepFreeze, type Snapshot } from './snapshot.js'

const MAGIC = 0x4b44534e // "KDSN"
const FORMAT = 1
/** Entities per section: small enough that deserializing one stays a short pause. */
const SECTION_SIZE = 2000

interface Header {
  readonly meta: Omit<Snapshot, 'entities'>
  readonly sections: readonly { readonly collection: string; readonly count: number; readonly length: number }[]
}

/** The bytes of a snapshot, as buffers to write one after the other, and each collection's byte size. */
export function encodeSnapshot(snapshot: Snapshot): { readonly chunks: Buffer[]; readonly bytes: Readonly<Record<string, number>> } {
  const { entities, ...meta } = snapshot
  const bodies: Buffer[] = []
  const sections: { collection: string; count: number; length: number }[] = []
  const bytes: Record<string, number> = {}
  for (const [collection, list] of Object.entries(entities)) {
    bytes[collection] = 0
    for (let i = 0; i < list.length; i += SECTION_SIZE) {
      const slice = list.slice(i, i + SECTION_SIZE)
      const body = serialize(slice)
      bodies.push(body)
      sections.push({ collection, count: slice.length, length: body.length })
      bytes[collection] += body.length
    }
  }
  const header = serialize({ meta, sections } satisfies Header)
  const prefix = Buffer.alloc(12)
  prefix.writeUInt32BE(MAGIC, 0)
  prefix.writeUInt32BE(FORMAT, 4)
  prefix.writeUInt32BE(header.length, 8)
  return { chunks: [prefix, header, ...bodies], bytes }
}

/** Called after each section is read, with the section's entities; may pause the reader. */
export type SectionHook = (collection: string, entities: readonly Entity[]) => void | Promise<void>

/** Reads snapshot bytes back into a frozen Snapshot, calling `onSection` after each section. */
export async function decodeSnapshot(data: Buffer, onSection?: SectionHook): Promise<Snapshot> {
  if (data.length < 12 || data.readUInt32BE(0) !== MAGIC || data.readUInt32BE(4) !== FORMAT) {
    throw new Error('not a snapshot file of this version')
  }
  let at = 12 + data.readUInt32BE(8)
  const header = deserialize(data.subarray(12, at)) as Header
  const lists: Record<string, Entity[]> = {}
  for (const { collection, length } of header.sections) {
    const section = deepFreeze(deserialize(data.subarray(at, at + length)) as Entity[])
    at += length
    const list = (lists[collection] ??= [])
    for (const entity of section) list.push(entity)
    await onSection?.(collection, section)
  }
  const entities: Record<string, readonly Entity[]> = {}
  for (const [collection, list] of Object.entries(lists)) entities[collection] = Object.freeze(list)
  // Entities are frozen already, so this freezes only the header's small objects.
  return deepFreeze({ ...header.meta, entities })
}
