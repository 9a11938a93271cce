/**
 * The proxy's error responses, from Kong's two producers: `kong.response.error`
 * (kong/pdk/response.lua: format from Accept only, JSON by default, gRPC by status headers) and
 * the nginx error pages (kong/error_handlers.lua: format from Accept, else the request's
 * Content-Type, else error_default_type, with fixed messages). The media-type negotiation is
 * kong/tools/http.lua get_response_type.
 */
import { ERROR_CONTENT_TYPES, defaultErrorMessage, errorPageMessage, proxyErrorBody, type ErrorFormat } from '../http/kong-errors.js'
import { firstHeader, nameIs, strip } from './header-text.js'

/**
 * An error body format, or `empty`: an Accept entry of exactly `application/grpc` wins an empty
 * body with no Content-Type (Kong's MIME table maps it to "" and its template is "").
 */
export type ResponseFormat = ErrorFormat | 'empty'

// Kong's ACCEPT_PATTERN (matched anchored at the start, case-insensitively): a media range, then
// parameters, of which `q=` with at most three decimals is read as the quality. PCRE's `\s` is
// ASCII whitespace, written out because JavaScript's also takes Latin-1's no-break space.
const MEDIA_RANGE = /(?:[a-z0-9][a-z0-9\-!#$&^_+.]+|\*)\/(?:[a-z0-9][a-z0-9\-!#$&^_+.]+|\*)/iy
const PARAMETER = /[ \t\n\v\f\r]*;[ \t\n\v\f\r]*(?:q=(1(?:\.0{0,3})?|0(?:\.\d{0,3})?)|[a-z0-9][a-z0-9\-!#$&^_+.]+(?:=[^;]*)?)/iy

// kong/tools/http.lua get_mime_type over a matched media range; its table is case-sensitive, so
// `Text/HTML` is no type it knows and gets the default, JSON.
function formatOf(range: string): ResponseFormat {
  const slash = range.indexOf('/')
  const type = range.slice(0, slash)
  const subtype = range.slice(slash + 1)
  if (subtype === '*') return type === 'text' ? 'plain' : 'json'
  switch (range) {
    case 'text/html':
      return 'html'
    case 'text/plain':
      return 'plain'
    case 'application/xml':
      return 'xml'
    case 'application/grpc':
      return 'empty'
    default:
      return 'json'
  }
}

/**
 * Kong's get_response_type: of the Accept entries that parse, the first with the strictly
 * highest quality (an entry of quality 0 never wins) decides; JSON when none does.
 */
export function responseFormat(accept: string | undefined): ResponseFormat {
  if (accept === undefined) return 'json'
  let format: ResponseFormat = 'json'
  let best = 0
  let start = 0
  while (start <= accept.length) {
    let end = accept.indexOf(',', start)
    if (end === -1) end = accept.length
    const entry = strip(accept.slice(start, end))
    start = end + 1
    MEDIA_RANGE.lastIndex = 0
    const range = MEDIA_RANGE.exec(entry)
    if (range === null) continue
    // PCRE keeps the last `q=` the repeated parameter group matched, even when a later
    // parameter is another one; JavaScript would reset it, hence the walk.
    let q = 1
    PARAMETER.lastIndex = MEDIA_RANGE.lastIndex
    for (let p = PARAMETER.exec(entry); p !== null; p = PARAMETER.exec(entry)) {
      if (p[1] !== undefined) q = Number(p[1])
    }
    if (q > best) {
      best = q
      format = formatOf(range[0])
    }
  }
  return format
}

/** The request facts an error response depends on; Node's IncomingMessage has them all. */
export interface ErrorRequest {
  readonly method?: string | undefined
  /** Node's flat rawHeaders list. */
  readonly rawHeaders: readonly string[]
  readonly httpVersionMajor: number
}

/** A response ready to write: status, headers by lower-case name, and the body ('' for HEAD). */
export interface ErrorResponse {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
}

// kong/pdk/response.lua HTTP_TO_GRPC_STATUS and GRPC_MESSAGES.
const HTTP_TO_GRPC: Readonly<Record<number, number>> = { 200: 0, 400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 499: 1, 500: 13, 501: 12, 503: 14, 504: 4 }
const GRPC_NAMES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated']

/** The gRPC status Kong gives an HTTP status, with its fallbacks by class. */
export function grpcStatus(status: number): number {
  const mapped = HTTP_TO_GRPC[status]
  if (mapped !== undefined) return mapped
  if (status >= 500 && status <= 599) return 13
  if (status >= 400 && status <= 499) return 3
  if (status >= 200 && status <= 299) return 0
  return 2
}

/** The gRPC status name Kong sends as `grpc-message` when it has no message of its own. */
export function grpcStatusName(code: number): string {
  return GRPC_NAMES[code] ?? 'Unknown'
}

// Kong's is_grpc_request: a Content-Type starting with application/grpc, over HTTP/2.
function isGrpc(req: ErrorRequest, contentType: string | undefined): boolean {
  return req.httpVersionMajor === 2 && contentType !== undefined && contentType.startsWith('application/grpc')
}

function respond(status: number, format: ResponseFormat, message: string, requestId: string, req: ErrorRequest): ErrorResponse {
  const body = format === 'empty' ? '' : proxyErrorBody(format, message, requestId)
  const headers: Record<string, string> = format === 'empty' ? {} : { 'content-type': ERROR_CONTENT_TYPES[format] }
  // A HEAD answer keeps the Content-Length of the body it does not carry, as nginx sends it.
  headers['content-length'] = String(Buffer.byteLength(body))
  return { status, headers, body: req.method === 'HEAD' ? '' : body }
}

// Every Accept line, as ngx.req.get_headers() hands kong.response.error a table joined with ",".
function everyAccept(rawHeaders: readonly string[]): string | undefined {
  let accept: string | undefined
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (nameIs(rawHeaders[i], 'accept')) accept = accept === undefined ? rawHeaders[i + 1] : `${accept},${rawHeaders[i + 1]}`
  }
  return accept
}

/**
 * `kong.response.error(status, message)`: Kong's template in the format Accept asks for (JSON by
 * default) with the message, or the status's default message; for a gRPC request, no body and
 * `grpc-status` / `grpc-message` (the gRPC status name) headers. `status` is 400 to 599.
 */
export function kongError(status: number, message: string | undefined, req: ErrorRequest, requestId: string): ErrorResponse {
  if (!Number.isInteger(status) || status < 400 || status > 599) throw new RangeError(`code must be a number between 400 and 599, got ${status}`)
  if (isGrpc(req, firstHeader(req.rawHeaders, 'content-type'))) {
    const code = grpcStatus(status)
    return { status, headers: { 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': grpcStatusName(code), 'content-length': '0' }, body: '' }
  }
  return respond(status, responseFormat(everyAccept(req.rawHeaders)), message ?? defaultErrorMessage(status), requestId, req)
}

/**
 * Kong's error page for a status the server itself produced (a failed upstream, a bad request):
 * the fixed message of the status (494 is answered as 400), in the format the first Accept line
 * asks for, else the request's Content-Type, else `errorDefaultType` (error_default_type).
 * Asked for gRPC, a gRPC request gets `grpc-status` and the message as `grpc-message`, any other
 * request `{"message": ...}` as JSON.
 */
export function errorPage(status: number, req: ErrorRequest, requestId: string, errorDefaultType = 'text/plain'): ErrorResponse {
  const message = errorPageMessage(status)
  const sent = status === 494 ? 400 : status
  const contentType = firstHeader(req.rawHeaders, 'content-type')
  const wanted = firstHeader(req.rawHeaders, 'accept') ?? contentType ?? errorDefaultType
  if (wanted.startsWith('application/grpc')) {
    if (isGrpc(req, contentType)) return { status: sent, headers: { 'grpc-status': String(grpcStatus(sent)), 'grpc-message': message, 'content-length': '0' }, body: '' }
    // kong.response.exit encodes a table body with cjson, which would also escape `/`; no
    // error page message has one.
    const body = JSON.stringify({ message })
    return { status: sent, headers: { 'content-type': ERROR_CONTENT_TYPES.json, 'content-length': String(Buffer.byteLength(body)) }, body: req.method === 'HEAD' ? '' : body }
  }
  return respond(sent, responseFormat(wanted), message, requestId, req)
}
