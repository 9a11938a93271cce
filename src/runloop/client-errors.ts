/**
 * Requests the proxy cannot parse, answered as nginx answers them before Kong sees a request:
 * an error page (400 `Bad request`, 414 `URI too long`, 400 `Request header or cookie too large`,
 * 408 on a request head that never completes), then the connection is closed. Nothing else in
 * the worker is affected.
 */
import type { EventEmitter } from 'node:events'
import { answerParseFailures, parseFailureStatus, rawHead } from '../http/raw-response.js'
import { errorPage } from '../proxy/error-response.js'
import type { HeaderSettings } from '../proxy/header-settings.js'
import { nextRequestId } from './request-id.js'

/** What the answer depends on. */
export interface ClientErrorSettings {
  readonly headers: HeaderSettings
  readonly errorDefaultType: string
  /** nginx's large_client_header_buffers size: a request line longer than this is 414. */
  readonly headerBufferBytes: number
}

/** The status nginx gives a request Node's parser refused with `code`. */
export function clientErrorStatus(code: string | undefined, rawPacket: Buffer | undefined, headerBufferBytes: number): number | undefined {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW': {
      // The request line alone over one buffer is nginx's 414; otherwise the headers are too large.
      const lineEnd = rawPacket?.indexOf('\r\n') ?? -1
      const lineLength = lineEnd === -1 ? (rawPacket?.length ?? 0) : lineEnd
      return lineLength > headerBufferBytes ? 414 : 494
    }
    default:
      return parseFailureStatus(code)
  }
}

const NO_HEADERS = { method: undefined, rawHeaders: [] as string[], httpVersionMajor: 1 }

/** Answers parse failures on `server` with Kong's error pages instead of Node's bare ones. */
export function answerClientErrors(server: EventEmitter, settings: ClientErrorSettings): void {
  answerParseFailures(server, (code, rawPacket) => {
    const status = clientErrorStatus(code, rawPacket, settings.headerBufferBytes)
    if (status === undefined) return undefined
    const requestId = nextRequestId()
    const page = errorPage(status, NO_HEADERS, requestId, settings.errorDefaultType)
    const headers: Record<string, string> = { ...page.headers }
    if (settings.headers.server) headers.server = settings.headers.serverToken
    if (settings.headers.requestId) headers['x-kong-request-id'] = requestId
    headers.connection = 'close'
    return rawHead(page.status, headers) + page.body
  })
}
