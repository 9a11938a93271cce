/**
 * A response head written straight to a socket that is no longer in Node's HTTP hands (an
 * upgrade, or a request the parser refused), with Node's own reason phrases.
 */
import { STATUS_CODES } from 'node:http'

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
