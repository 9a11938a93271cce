/** Where a config problem is: entity paths as text, and the document order problems are listed in. */
import type { Path } from './schema/validate.js'

/** `services[2].routes[0].paths[1]` from a document path. */
export function pathString(path: Path): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else if (/^[A-Za-z_@][A-Za-z0-9_-]*$/.test(part)) out += out === '' ? part : `.${part}`
    else out += `[${JSON.stringify(part)}]`
  }
  return out === '' ? '(document)' : out
}

/** Document order where lines are known; stable otherwise. */
export function byLine(a: { line?: number; column?: number }, b: { line?: number; column?: number }): number {
  if (a.line === undefined || b.line === undefined) return 0
  return a.line - b.line || (a.column ?? 0) - (b.column ?? 0)
}

/** Items sorted by their document path: keys by name, list entries by index. */
export function sortByPath<T>(items: readonly T[], pathOf: (t: T) => Path): T[] {
  return [...items].sort((a, b) => comparePaths(pathOf(a), pathOf(b)))
}

function comparePaths(a: Path, b: Path): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]
    const y = b[i]
    if (x === y) continue
    if (typeof x === 'number' && typeof y === 'number') return x - y
    return String(x) < String(y) ? -1 : 1
  }
  return a.length - b.length
}
