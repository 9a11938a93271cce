/**
 * URI path helpers shared by config validation and routing: Kong's path normalization
 * (decode unreserved escapes, remove dot segments, merge slashes).
 */

const RESERVED = new Set("!*'();:@&=+$,/?%#[]".split(''))

/** Decodes %XX escapes except reserved bytes, whose hex digits are upper-cased instead. */
export function decodeUnreserved(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16))
    return RESERVED.has(ch) ? `%${hex.toUpperCase()}` : ch
  })
}

/** Removes `.` and `..` segments and merges runs of `/`, keeping a trailing slash. */
export function removeDotSegments(path: string): string {
  const out: string[] = []
  const segments = path.split('/')
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as string
    const last = i === segments.length - 1
    if (seg === '.' || seg === '..') {
      if (seg === '..' && out.length > 1) out.pop()
      if (last) out.push('')
      continue
    }
    if (seg === '' && i > 0 && !last) continue
    out.push(seg)
  }
  const joined = out.join('/')
  return joined.startsWith('/') ? joined : `/${joined}`
}

/** Kong's `normalize(uri, merge_slashes=true)`: the form routers match against. */
export function normalizePath(path: string): string {
  if (path === '' || path === '/') return path
  // Most paths have nothing to decode or collapse; skip the work for them.
  if (!path.includes('%') && !path.includes('//') && !path.includes('/.')) return path
  return removeDotSegments(decodeUnreserved(path))
}
