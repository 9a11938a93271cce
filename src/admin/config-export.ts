/**
 * `GET /config`'s export: Kong's YAML (flat lists, references as plain ids, vault references as
 * written, `_transform: false`) inside `{"config": "..."}`, produced a few milliseconds of work at a time with the event loop
 * free between them, so exporting a big config never stalls the primary.
 */
import { Readable } from 'node:stream'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { dump } from 'js-yaml'
import { exportedCollections, exportedEntity } from '../declarative/export-table.js'
import type { Snapshot } from '../declarative/snapshot.js'

/** Entities dumped per YAML piece. */
const STEP = 50

/** How long the export may hold the event loop before it yields, in ms. */
const SLICE_MS = 4

const DUMP_OPTIONS = { noRefs: true, lineWidth: -1 } as const

/** The export's YAML text, piece by piece. */
export async function* exportYamlPieces(snapshot: Snapshot | undefined): AsyncGenerator<string> {
  yield dump({ _format_version: '3.0', _transform: false }, DUMP_OPTIONS)
  let sliceStart = performance.now()
  for (const name of exportedCollections(snapshot)) {
    const list = snapshot?.entities[name] ?? []
    for (let i = 0; i < list.length; i += STEP) {
      const piece = dump({ [name]: list.slice(i, i + STEP).map((e) => exportedEntity(snapshot, name, e)) }, DUMP_OPTIONS)
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
