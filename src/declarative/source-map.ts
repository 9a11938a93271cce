/**
 * Where a path of the loaded document lies in what the user wrote: one text, or several files
 * merged into one document, where `services[12]` may be `services[2]` of the third file.
 */
import type { Position, PositionIndex } from './positions.js'
import type { Path } from './schema/validate.js'

/** A document path's place in the input. */
export interface Place {
  /** The file (or other input) it is in. */
  readonly source: string
  /** Which input, in load order: orders problems across files. */
  readonly file: number
  /** Its path inside that input. */
  readonly at: Path
  readonly position?: Position
}

/** Maps paths of the loaded document to their places. */
export interface Locator {
  /** True when the document was merged from several inputs: places then name their file. */
  readonly multi: boolean
  /** The place of `at`; without `withPosition`, the position is not looked up (no text is read). */
  place(at: Path, withPosition?: boolean): Place
}

/** The locator of a document read from one input; the positions are read at the first call. */
export function singleLocator(source: string, positions: () => PositionIndex | undefined): Locator {
  let index: PositionIndex | undefined
  let read = false
  return {
    multi: false,
    place(at, withPosition = true) {
      if (!withPosition) return { source, file: 0, at }
      if (!read) {
        index = positions()
        read = true
      }
      const position = index?.find(at)
      return { source, file: 0, at, ...(position ? { position } : {}) }
    },
  }
}

/** Order of places: by input, then by line where known (stable otherwise). */
export function byPlace(a: { file: number; line?: number; column?: number }, b: { file: number; line?: number; column?: number }): number {
  if (a.file !== b.file) return a.file - b.file
  if (a.line === undefined || b.line === undefined) return 0
  return a.line - b.line || (a.column ?? 0) - (b.column ?? 0)
}
