/**
 * A response head written straight to a socket that is no longer in Node's HTTP hands (an
 * upgrade, or a request the parser refused), with Node's own reason phrases.
 */
import type { EventEmitter } from 'node:events'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'

/** `HTTP/1.1 <status> <reason>`, one line per header value, and the blank line. */
export function rawHead(status: number, headers: Readonly<Record<string, string | readonly string[] | undefined>>): string {
  let text = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined) continue
    if (typeof value === 'string') text += `${name}: ${value}\r\n`
    else for (const v of value) text += `${name}: ${v}\r\n`
  }
  return `${text}\r\n`
}

/**
 * Answers the requests Node's parser refuses on `server`: `answer` gives the raw response for a
 * failure's code and first bytes, or undefined when there is nobody to answer (the connection is
 * then destroyed); the connection is closed after the answer.
 */
export function answerParseFailures(server: EventEmitter, answer: (code: string | undefined, rawPacket: Buffer | undefined) => string | undefined): void {
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    const response = socket.writable ? answer(err.code, err.rawPacket) : undefined
    if (response === undefined) socket.destroy()
    else socket.end(response)
  })
}

/**
 * What every listener answers for a parse failure it has no rule of its own for: 408 for a head
 * that never completed, nothing when the peer is gone, else 400.
 */
export function parseFailureStatus(code: string | undefined): number | undefined {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
      return 408
    case 'ECONNRESET':
    case 'EPIPE':
      return undefined
    default:
      return 400
  }
}
