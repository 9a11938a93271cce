/**
 * URI path helpers shared by config validation, routing and the proxy: Kong's path
 * normalization (decode unreserved escapes, remove dot segments, merge slashes) and the escaping
 * of a path before it is sent upstream.
 */

// Kong's reserved set (kong/tools/uri.lua): escapes of these bytes change a URI's meaning, so they
// stay escaped. Every other escaped byte is decoded.
const RESERVED = new Uint8Array(128)
for (const ch of "!*'();:@&=+$,/?%#[]") RESERVED[ch.charCodeAt(0)] = 1

// `%XX` with upper-case hex for every byte, built once so re-escaping allocates nothing.
const ESCAPED: readonly string[] = Array.from({ length: 256 }, (_, b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)

const PERCENT = 0x25

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  const lower = c | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x57
  return -1
}

// The byte written as `%XX` at `i`, or -1 when `i` does not start a well-formed escape.
function escapedByte(s: string, i: number): number {
  if (i + 2 >= s.length || s.charCodeAt(i) !== PERCENT) return -1
  const hi = hexValue(s.charCodeAt(i + 1))
  if (hi < 0) return -1
  const lo = hexValue(s.charCodeAt(i + 2))
  return lo < 0 ? -1 : (hi << 4) | lo
}

// Continuation byte of a UTF-8 sequence, in [min, max] (narrower than 80..BF right after E0, ED,
// F0 and F4, which is how overlong forms, surrogates and code points past U+10FFFF are refused).
function continuation(s: string, i: number, min: number, max: number): number {
  const b = escapedByte(s, i)
  return b >= min && b <= max ? b & 0x3f : -1
}

// The code point of the well-formed UTF-8 sequence (Unicode table 3-7) whose escaped lead byte
// `lead` is at `i`, or -1. Literal characters never continue a sequence: in Kong's byte view
// they start with an ASCII or lead byte, so escaped and literal bytes cannot combine.
function decodeSequence(s: string, i: number, lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) {
    const c1 = continuation(s, i + 3, 0x80, 0xbf)
    return c1 < 0 ? -1 : ((lead & 0x1f) << 6) | c1
  }
  if (lead >= 0xe0 && lead <= 0xef) {
    const c1 = continuation(s, i + 3, lead === 0xe0 ? 0xa0 : 0x80, lead === 0xed ? 0x9f : 0xbf)
    if (c1 < 0) return -1
    const c2 = continuation(s, i + 6, 0x80, 0xbf)
    return c2 < 0 ? -1 : ((lead & 0x0f) << 12) | (c1 << 6) | c2
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const c1 = continuation(s, i + 3, lead === 0xf0 ? 0x90 : 0x80, lead === 0xf4 ? 0x8f : 0xbf)
    if (c1 < 0) return -1
    const c2 = continuation(s, i + 6, 0x80, 0xbf)
    if (c2 < 0) return -1
    const c3 = continuation(s, i + 9, 0x80, 0xbf)
    return c3 < 0 ? -1 : ((lead & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3
  }
  return -1
}

// Whether the escape at `i` is already written with upper-case hex digits.
function isUpperHex(s: string, i: number): boolean {
  const hi = s.charCodeAt(i + 1)
  const lo = s.charCodeAt(i + 2)
  return !(hi >= 0x61 && hi <= 0x66) && !(lo >= 0x61 && lo <= 0x66)
}

/**
 * Decodes %XX escapes except reserved bytes, whose hex digits are upper-cased instead; decoded
 * bytes are read as UTF-8, and bytes that are not valid UTF-8 stay escaped as upper-case %XX.
 */
export function decodeUnreserved(path: string): string {
  let pct = path.indexOf('%')
  if (pct === -1) return path
  let out = ''
  let copied = 0
  while (pct !== -1) {
    const b = escapedByte(path, pct)
    let next = pct + 3
    if (b < 0) {
      // A `%` that starts no escape stays as written; checkRoutePath reports it.
      next = pct + 1
    } else {
      const cp = b < 0x80 ? (RESERVED[b] === 1 ? -1 : b) : decodeSequence(path, pct, b)
      if (cp >= 0) {
        out += path.slice(copied, pct) + (cp < 0x10000 ? String.fromCharCode(cp) : String.fromCodePoint(cp))
        if (cp >= 0x80) next = pct + (cp < 0x800 ? 6 : cp < 0x10000 ? 9 : 12)
        copied = next
      } else if (!isUpperHex(path, pct)) {
        // Reserved bytes keep their meaning only escaped; a JS string cannot hold the raw invalid
        // byte Kong would keep, so its escape is the faithful form. Either way, upper-case hex.
        out += path.slice(copied, pct) + (ESCAPED[b])
        copied = next
      }
    }
    pct = path.indexOf('%', next)
  }
  return copied === 0 ? path : out + path.slice(copied)
}

const SLASH = 0x2f
const DOT = 0x2e

/**
 * Removes `.` and `..` segments and merges runs of `/`, keeping a trailing slash: the loop of
 * Kong's `normalize` (RFC 3986 §5.2.4 plus slash merging), walking an index instead of cutting.
 */
export function removeDotSegments(path: string): string {
  const out: string[] = []
  const end = path.length
  let p = 0
  while (p < end) {
    const c0 = path.charCodeAt(p)
    const c1 = p + 1 < end ? path.charCodeAt(p + 1) : -1
    const c2 = p + 2 < end ? path.charCodeAt(p + 2) : -1
    const c3 = p + 3 < end ? path.charCodeAt(p + 3) : -1
    if (c0 === SLASH && c1 === DOT && p + 2 === end) {
      // `/.` at the end becomes `/`.
      out.push('/')
      break
    }
    if (c0 === SLASH && c1 === DOT && c2 === DOT && p + 3 === end) {
      // `/..` at the end becomes `/` after dropping the previous segment.
      out.pop()
      out.push('/')
      break
    }
    if (c0 === DOT && (p + 1 === end || (c1 === DOT && p + 2 === end))) break
    if (c0 === DOT && c1 === DOT && c2 === SLASH) p += 3
    else if (c0 === DOT && c1 === SLASH) p += 2
    else if (c0 === SLASH && c1 === DOT && c2 === SLASH) p += 2
    else if (c0 === SLASH && c1 === DOT && c2 === DOT && c3 === SLASH) {
      p += 3
      out.pop()
    } else if (c0 === SLASH && c1 === SLASH) p += 1
    else {
      const slash = path.indexOf('/', p + 1)
      const stop = slash === -1 ? end : slash
      out.push(path.slice(p, stop))
      p = stop
    }
  }
  return out.length === 1 ? (out[0]) : out.join('')
}

// Whether Kong's loop would return `path` unchanged: it only rewrites `/.`, `//` and a path
// that does not start with `/`.
function isClean(path: string): boolean {
  return path.charCodeAt(0) === SLASH && !path.includes('//') && !path.includes('/.')
}

/** Kong's `normalize(uri, merge_slashes=true)`: the form routers match against. */
export function normalizePath(path: string): string {
  if (path === '' || path === '/') return path
  // Most paths have nothing to decode or collapse; skip the work for them.
  if (!path.includes('%') && isClean(path)) return path
  const decoded = decodeUnreserved(path)
  // Decoding `%20` and the like is common; dot segments and `//` are not.
  return isClean(decoded) ? decoded : removeDotSegments(decoded)
}

// Bytes Kong's `escape()` leaves as they are (kong/tools/uri.lua ESCAPE_PATTERN, matched
// case-insensitively): reserved and unreserved characters, and `%` so existing escapes survive.
const URI_SAFE = new Uint8Array(128)
for (const ch of "!#$&'()*+,/:;=?@[]-_.~%") URI_SAFE[ch.charCodeAt(0)] = 1
for (let c = 0x30; c <= 0x39; c++) URI_SAFE[c] = 1
for (let c = 0x41; c <= 0x5a; c++) URI_SAFE[c] = URI_SAFE[c + 0x20] = 1

/**
 * Kong's `escape()` (kong/tools/uri.lua): every byte outside reserved, unreserved and `%`
 * becomes `%XX` with upper-case hex, non-ASCII characters as their UTF-8 bytes (a lone
 * surrogate as U+FFFD, as TextEncoder writes it). A path with nothing to escape comes back as
 * the very same string.
 */
export function escapeUri(path: string): string {
  const end = path.length
  let i = 0
  while (i < end) {
    const c = path.charCodeAt(i)
    if (c >= 0x80 || URI_SAFE[c] === 0) break
    i++
  }
  if (i === end) return path
  let out = path.slice(0, i)
  let copied = i
  while (i < end) {
    let c = path.charCodeAt(i)
    if (c < 0x80 && URI_SAFE[c] === 1) {
      i++
      continue
    }
    if (copied < i) out += path.slice(copied, i)
    i++
    if (c < 0x80) {
      out += ESCAPED[c]
    } else if (c < 0x800) {
      out += ESCAPED[0xc0 | (c >> 6)] + ESCAPED[0x80 | (c & 0x3f)]
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const lo = i < end ? path.charCodeAt(i) : 0
        if (c <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
          i++
          c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00)
          out += ESCAPED[0xf0 | (c >> 18)] + ESCAPED[0x80 | ((c >> 12) & 0x3f)]
        } else {
          c = 0xfffd
          out += ESCAPED[0xe0 | (c >> 12)]
        }
      } else {
        out += ESCAPED[0xe0 | (c >> 12)]
      }
      out += ESCAPED[0x80 | ((c >> 6) & 0x3f)] + ESCAPED[0x80 | (c & 0x3f)]
    }
    copied = i
  }
  return copied < end ? out + path.slice(copied) : out
}
