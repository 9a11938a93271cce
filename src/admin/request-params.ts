/**
 * A Kong admin request's parameters (`self.params` in Kong's lapis routes): query arguments and
 * body fields merged. A JSON body is taken as it is; form and multipart fields are strings whose
 * keys may nest (`config.key_names[1]`, `paths[]`), and a form field's `true`, `false` and
 * empty values become booleans and null, as `kong/api/api_helpers.lua` reads them.
 */
import type { Context } from 'koa'
import { DEFAULT_LIMITS, checkTree } from '../declarative/parse.js'
import { HttpError } from '../http/app.js'
import { readBody } from '../http/body.js'
import { KONG_BODIES } from '../http/kong-errors.js'
import { decodeForm, decodeFormValue, decodeMultipart, MultipartError } from '../loader/form-body.js'
import { defineKey, isRecord } from '../util/json.js'
import { requestMediaType } from './body.js'

/** Kong's marker for `x[]`: the next free array index. */
const APPEND = Symbol('append')

type Segment = string | number | typeof APPEND

/** Deepest nesting a parameter name may ask for; Kong sets none, a bound keeps a name from costing more than its bytes. */
export const MAX_PARAM_DEPTH = 64

const tooDeep = (): HttpError => new HttpError(400, { message: `parameter nesting is deeper than ${MAX_PARAM_DEPTH} levels` })

/** A trailing `[digits]` or `[]` after at least one character: its start and index, if any. */
function trailingIndex(key: string): { start: number; segment: number | typeof APPEND } | undefined {
  if (!key.endsWith(']')) return undefined
  let i = key.length - 2
  while (i >= 0 && key.charCodeAt(i) >= 0x30 && key.charCodeAt(i) <= 0x39) i--
  if (i < 1 || key[i] !== '[') return undefined
  const digits = key.slice(i + 1, -1)
  return { start: i, segment: digits === '' ? APPEND : Math.max(Number(digits) - 1, 0) }
}

/**
 * `x[1].y` → `['x', 0, 'y']` (indexes from 0), `x[]` → `['x', APPEND]`, as Kong splits names:
 * trailing indexes come off first, then the text after the last dot that has text on both
 * sides. Read from the end in one pass, so a long name costs no more than its length.
 */
export function keyPath(key: string): Segment[] {
  const reversed: Segment[] = []
  let rest = key
  for (;;) {
    if (reversed.length > MAX_PARAM_DEPTH) throw tooDeep()
    const index = trailingIndex(rest)
    if (index) {
      reversed.push(index.segment)
      rest = rest.slice(0, index.start)
      continue
    }
    const dot = rest.lastIndexOf('.', rest.length - 2)
    if (dot < 1) break
    // After the last dot there is no other dot, so this split goes no deeper than its indexes.
    reversed.push(...keyPath(rest.slice(dot + 1)).reverse())
    rest = rest.slice(0, dot)
  }
  reversed.push(rest)
  return reversed.reverse()
}

/** An array being built from indexed names: entries by index, in index order once done. */
class IndexList {
  readonly entries = new Map<number, unknown>()
  #highest = -1
  /** Kong appends `x[]` after the highest index so far. */
  next(): number {
    return this.#highest + 1
  }
  set(i: number, value: unknown): void {
    this.entries.set(i, value)
    this.#highest = Math.max(this.#highest, i)
  }
}

type Container = Record<string, unknown> | IndexList

function slot(container: Container, segment: Segment, value: unknown, replace: boolean): unknown {
  if (container instanceof IndexList) {
    const i = segment === APPEND ? container.next() : typeof segment === 'number' ? segment : Number.NaN
    if (Number.isNaN(i)) return undefined
    if (replace || !container.entries.has(i)) container.set(i, value)
    return container.entries.get(i)
  }
  const key = segment === APPEND ? String(Object.keys(container).length) : String(segment)
  // Own keys only: `__proto__.x=1` must make a field named `__proto__`, never reach a prototype.
  if (replace || !Object.hasOwn(container, key)) defineKey(container, key, value)
  return container[key]
}

/** Puts flat `name → value` pairs into nested records and arrays by their key paths. */
export function nestParams(flat: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of flat) {
    const path = keyPath(key)
    let node: Container | undefined = out
    for (let i = 0; i < path.length - 1 && node; i++) {
      const existing: unknown = slot(node, path[i], typeof path[i + 1] === 'string' ? {} : new IndexList(), false)
      // A name used both as a value and as a container: the value stays, as the first seen.
      node = isRecord(existing) || existing instanceof IndexList ? existing : undefined
    }
    if (!node) continue
    const last = path[path.length - 1]
    // `x[]` sent several times arrives as one array of values, each appended.
    if (last === APPEND && Array.isArray(value)) for (const v of value) slot(node, last, v, true)
    else slot(node, last, value, true)
  }
  return materialize(out) as Record<string, unknown>
}

/** Index lists become arrays in index order, without the gaps `x[3]` alone would leave. */
function materialize(value: unknown): unknown {
  if (value instanceof IndexList) return [...value.entries].sort((a, b) => a[0] - b[0]).map(([, v]) => materialize(v))
  if (isRecord(value)) for (const k of Object.keys(value)) defineKey(value, k, materialize(value[k]))
  return value
}

/** Repeated names become arrays of their values, as lapis reads them. */
function grouped(pairs: Iterable<readonly [string, unknown]>): [string, unknown][] {
  const out = new Map<string, unknown[]>()
  for (const [k, v] of pairs) {
    const values = out.get(k)
    if (values) values.push(v)
    else out.set(k, [v])
  }
  return [...out].map(([k, values]) => [k, values.length === 1 ? values[0] : values])
}

/** Part bytes as UTF-8 text, or a 400: a parameter that is not text is refused, never altered. */
function utf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new HttpError(400, { message: `${what} is not UTF-8 text` })
  }
}

async function multipartFields(raw: Buffer, contentType: string, limit: number): Promise<[string, unknown][]> {
  try {
    return await decodeMultipart(raw, contentType, limit, utf8)
  } catch (err) {
    throw err instanceof MultipartError ? new HttpError(400, KONG_BODIES.cannotParseMultipart) : err
  }
}

/** Reads the request's parameters: query arguments, then body fields over them. */
export async function readParams(ctx: Context, limit: number): Promise<Record<string, unknown>> {
  const mediaType = requestMediaType(ctx)
  const raw = await readBody(ctx, limit)
  const query = [...new URLSearchParams(ctx.querystring)]
  if (mediaType === 'application/json') {
    let body: unknown
    try {
      body = JSON.parse(raw.toString('utf8'))
    } catch {
      throw new HttpError(400, KONG_BODIES.cannotParseJson)
    }
    if (!isRecord(body)) throw new HttpError(400, KONG_BODIES.cannotParseJson)
    try {
      checkTree(body, 'request body', { ...DEFAULT_LIMITS, maxDepth: MAX_PARAM_DEPTH }, { depth: true, proto: false })
    } catch {
      throw tooDeep()
    }
    const params = nestParams(grouped(query))
    for (const key of Object.keys(body)) defineKey(params, key, body[key])
    return params
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    const formQuery = query.map(([k, v]): [string, unknown] => [k, decodeFormValue(v)])
    return nestParams(grouped([...formQuery, ...decodeForm(raw, utf8)]))
  }
  if (mediaType === 'multipart/form-data') {
    return nestParams(grouped([...query, ...(await multipartFields(raw, ctx.get('Content-Type'), limit))]))
  }
  return nestParams(grouped(query))
}
