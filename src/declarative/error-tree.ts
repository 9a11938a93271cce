/**
 * Kong's nested shape of config errors: the `fields` tree, its Penlight rendering that Kong uses
 * as the error `message`, and the indented text Kong's CLI prints.
 */
import type { ConfigIssue } from './errors.js'

export type TreeNode = string | string[] | Map<string | number, TreeNode>

/** Kong's nested `fields` tree of a list of problems; the first message about a value wins. */
export function buildTree(issues: readonly ConfigIssue[]): Map<string | number, TreeNode> {
  const root = new Map<string | number, TreeNode>()
  for (const issue of issues) {
    const key = issue.kind === 'entity' ? [...issue.key, '@entity'] : issue.key
    let node = root
    let blocked = false
    for (const part of key.slice(0, -1)) {
      let next = node.get(part)
      if (next === undefined) {
        next = new Map()
        node.set(part, next)
      }
      if (!(next instanceof Map)) {
        blocked = true // a string already sits here; the first message about a value wins
        break
      }
      node = next
    }
    if (blocked) continue
    const last = key[key.length - 1]
    const existing = node.get(last)
    if (issue.kind === 'field') {
      if (existing === undefined) node.set(last, issue.message)
    } else if (existing === undefined) {
      node.set(last, [issue.message])
    } else if (Array.isArray(existing)) {
      existing.push(issue.message)
    }
  }
  return root
}

/** The tree as JSON: list entries numbered from 1 as Kong numbers them, keys sorted. */
export function toJson(node: TreeNode): unknown {
  if (typeof node === 'string' || Array.isArray(node)) return node
  const keys = [...node.keys()]
  if (keys.length > 0 && keys.every((k) => typeof k === 'number')) {
    const max = Math.max(...(keys))
    const out: unknown[] = new Array(max + 1).fill(null)
    for (const [k, v] of node) out[k as number] = toJson(v)
    return out
  }
  const out: Record<string, unknown> = {}
  for (const k of [...keys].sort((a, b) => (String(a) < String(b) ? -1 : 1))) {
    out[typeof k === 'number' ? String(k + 1) : k] = toJson(node.get(k) as TreeNode)
  }
  return out
}

/** Lua's reserved words, which cannot be bare table keys. */
export const LUA_KEYWORDS: ReadonlySet<string> = new Set(['and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'goto', 'if', 'in', 'local', 'nil', 'not', 'or', 'repeat', 'return', 'then', 'true', 'until', 'while'])

function luaString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`
}

/** Penlight's `pretty.write(t, "")`, which Kong uses for the error `message`, keys sorted. */
export function luaPretty(tree: Map<string | number, TreeNode>): string {
  return luaValue(toJson(tree))
}

function luaValue(value: unknown): string {
  if (typeof value === 'string') return luaString(value)
  if (Array.isArray(value)) {
    const parts: string[] = []
    let bare = true
    value.forEach((v, i) => {
      if (v === null) {
        bare = false
        return
      }
      parts.push(bare ? luaValue(v) : `[${i + 1}]=${luaValue(v)}`)
    })
    return `{${parts.join(',')}}`
  }
  if (value !== null && typeof value === 'object') {
    const parts = Object.keys(value).map((k) => {
      const v = luaValue((value as Record<string, unknown>)[k])
      return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && !LUA_KEYWORDS.has(k) ? `${k}=${v}` : `[${luaString(k)}]=${v}`
    })
    return `{${parts.join(',')}}`
  }
  return String(value)
}

/** Kong's CLI rendering of a `fields` tree (`in 'services':` / `- in entry 1 of 'services':`). */
export function prettyLines(value: unknown, depth: number): string[] {
  const pad = '  '.repeat(depth)
  const lines: string[] = []
  if (value === null || typeof value !== 'object') return lines
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') {
      lines.push(`${pad}in '${k}': ${v}`)
    } else if (k === '@entity' && Array.isArray(v)) {
      for (const m of v) lines.push(`${pad}${String(m)}`)
    } else if (Array.isArray(v)) {
      lines.push(`${pad}in '${k}':`)
      v.forEach((entry, i) => {
        if (entry === null) return
        if (typeof entry === 'string') lines.push(`${pad}  - in entry ${i + 1} of '${k}': ${entry}`)
        else lines.push(`${pad}  - in entry ${i + 1} of '${k}':`, ...prettyLines(entry, depth + 2))
      })
    } else {
      lines.push(`${pad}in '${k}':`, ...prettyLines(v, depth + 1))
    }
  }
  return lines
}
