/** Text folding as nginx and Lua do it, byte by byte. */

/**
 * ASCII-only lower-casing, as nginx and Lua's `string.lower` do: header values are byte strings
 * (latin1) and route patterns are compared as Kong compares them, so `toLowerCase` would also
 * fold what Kong leaves alone (bytes 0xC0 to 0xDE, non-ASCII letters).
 */
export function asciiLower(s: string): string {
  let i = 0
  while (i < s.length) {
    const c = s.charCodeAt(i)
    if (c >= 0x41 && c <= 0x5a) break
    i++
  }
  if (i === s.length) return s
  let out = s.slice(0, i)
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i)
    out += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c + 0x20) : s[i]
  }
  return out
}
