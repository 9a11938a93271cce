/** A request header's lines, for HTTP/1.x and HTTP/2 requests alike. */
import type { IncomingMessage } from 'node:http'

/**
 * Every line of header `name` (lower case), in order, or undefined. HTTP/2 compat requests have
 * no `headersDistinct`, and their `headers` join repeated lines, so their raw list is read.
 */
export function headerLines(req: IncomingMessage, name: string): readonly string[] | undefined {
  if (req.httpVersionMajor !== 2) return req.headersDistinct[name]
  const raw = req.rawHeaders
  let lines: string[] | undefined
  for (let i = 0; i < raw.length; i += 2) if (raw[i] === name) (lines ??= []).push(raw[i + 1] ?? '')
  return lines
}

/** Whether a request has a body: announced by Content-Length or Transfer-Encoding, or (HTTP/2) a stream not ended with its headers. */
export function hasBody(req: IncomingMessage, contentLength: string | undefined, transferEncoding: string | undefined): boolean {
  if (transferEncoding !== undefined || (contentLength !== undefined && contentLength !== '0')) return true
  return req.httpVersionMajor === 2 && !(req as unknown as { stream: { endAfterHeaders: boolean } }).stream.endAfterHeaders
}
