/**
 * A `POST /config` request body as Kong reads it (`kong/api/routes/config.lua`): query arguments
 * and body fields merged into params, `flatten_errors` and `check_hash` taken out, then the
 * config is the params themselves (with `_format_version`), a `config` field, or the raw body.
 * Every form is held to the same rules: UTF-8 text, no `__proto__` key, bounded nesting.
 */
import { ConfigParseError } from '../declarative/errors.js'
import { checkTree, decodeText, type ParseLimits } from '../declarative/parse.js'
import { KONG_BODIES } from '../http/kong-errors.js'
import { defineKey, isRecord } from '../util/json.js'
import { decodeForm, decodeMultipart, MultipartError } from './form-body.js'

/** The media types `/config` accepts (Kong's gate, plus YAML for this route). */
export const CONFIG_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'application/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'application/yaml',
  'text/yaml',
])

/** A request that cannot carry a config: the status and body to answer with. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`)
  }
}

/** What the request asks to load, and how. */
export interface DecodedRequest {
  /** Answer errors in Kong's flattened form. */
  readonly flatten: boolean
  /** Answer 304 when the content's hash is the live one. */
  readonly checkHash: boolean
  readonly config:
    | { readonly kind: 'object'; readonly value: Record<string, unknown>; readonly text: string }
    | { readonly kind: 'text'; readonly text: string }
}

/** The media type of a Content-Type value, lower-cased, without parameters. */
export function mediaTypeOf(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase()
}

/** Kong's truthiness for flatten_errors: true, 1, or "true"/"1"/"on"/"yes" in any case. */
function truthy(value: unknown): boolean {
  if (value === true || value === 1) return true
  return typeof value === 'string' && ['true', '1', 'on', 'yes'].includes(value.toLowerCase())
}

const SOURCE = 'POST /config'

/** A 400 with Kong's code-14 body for a config that could not be read. */
function unreadable(reason: string, line?: number, column?: number): RequestError {
  const err = new ConfigParseError(reason, SOURCE, line, column)
  return new RequestError(400, {
    code: 14,
    name: 'invalid declarative configuration',
    message: `declarative config is invalid: {error=${JSON.stringify(err.message)}}`,
    fields: { error: err.message },
    details: err.located(),
  })
}

/** Reads bytes as UTF-8, or a 400 naming the byte where they stop being UTF-8. */
function utf8(bytes: Uint8Array, what: string, limits: ParseLimits): string {
  try {
    return decodeText(bytes, SOURCE, limits)
  } catch (err) {
    if (err instanceof ConfigParseError) throw unreadable(`${what}: ${err.reason}`, err.line, err.column)
    throw err
  }
}

function setParam(params: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') throw unreadable(`the parameter '__proto__' is not allowed`)
  defineKey(params, key, value)
}

/** Decodes a POST /config request into what to load; throws RequestError for a request that cannot carry one. */
export async function decodeConfigRequest(
  request: { readonly raw: Buffer; readonly contentType: string; readonly query: Readonly<Record<string, string>> },
  bodyLimit: number,
  limits: ParseLimits,
): Promise<DecodedRequest> {
  const { raw, contentType } = request
  const mediaType = mediaTypeOf(contentType)
  const params: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(request.query)) setParam(params, k, v)
  if (mediaType === '') {
    if (raw.length > 0) throw new RequestError(415, undefined)
  } else if (mediaType === 'application/json') {
    if (raw.length > 0) {
      const text = utf8(raw, 'the JSON body', limits)
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch (err) {
        if (err instanceof RangeError) throw unreadable(`nesting is deeper than ${limits.maxDepth} levels`)
        throw new RequestError(400, KONG_BODIES.cannotParseJson)
      }
      if (isRecord(body)) {
        try {
          checkTree(body, SOURCE, limits)
        } catch (err) {
          if (err instanceof ConfigParseError) throw unreadable(err.reason)
          throw err
        }
        for (const key of Object.keys(body)) setParam(params, key, body[key])
      }
    }
  } else if (mediaType === 'application/x-www-form-urlencoded') {
    for (const [k, v] of decodeForm(raw, (bytes, what) => utf8(bytes, what, limits))) setParam(params, k, v)
  } else if (mediaType === 'multipart/form-data') {
    let parts: [string, unknown][]
    try {
      parts = await decodeMultipart(raw, contentType, bodyLimit, (bytes, what) => utf8(bytes, what, limits))
    } catch (err) {
      throw err instanceof MultipartError ? new RequestError(400, KONG_BODIES.cannotParseMultipart) : err
    }
    for (const [k, v] of parts) setParam(params, k, v)
  } else if (!CONFIG_MEDIA_TYPES.has(mediaType)) {
    throw new RequestError(415, undefined)
  }

  const flatten = truthy(params.flatten_errors)
  const checkHash = String(params.check_hash) === '1'
  delete params.flatten_errors
  delete params.check_hash
  if (params._format_version !== undefined) return { flatten, checkHash, config: { kind: 'object', value: params, text: JSON.stringify(params) } }
  if (typeof params.config === 'string') return { flatten, checkHash, config: { kind: 'text', text: params.config } }
  if (raw.length > 0 && mediaType !== 'application/x-www-form-urlencoded' && mediaType !== 'multipart/form-data') {
    return { flatten, checkHash, config: { kind: 'text', text: utf8(raw, 'the body', limits) } }
  }
  throw new RequestError(400, KONG_BODIES.expectedConfig)
}
