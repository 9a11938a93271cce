/**
 * Reading header names and values the way Kong and nginx do, without allocating for the
 * common case: case-insensitive name tests, Kong's `csv()` walk, `strip()`.
 */
import { asciiLower } from '../util/ascii.js'

/**
 * Whether a header name (or a letters-and-symbols word such as `websocket`) equals a lower-case
 * name, ignoring the case of letters only, as nginx and Lua's `lower` compare.
 */
export function nameIs(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false
  for (let i = 0; i < lower.length; i++) {
    const c = name.charCodeAt(i)
    const l = lower.charCodeAt(i)
    if (c !== l && !(l >= 0x61 && l <= 0x7a && c === l - 0x20)) return false
  }
  return true
}

// Lua's %s: space, \t, \n, \v, \f, \r.
const isLuaSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d)

/** Kong's `strip()` (kong/tools/string.lua): leading and trailing Lua whitespace removed. */
export function strip(s: string): string {
  let a = 0
  let b = s.length
  while (a < b && isLuaSpace(s.charCodeAt(a))) a++
  while (b > a && isLuaSpace(s.charCodeAt(b - 1))) b--
  return a === 0 && b === s.length ? s : s.slice(a, b)
}

/** The first line of a header in Node's flat rawHeaders list, as Kong's `get_header` reads it. */
export function firstHeader(rawHeaders: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) if (nameIs(rawHeaders[i], lowerName)) return rawHeaders[i + 1]
  return undefined
}

/**
 * The entries of a comma-separated header value as Kong's `csv()` (kong/runloop/handler.lua)
 * yields them: lower-cased, trimmed, empty entries skipped, and nothing at all for a value that
 * is exactly `close`, `upgrade` or `keep-alive`.
 */
export function csvTokens(value: string): string[] {
  const s = asciiLower(value)
  if (s === '' || s === 'close' || s === 'upgrade' || s === 'keep-alive') return []
  const out: string[] = []
  let start = 0
  while (start <= s.length) {
    let end = s.indexOf(',', start)
    if (end === -1) end = s.length
    let a = start
    let b = end
    // Kong trims only an entry that starts (or ends) with a space, then every %s on that side.
    if (s.charCodeAt(a) === 0x20) while (a < b && isLuaSpace(s.charCodeAt(a))) a++
    if (b > a && s.charCodeAt(b - 1) === 0x20) while (b > a && isLuaSpace(s.charCodeAt(b - 1))) b--
    if (b > a) out.push(s.slice(a, b))
    start = end + 1
  }
  return out
}
