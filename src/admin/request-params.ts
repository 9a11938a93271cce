/**
 * A Kong admin request's parameters (`self.params` in Kong's lapis routes): query arguments and
 * body fields merged. A JSON body is taken as it is; form and multipart fields are strings whose
 * keys may nest (`config.key_names[1]`, `paths[]`), and a urlencoded form's `true`, `false` and
 * empty values become booleans and null, as `kong/api/api_helpers.lua` reads them.
 */
import busboy from 'busboy'
import type { Context } from 'koa'
import { Readable } from 'node:stream'
import { HttpError } from '../http/app.js'
import { readBody } from '../http/body.js'
import { KONG_BODIES } from '../http/kong-errors.js'
import { defineKey, isRecord } from '../util/json.js'
import { requestMediaType } from './body.js'

/** Kong's marker for `x[]`: the next free array index. */
const APPEND = Symbol('append')

type Segment = string | number | typeof APPEND

/** `x[1].y` → `['x', 0, 'y']` (indexes from 0), `x[]` → `['x', APPEND]`, as Kong splits keys. */
export function keyPath(key: string): Segment[] {
  const index = /^(.+)\[(\d*)\]$/.exec(key)
  if (index) {
    const [, left = '', digits = ''] = index
    return [...keyPath(left), digits === '' ? APPEND : Math.max(Number(digits) - 1, 0)]
  }
  const dot = /^(.+)\.(.+)$/.exec(key)
  if (dot) return [...keyPath(dot[1] ?? ''), ...keyPath(dot[2] ?? '')]
  return [key]
}

type Container = Record<string, unknown> | unknown[]

function slot(container: Container, segment: Segment, value: unknown, replace: boolean): unknown {
  if (Array.isArray(container)) {
    const i = segment === APPEND ? container.length : typeof segment === 'number' ? segment : Number.NaN
    if (Number.isNaN(i)) return undefined
    if (replace || container[i] === undefined) container[i] = value
    return container[i]
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
      const existing: unknown = slot(node, path[i], typeof path[i + 1] === 'string' ? {} : [], false)
      // A name used both as a value and as a container: the value stays, as the first seen.
      node = isRecord(existing) || Array.isArray(existing) ? existing : undefined
    }
    if (!node) continue
    const last = path[path.length - 1]
    // `x[]` sent several times arrives as one array of values, each appended.
    if (last === APPEND && Array.isArray(value)) for (const v of value) slot(node, last, v, true)
    else slot(node, last, value, true)
  }
  return compact(out) as Record<string, unknown>
}

/** Arrays built from `x[3]` alone have holes; Kong's arrays do not. */
function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compact)
  if (isRecord(value)) for (const k of Object.keys(value)) value[k] = compact(value[k])
  return value
}

/** Kong's urlencoded value decoding: `true`/`false` are booleans, an empty value is null. */
function formValue(value: string): unknown {
  if (value === 'true') return true
  if (value === 'false') return false
  if (value === '') return null
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

function multipartFields(raw: Buffer, contentType: string): Promise<[string, unknown][]> {
  return new Promise((resolve, reject) => {
    const fields: [string, unknown][] = []
    let parser: busboy.Busboy
    try {
      parser = busboy({ headers: { 'content-type': contentType }, defCharset: 'utf8' })
    } catch {
      reject(new HttpError(400, KONG_BODIES.cannotParseMultipart))
      return
    }
    parser.on('field', (name, value) => fields.push([name, value]))
    parser.on('file', (name, stream) => {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => fields.push([name, Buffer.concat(chunks).toString('utf8')]))
    })
    parser.on('close', () => resolve(fields))
    parser.on('error', () => reject(new HttpError(400, KONG_BODIES.cannotParseMultipart)))
    Readable.from([raw]).pipe(parser)
  })
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
    const params = nestParams(grouped(query))
    for (const key of Object.keys(body)) defineKey(params, key, body[key])
    return params
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    const body = [...new URLSearchParams(raw.toString('utf8'))]
    return nestParams(grouped([...query, ...body]).map(([k, v]) => [k, Array.isArray(v) ? v.map((x) => formValue(x as string)) : formValue(v as string)]))
  }
  if (mediaType === 'multipart/form-data') {
    return nestParams(grouped([...query, ...(await multipartFields(raw, ctx.get('Content-Type')))]))
  }
  return nestParams(grouped(query))
}
