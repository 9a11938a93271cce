/**
 * Several declarative files as one document: each file is a whole config of its own
 * (`_format_version` and all), their collections are concatenated in file order, and every
 * path of the merged document maps back to its file and its path there, for errors and
 * warnings that name the file the user has to open.
 */
import { checkCommentAndIgnore } from './build-entities.js'
import type { ConfigIssue } from './errors.js'
import { PositionIndex } from './positions.js'
import { ENTITIES, ENTITY_BY_NAME } from './schema/entities/index.js'
import type { Path } from './schema/validate.js'
import type { Locator, Place } from './source-map.js'
import type { TextFormat } from './parse.js'
import { isRecord } from '../util/json.js'

/** One config text and where it came from. */
export interface ConfigText {
  /** Names the input in errors: the file path as the user wrote it. */
  readonly source: string
  readonly format: TextFormat
  readonly text: string
}

/** A merged document, the problems only a file of it has, and where its paths came from. */
export interface MergedDocument {
  readonly doc: Record<string, unknown>
  /** Problems of one file's top level (a `_format_version` that differs, an unknown key). */
  readonly issues: readonly ConfigIssue[]
  readonly locator: Locator
}

/**
 * Marks a path that is already a file's own: `[FILE, k, ...path in file k]`. A NUL never
 * reaches a parsed key (the parser refuses it), so no document path starts with it.
 */
const FILE = '\u0000file'

/** The meta keys every file carries, checked against the first file's. */
const META = ['_format_version', '_transform'] as const

/** Where a collection's entries of one file start in the merged list. */
interface Segment {
  readonly file: number
  readonly start: number
}

/** Merges parsed documents (`docs[k]` read from `texts[k]`) into one. */
export function mergeDocuments(texts: readonly ConfigText[], docs: readonly Record<string, unknown>[]): MergedDocument {
  const issues: ConfigIssue[] = []
  const fileIssue = (file: number, key: string, message: string): void => {
    issues.push({ kind: 'field', key: [key], at: [FILE, file, key], message })
  }
  const first = docs[0]
  // The first file's top level is the merged one's: the engine checks it as for a single file.
  const doc: Record<string, unknown> = {}
  for (const key of [...META, '_comment', '_ignore']) if (first[key] !== undefined) doc[key] = first[key]
  for (let k = 1; k < docs.length; k++) {
    const d = docs[k]
    const version = d._format_version
    if (version === undefined || version === null) fileIssue(k, '_format_version', 'required field missing')
    else if (version !== first._format_version) fileIssue(k, '_format_version', `expected '${String(first._format_version)}', as in ${texts[0].source}: merged files share one _format_version`)
    if (d._transform !== undefined && typeof d._transform !== 'boolean') fileIssue(k, '_transform', 'expected a boolean')
    else if ((d._transform ?? true) !== (first._transform ?? true)) {
      fileIssue(k, '_transform', `expected ${JSON.stringify(first._transform ?? true)}, as in ${texts[0].source}: merged files share one _transform`)
    }
    const meta: ConfigIssue[] = []
    checkCommentAndIgnore(d, [], meta)
    for (const m of meta) issues.push({ ...m, at: [FILE, k, ...m.at] })
  }
  const segments = new Map<string, Segment[]>()
  for (let k = 0; k < docs.length; k++) {
    for (const key of Object.keys(docs[k])) {
      const known = ENTITY_BY_NAME.has(key) || (META as readonly string[]).includes(key) || key === '_comment' || key === '_ignore'
      if (!known) fileIssue(k, key, 'unknown field')
    }
  }
  for (const schema of ENTITIES) {
    const merged: unknown[] = []
    for (let k = 0; k < docs.length; k++) {
      const value = docs[k][schema.name]
      if (value === undefined || value === null || (isRecord(value) && Object.keys(value).length === 0)) continue
      if (!Array.isArray(value)) {
        fileIssue(k, schema.name, 'expected an array')
        continue
      }
      const list = segments.get(schema.name) ?? []
      list.push({ file: k, start: merged.length })
      segments.set(schema.name, list)
      for (const item of value) merged.push(item)
    }
    if (merged.length > 0) doc[schema.name] = merged
  }
  return { doc, issues, locator: mergedLocator(texts, segments) }
}

/** Maps merged paths to files: entries by their collection's segments, the top level to the first file. */
function mergedLocator(texts: readonly ConfigText[], segments: ReadonlyMap<string, readonly Segment[]>): Locator {
  const indexes: (PositionIndex | undefined)[] = []
  const place = (file: number, at: Path, withPosition: boolean): Place => {
    if (!withPosition) return { source: texts[file].source, file, at }
    const position = (indexes[file] ??= new PositionIndex(texts[file].text)).find(at)
    return { source: texts[file].source, file, at, ...(position ? { position } : {}) }
  }
  return {
    multi: true,
    place(at, withPosition = true) {
      if (at[0] === FILE) return place(at[1] as number, at.slice(2), withPosition)
      const [collection, index] = at
      const list = typeof collection === 'string' && typeof index === 'number' ? segments.get(collection) : undefined
      if (!list) return place(0, at, withPosition)
      let segment = list[0]
      for (const s of list) if (s.start <= (index as number)) segment = s
      return place(segment.file, [collection, (index as number) - segment.start, ...at.slice(2)], withPosition)
    },
  }
}
