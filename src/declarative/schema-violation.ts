/**
 * Kong's "schema violation" error (`kong/db/errors.lua`): code 2, the nested `fields` tree, and
 * a message listing every problem, `@entity` ones first, then by field name.
 */
import { LUA_KEYWORDS, buildTree, toJson, type TreeNode } from './error-tree.js'
import type { FieldIssue } from './schema/validate.js'

/** The 400 body of an entity that failed validation. */
export interface SchemaViolationBody {
  readonly code: 2
  readonly name: 'schema violation'
  readonly message: string
  readonly fields: unknown
}

type Tree = Map<string | number, TreeNode>

/** Lua's order of a table's keys as Kong sorts them: numbers, then strings by bytes. */
function sortedKeys(tree: Tree): (string | number)[] {
  return [...tree.keys()].sort((a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b
    if (typeof a === 'number') return -1
    if (typeof b === 'number') return 1
    return a < b ? -1 : a > b ? 1 : 0
  })
}

/** A key as Lua shows it: array indexes count from 1. */
const luaKey = (key: string | number): string => (typeof key === 'number' ? String(key + 1) : key)

/**
 * The most `=` signs in a run Lua could read as a long bracket (`[[`, `]=]`...), or undefined
 * when there is none; matches may share a bracket, as Penlight searches on from a match's end.
 */
function longBracketEquals(s: string): number | undefined {
  const pattern = /([[\]])(=*)\1/g
  let most: number | undefined
  for (let m = pattern.exec(s); m; m = pattern.exec(s)) {
    most = Math.max(most ?? 0, (m[2] ?? '').length)
    pattern.lastIndex = m.index + m[0].length - 1
  }
  return most
}

/** Penlight's `quote_string`: a long bracket for text with newlines or brackets, else Lua's `%q`. */
export function quoteString(s: string): string {
  const equals = longBracketEquals(`${s}]`)
  if ((s.includes('\n') || equals !== undefined) && !s.includes('\r')) {
    const level = '='.repeat((equals ?? -1) + 1)
    // A long string drops a newline right after its opening bracket: one is added to keep it.
    return `[${level}[${s.startsWith('\n') ? '\n' : ''}${s}]${level}]`
  }
  return `"${s.replace(/[\\"\n\r\0]/g, (c) => (c === '\r' ? '\\r' : c === '\0' ? '\\0' : `\\${c}`))}"`
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Penlight's `pretty.write(t)` with its default two-space indent, which Kong uses for nested errors. */
export function penlightWrite(node: TreeNode): string {
  const lines: string[] = []
  let line = ''
  const putln = (s: string): void => {
    lines.push(line + s)
    line = ''
  }
  const eatLastComma = (): void => {
    const last = lines.length - 1
    if (lines[last]?.endsWith(',')) lines[last] = lines[last].slice(0, -1)
  }
  const write = (value: TreeNode, oldIndent: string, indent: string): void => {
    if (typeof value === 'string') {
      putln(`${quoteString(value)},`)
      return
    }
    putln('{')
    const next = `${indent}  `
    const entries: [string | number, TreeNode][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : sortedKeys(value).map((k) => [k, value.get(k) as TreeNode])
    // The array part (1, 2, ... without gaps) is written bare, the rest as `key = value`.
    let expected = 0
    for (const [key, v] of entries) {
      line += indent
      if (typeof key === 'number' && key === expected) {
        expected++
      } else {
        const shown = typeof key === 'number' ? `[${key + 1}]` : IDENTIFIER.test(key) && !LUA_KEYWORDS.has(key) ? key : `[${quoteString(key)}]`
        line += `${shown} = `
      }
      write(v, indent, next)
    }
    eatLastComma()
    putln(`${oldIndent}},`)
  }
  write(node, '', '  ')
  eatLastComma()
  return lines.join('\n')
}

/** Kong's schema-violation message: one problem as `(field: message)`, several counted. */
export function schemaViolationMessage(tree: Tree): string {
  const parts: string[] = []
  const entity = tree.get('@entity')
  if (Array.isArray(entity)) parts.push(...entity)
  for (const key of sortedKeys(tree)) {
    if (key === '@entity') continue
    const value = tree.get(key) as TreeNode
    if (typeof value === 'string') {
      parts.push(`${luaKey(key)}: ${value}`)
      continue
    }
    const sub: Tree = Array.isArray(value) ? new Map(value.map((v, i) => [i, v])) : value
    for (const subKey of sortedKeys(sub)) {
      const v = sub.get(subKey) as TreeNode
      parts.push(`${luaKey(key)}.${luaKey(subKey)}: ${typeof v === 'string' ? v : penlightWrite(v)}`)
    }
  }
  return parts.length === 1 ? `schema violation (${parts[0]})` : `${parts.length} schema violations (${parts.join('; ')})`
}

/** The body Kong sends for these problems. */
export function schemaViolationBody(issues: readonly FieldIssue[]): SchemaViolationBody {
  const tree = buildTree(issues.map((i) => ({ kind: i.entity ? 'entity' : 'field', key: i.path, at: i.path, message: i.message })))
  return { code: 2, name: 'schema violation', message: schemaViolationMessage(tree), fields: toJson(tree) }
}
