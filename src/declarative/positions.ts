/**
 * Where a value sits in the source text. Computed only when there is an error to report, by
 * replaying the YAML event stream (JSON is read the same way), so loading valid configs pays
 * nothing for it.
 */
import { EVENT_ID, getScalarValue, parseEvents, type Event } from 'js-yaml'
import type { Path } from './schema/validate.js'

/** 1-based line and column in the source text. */
export interface Position {
  readonly line: number
  readonly column: number
}

/** Finds positions by document path; falls back to the nearest ancestor that has one. */
export class PositionIndex {
  readonly #offsets = new Map<string, number>()
  readonly #text: string

  constructor(text: string) {
    this.#text = text
    let events: Event[]
    try {
      events = parseEvents(text, { maxDepth: 128 })
    } catch {
      return
    }
    this.#walk(events)
  }

  /** The position of `path`, or of its closest ancestor present in the text. */
  find(path: Path): Position | undefined {
    for (let n = path.length; n >= 0; n--) {
      const offset = this.#offsets.get(key(path.slice(0, n)))
      if (offset !== undefined) return lineColumn(this.#text, offset)
    }
    return undefined
  }

  #walk(events: readonly Event[]): void {
    type Frame = { path: (string | number)[]; kind: 'seq' | 'map'; index: number; pendingKey?: string; keyNext: boolean }
    const stack: Frame[] = []
    const childPath = (): { path: (string | number)[]; isKey: boolean } | undefined => {
      const top = stack[stack.length - 1]
      if (!top) return { path: [], isKey: false }
      if (top.kind === 'seq') return { path: [...top.path, top.index++], isKey: false }
      if (top.keyNext) return { path: top.path, isKey: true }
      return { path: [...top.path, top.pendingKey ?? ''], isKey: false }
    }
    const after = (): void => {
      const top = stack[stack.length - 1]
      if (top && top.kind === 'map') top.keyNext = !top.keyNext
    }
    for (const event of events) {
      switch (event.type) {
        case EVENT_ID.DOCUMENT:
          break
        case EVENT_ID.SEQUENCE:
        case EVENT_ID.MAPPING: {
          const where = childPath()
          if (!where || where.isKey) {
            stack.push({ path: [], kind: event.type === EVENT_ID.SEQUENCE ? 'seq' : 'map', index: 0, keyNext: true })
            break
          }
          if (!this.#offsets.has(key(where.path))) this.#offsets.set(key(where.path), event.start)
          stack.push({ path: where.path, kind: event.type === EVENT_ID.SEQUENCE ? 'seq' : 'map', index: 0, keyNext: true })
          break
        }
        case EVENT_ID.SCALAR: {
          const where = childPath()
          if (where?.isKey) {
            const top = stack[stack.length - 1]
            top.pendingKey = getScalarValue(this.#text, event)
            this.#offsets.set(key([...top.path, top.pendingKey]), event.valueStart)
          } else if (where && !this.#offsets.has(key(where.path))) {
            this.#offsets.set(key(where.path), event.valueStart)
          }
          after()
          break
        }
        case EVENT_ID.ALIAS: {
          const where = childPath()
          if (where && !where.isKey) this.#offsets.set(key(where.path), event.anchorStart)
          after()
          break
        }
        case EVENT_ID.POP:
          if (stack.length > 0) {
            stack.pop()
            after()
          }
          break
      }
    }
  }
}

function key(path: Path): string {
  return path.join('\u0000')
}

/** 1-based line and column of a string offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let start = 0
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++
    start = i + 1
  }
  return { line, column: offset - start + 1 }
}
