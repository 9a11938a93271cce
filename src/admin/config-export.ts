/**
 * `GET /config`'s export: Kong's YAML (flat lists, references as plain ids, vault references as
 * written, `_transform: false`) inside `{"config": "..."}`, produced a few milliseconds of work at a time with the event loop
 * free between them, so exporting a big config never stalls the primary.
 */
import { Readable } from 'node:stream'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { dump } from 'js-yaml'
import { ENTITIES } from '../declarative/schema/entities/index.js'
import type { Entity } from '../declarative/normalize.js'
import type { Snapshot } from '../declarative/snapshot.js'
import { unresolvedEntity } from '../declarative/vault/unresolved.js'

/** Entities dumped per YAML piece. */
const STEP = 50

/** How long the export may hold the event loop before it yields, in ms. */
const SLICE_MS = 4

const DUMP_OPTIONS = { noRefs: true, lineWidth: -1 } as const

/** An entity as exported: references as plain ids. */
function exported(entity: Entity, foreign: readonly string[]): Record<string, unknown> {
  if (foreign.length === 0) return entity
  const out: Record<string, unknown> = { ...entity }
  for (const key of foreign) {
    const value = out[key] as { id: string } | null
    if (value !== null && value !== undefined) out[key] = value.id
  }
  return out
}

/** The export's YAML text, piece by piece. */
export async function* exportYamlPieces(snapshot: Snapshot | undefined): AsyncGenerator<string> {
  yield dump({ _format_version: '3.0', _transform: false }, DUMP_OPTIONS)
  let sliceStart = performance.now()
  for (const { name, fields } of ENTITIES) {
    const list = snapshot?.entities[name]
    if (!list || list.length === 0) continue
    const foreign = Object.keys(fields).filter((k) => fields[k]?.type === 'foreign')
    for (let i = 0; i < list.length; i += STEP) {
      const piece = dump({ [name]: list.slice(i, i + STEP).map((e) => exported(unresolvedEntity(snapshot, name, e), foreign)) }, DUMP_OPTIONS)
      // Every piece is dumped under its collection's key; later pieces drop that key's line.
      yield i === 0 ? piece : piece.slice(piece.indexOf('\n') + 1)
      // Time-sliced rather than count-sliced: entities differ in size by orders of magnitude.
      if (performance.now() - sliceStart >= SLICE_MS) {
        await yieldToEventLoop()
        sliceStart = performance.now()
      }
    }
  }
}

/** The whole export as one string (for tests and small configs). */
export async function exportYaml(snapshot: Snapshot | undefined): Promise<string> {
  let out = ''
  for await (const piece of exportYamlPieces(snapshot)) out += piece
  return out
}

/** `{"config":"<yaml>"}` as a stream: each YAML piece escaped as JSON string content. */
export function exportBody(snapshot: Snapshot | undefined): Readable {
  return Readable.from(
    (async function* () {
      yield '{"config":"'
      for await (const piece of exportYamlPieces(snapshot)) yield JSON.stringify(piece).slice(1, -1)
      yield '"}'
    })(),
  )
}
