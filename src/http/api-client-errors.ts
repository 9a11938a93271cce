/**
 * Requests the admin and status listeners cannot parse. Node's parser refuses a method it does
 * not know (`GEEEET / HTTP/1.1`) before the app sees it, where nginx passes it on and Kong's API
 * answers 405 `{"message":"Method not allowed"}`: that answer is given here, with the headers the
 * API's other answers carry. Anything else keeps Node's own answer (400, 408, 413, 431).
 */
import type { EventEmitter } from 'node:events'
import { PRODUCT, VERSION } from '../version.js'
import { sendsServerHeader } from './app.js'
import { KONG_BODIES } from './kong-errors.js'
import { answerParseFailures, parseFailureStatus, rawHead } from './raw-response.js'

/** What the 405 carries besides its body. */
export interface ApiClientErrorOptions {
  /** The admin API adds `Access-Control-Allow-Credentials`. */
  readonly admin: boolean
  /** Settings `headers` tokens: decide the `Server` header. */
  readonly headers: readonly string[]
}

/** nginx's request line: a method of `A-Z`, `_` or `-`, one space, a target, one space, HTTP/1.x. */
const REQUEST_LINE = /^[A-Z_-]+ [^\s]+ HTTP\/1\.\d\r?$/

/** Whether the first line of `packet` is a complete, well-formed request line. */
export function wellFormedRequestLine(packet: Buffer | undefined): boolean {
  const end = packet?.indexOf('\n') ?? -1
  if (!packet || end === -1) return false
  return REQUEST_LINE.test(packet.subarray(0, end).toString('latin1'))
}

/** The status to answer a parse failure with, or undefined when the peer is gone. */
export function apiClientErrorStatus(code: string | undefined, packet: Buffer | undefined): number | undefined {
  switch (code) {
    case 'HPE_INVALID_METHOD':
      return wellFormedRequestLine(packet) ? 405 : 400
    case 'HPE_HEADER_OVERFLOW':
      return 431
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413
    default:
      return parseFailureStatus(code)
  }
}

/** The raw response for `status`: Kong's JSON 405, or Node's bodiless answer for the others. */
export function apiClientErrorResponse(status: number, options: ApiClientErrorOptions): string {
  const headers: Record<string, string | undefined> = { Date: new Date().toUTCString() }
  let body = ''
  if (status === 405) {
    body = JSON.stringify(KONG_BODIES.methodNotAllowed)
    headers['Content-Type'] = 'application/json; charset=utf-8'
    headers['Content-Length'] = String(Buffer.byteLength(body))
    headers['Access-Control-Allow-Origin'] = '*'
    if (options.admin) headers['Access-Control-Allow-Credentials'] = 'true'
    if (sendsServerHeader(options.headers)) headers.Server = `${PRODUCT}/${VERSION}`
  }
  headers.Connection = 'close'
  return rawHead(status, headers) + body
}

/** Answers parse failures on `server` as above, then closes the connection. */
export function answerApiClientErrors(server: EventEmitter, options: ApiClientErrorOptions): void {
  answerParseFailures(server, (code, rawPacket) => {
    const status = apiClientErrorStatus(code, rawPacket)
    return status === undefined ? undefined : apiClientErrorResponse(status, options)
  })
}
