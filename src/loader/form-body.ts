/**
 * Urlencoded and multipart bodies as Kong reads them, shared by POST /config and the admin API's
 * parameters so both treat the same body the same way.
 */
import busboy from 'busboy'
import { Readable } from 'node:stream'

/** Kong's form value decoding: "true"/"false" become booleans, "" becomes null. */
export function decodeFormValue(value: string): unknown {
  if (value === 'true') return true
  if (value === 'false') return false
  if (value === '') return null
  return value
}

/**
 * `a=b&c=d` as `[name, value]` pairs in the order sent, percent escapes read as bytes and the
 * bytes read by `text`, so that a sequence that is not UTF-8 is refused rather than replaced.
 */
export function decodeForm(raw: Buffer, text: TextDecoding): [string, unknown][] {
  const pairs: [string, unknown][] = []
  for (const pair of raw.toString('latin1').split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const rawKey = eq < 0 ? pair : pair.slice(0, eq)
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1)
    const key = text(percentBytes(rawKey), `form field name '${rawKey}'`)
    pairs.push([key, decodeFormValue(text(percentBytes(rawValue), `form field '${key}'`))])
  }
  return pairs
}

/** The bytes of a form-encoded token: `+` is a space, `%XX` a byte, anything else as sent. */
function percentBytes(token: string): Buffer {
  const plain = token.replace(/\+/g, ' ')
  if (!plain.includes('%')) return Buffer.from(plain, 'latin1')
  const out: number[] = []
  for (let i = 0; i < plain.length; i++) {
    const c = plain.charCodeAt(i)
    if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(plain.slice(i + 1, i + 3))) {
      out.push(parseInt(plain.slice(i + 1, i + 3), 16))
      i += 2
    } else {
      out.push(c)
    }
  }
  return Buffer.from(out)
}

/** A multipart body busboy could not read: no boundary, a part cut short, a malformed header. */
export class MultipartError extends Error {}

/** How a caller wants part bytes read as text; it throws its own error for bytes that are not text. */
export type TextDecoding = (bytes: Uint8Array, what: string) => string

/**
 * A multipart body's parts as `[name, value]` pairs in the order sent: fields with Kong's form
 * value decoding, files as their text. The whole body goes through `text` first, so that bytes
 * that are not UTF-8 are refused (with the caller's error) rather than replaced; `limit` bounds
 * every part, so none is cut short silently. Rejects with MultipartError for a body that is not
 * multipart.
 */
export function decodeMultipart(raw: Buffer, contentType: string, limit: number, text: TextDecoding): Promise<[string, unknown][]> {
  text(raw, 'the multipart body')
  return new Promise((resolve, reject) => {
    const parts: [string, unknown][] = []
    let parser: busboy.Busboy
    try {
      parser = busboy({ headers: { 'content-type': contentType }, defCharset: 'utf8', limits: { fileSize: limit, fieldSize: limit } })
    } catch {
      reject(new MultipartError('no multipart boundary'))
      return
    }
    let failed = false
    const fail = (err: unknown): void => {
      failed = true
      reject(toMultipartError(err))
    }
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(new MultipartError(`field '${name}' is over the size limit`))
      else parts.push([name, decodeFormValue(value)])
    })
    parser.on('file', (name, stream) => {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      // busboy destroys a part's stream with an error when the body ends inside it; unheard, that
      // error would take the process down.
      stream.on('error', fail)
      stream.on('limit', () => fail(new MultipartError(`file '${name}' is over the size limit`)))
      stream.on('end', () => {
        try {
          parts.push([name, text(Buffer.concat(chunks), `form field '${name}'`)])
        } catch (err) {
          failed = true
          // The caller's own error for bytes that are not text, passed through as it was thrown.
          reject(err instanceof Error ? err : new MultipartError(String(err)))
        }
      })
    })
    parser.on('close', () => {
      if (!failed) resolve(parts)
    })
    parser.on('error', fail)
    Readable.from([raw]).pipe(parser)
  })
}

function toMultipartError(err: unknown): MultipartError {
  return err instanceof MultipartError ? err : new MultipartError(err instanceof Error ? err.message : String(err))
}
