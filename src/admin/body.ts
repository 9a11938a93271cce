/**
 * Admin request bodies as Kong reads them: a Content-Type gate, JSON, form and multipart
 * fields merged over the query string into one params object, within a 10 MiB limit.
 */
import busboy from 'busboy'
import type { Context } from 'koa'
import { Readable } from 'node:stream'
import { HttpError, readBody } from '../server/kong-http.js'

/** nginx_admin_client_max_body_size = 10m. */
export const ADMIN_BODY_LIMIT = 10 * 1024 * 1024

export interface AdminBody {
  /** Query arguments and body fields, body winning. */
  readonly params: Record<string, unknown>
  /** The body as received. */
  readonly raw: Buffer
  /** The media type, lower-cased, without parameters ('' when absent). */
  readonly mediaType: string
}

/** Kong's form value decoding: "true"/"false" become booleans, "" becomes null. */
function decodeFormValue(value: string): unknown {
  if (value === 'true') return true
  if (value === 'false') return false
  if (value === '') return null
  return value
}

function parseMultipart(raw: Buffer, contentType: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, unknown> = {}
    let parser: busboy.Busboy
    try {
      parser = busboy({ headers: { 'content-type': contentType }, limits: { fileSize: ADMIN_BODY_LIMIT } })
    } catch {
      reject(new HttpError(400, { message: 'Cannot parse multipart body' }))
      return
    }
    parser.on('field', (name, value) => (fields[name] = decodeFormValue(value)))
    parser.on('file', (name, stream) => {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => (fields[name] = Buffer.concat(chunks).toString('utf8')))
    })
    parser.on('close', () => resolve(fields))
    parser.on('error', () => reject(new HttpError(400, { message: 'Cannot parse multipart body' })))
    Readable.from([raw]).pipe(parser)
  })
}

/** Reads and decodes an admin request body; `yaml` also admits YAML bodies (the /config route). */
export async function parseAdminBody(ctx: Context, yaml = false): Promise<AdminBody> {
  const types = ctx.req.headersDistinct['content-type'] ?? []
  if (types.length > 1) {
    ctx.type = 'text/plain'
    throw new HttpError(400, 'Multiple Content-Type headers not allowed')
  }
  const contentType = types[0] ?? ''
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase()
  const raw = await readBody(ctx, ADMIN_BODY_LIMIT)
  const params: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(ctx.query)) params[k] = Array.isArray(v) ? v[v.length - 1] : v
  if (mediaType === '') {
    if (raw.length > 0) throw new HttpError(415)
    return { params, raw, mediaType }
  }
  if (mediaType === 'application/json') {
    if (raw.length === 0) return { params, raw, mediaType }
    let body: unknown
    try {
      body = JSON.parse(raw.toString('utf8'))
    } catch {
      throw new HttpError(400, { message: 'Cannot parse JSON body' })
    }
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) Object.assign(params, body)
    return { params, raw, mediaType }
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) params[k] = decodeFormValue(v)
    return { params, raw, mediaType }
  }
  if (mediaType === 'multipart/form-data') {
    Object.assign(params, await parseMultipart(raw, contentType))
    return { params, raw, mediaType }
  }
  if (yaml && (mediaType === 'application/yaml' || mediaType === 'text/yaml')) return { params, raw, mediaType }
  throw new HttpError(415)
}
