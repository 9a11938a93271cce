/**
 * Config errors: every problem with where it is (source, line, column, entity path), rendered in
 * Kong's nested and flattened shapes, as Kong's pretty CLI text, and as located lines.
 */
import type { PositionIndex } from './positions.js'
import type { Path } from './schema/validate.js'

/** The entity a problem concerns, as the user wrote it. */
export interface EntityOrigin {
  readonly collection: string
  readonly singular: string
  /** Document path of the entity (`['services', 0, 'routes', 1]`). */
  readonly at: Path
  /** The entity as written, for echoing in flattened errors. */
  readonly input: Readonly<Record<string, unknown>>
  /** Collections nested in this entity's input, dropped from the echo. */
  readonly nested: readonly string[]
  /** The parent's foreign key, added to the echo when the parent has an id. */
  readonly parent?: { readonly field: string; readonly id: unknown }
}

/**
 * How a problem sits in Kong's nested `fields` tree: a string at its key, an `@entity` list
 * entry under its key, or an entry of a list at its key (reference errors).
 */
export type IssueKind = 'field' | 'entity' | 'list'

/** One problem in a config. */
export interface ConfigIssue {
  readonly kind: IssueKind
  /** Where it goes in Kong's nested `fields` tree. */
  readonly key: Path
  /** Where it is in the document, for line, column and the entity path. */
  readonly at: Path
  readonly message: string
  readonly entity?: EntityOrigin
  /** Dot path of the field inside the entity; absent for entity-level problems. */
  readonly field?: string
}

/** A problem with its place in the source, ready to print or serialize. */
export interface LocatedIssue {
  readonly source: string
  readonly line?: number
  readonly column?: number
  /** Entity path, e.g. `services[2].routes[0].paths[1]`. */
  readonly path: string
  readonly message: string
}

/** The 400 body Kong sends for an invalid declarative config, plus our `details`. */
export interface KongConfigErrorBody {
  readonly code: 14
  readonly name: 'invalid declarative configuration'
  readonly message: string
  readonly fields: unknown
  readonly flattened_errors?: unknown[]
  readonly details: LocatedIssue[]
}

/** Thrown for any invalid config text: carries every problem found, never just the first. */
export class DeclarativeConfigError extends Error {
  readonly issues: readonly ConfigIssue[]
  readonly source: string
  readonly #positions: () => PositionIndex | undefined

  constructor(issues: readonly ConfigIssue[], source: string, positions: () => PositionIndex | undefined) {
    const tree = buildTree(issues)
    super(`declarative config is invalid: ${luaPretty(tree)}`)
    this.name = 'DeclarativeConfigError'
    this.issues = issues
    this.source = source
    this.#positions = positions
  }

  /** Every problem with source, line, column and entity path, in document order. */
  located(): LocatedIssue[] {
    const index = this.#positions()
    const located = sortByPath(this.issues, (i) => i.at).map((issue) => {
      const pos = index?.find(issue.at)
      return {
        source: this.source,
        ...(pos ? { line: pos.line, column: pos.column } : {}),
        path: pathString(issue.at),
        message: issue.message,
      }
    })
    return located.sort(byLine)
  }

  /** Kong's nested `fields` tree. */
  fields(): unknown {
    return toJson(buildTree(this.issues))
  }

  /** The HTTP 400 body: Kong's nested form, or with `flatten` the flattened form. */
  toKongBody(flatten = false): KongConfigErrorBody {
    const details = this.located()
    if (!flatten) {
      return { code: 14, name: 'invalid declarative configuration', message: this.message, fields: this.fields(), details }
    }
    const rest = this.issues.filter((i) => i.entity === undefined)
    const tree = buildTree(rest)
    return {
      code: 14,
      name: 'invalid declarative configuration',
      message: `declarative config is invalid: ${luaPretty(tree)}`,
      fields: toJson(tree),
      flattened_errors: this.#flattened(),
      details,
    }
  }

  /** Kong's CLI rendering (`in 'services':` / `- in entry 1 of 'services':`). */
  pretty(): string {
    return prettyLines(toJson(buildTree(this.issues)), 0).join('\n')
  }

  #flattened(): unknown[] {
    const index = this.#positions()
    const groups = new Map<EntityOrigin, ConfigIssue[]>()
    for (const issue of this.issues) {
      if (!issue.entity) continue
      const list = groups.get(issue.entity) ?? []
      list.push(issue)
      groups.set(issue.entity, list)
    }
    const origins = sortByPath([...groups.keys()], (o) => o.at)
    const lineOf = (o: EntityOrigin): { line?: number; column?: number } => index?.find(o.at) ?? {}
    origins.sort((a, b) => byLine(lineOf(a), lineOf(b)))
    return origins.map((origin) => {
      const input = origin.input
      const entry: Record<string, unknown> = { entity_type: origin.singular }
      if (typeof input.id === 'string' && UUID_RE.test(input.id)) entry.entity_id = input.id
      if (typeof input.name === 'string' && input.name !== '') entry.entity_name = input.name
      if (Array.isArray(input.tags) && input.tags.every((t) => typeof t === 'string')) entry.entity_tags = input.tags
      entry.entity = echo(origin)
      const pos = index?.find(origin.at)
      entry.entity_path = pathString(origin.at)
      if (pos) Object.assign(entry, { line: pos.line, column: pos.column })
      entry.errors = (groups.get(origin) ?? []).map((issue) => {
        const at = index?.find(issue.at)
        return {
          type: issue.field === undefined ? 'entity' : 'field',
          ...(issue.field === undefined ? {} : { field: kongFieldPath(issue.field) }),
          message: issue.message,
          path: pathString(issue.at),
          ...(at ? { line: at.line, column: at.column } : {}),
        }
      })
      return entry
    })
  }
}

/** Document order where lines are known; stable otherwise. */
function byLine(a: { line?: number; column?: number }, b: { line?: number; column?: number }): number {
  if (a.line === undefined || b.line === undefined) return 0
  return a.line - b.line || (a.column ?? 0) - (b.column ?? 0)
}

/** Kong numbers array elements from 1 in flattened field paths (`tags.3`). */
function kongFieldPath(field: string): string {
  return field
    .split('.')
    .map((p) => (/^\d+$/.test(p) ? String(Number(p) + 1) : p))
    .join('.')
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function echo(origin: EntityOrigin): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(origin.input)) {
    if (origin.nested.includes(k)) continue
    out[k] = v
  }
  if (origin.parent && typeof origin.parent.id === 'string' && UUID_RE.test(origin.parent.id)) {
    out[origin.parent.field] = { id: origin.parent.id }
  }
  return out
}

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

function sortByPath<T>(items: readonly T[], pathOf: (t: T) => Path): T[] {
  return [...items].sort((a, b) => comparePaths(pathOf(a), pathOf(b)))
}

function comparePaths(a: Path, b: Path): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string | number
    const y = b[i] as string | number
    if (x === y) continue
    if (typeof x === 'number' && typeof y === 'number') return x - y
    return String(x) < String(y) ? -1 : 1
  }
  return a.length - b.length
}

type TreeNode = string | string[] | Map<string | number, TreeNode>

function buildTree(issues: readonly ConfigIssue[]): Map<string | number, TreeNode> {
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
    const last = key[key.length - 1] as string | number
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

function toJson(node: TreeNode): unknown {
  if (typeof node === 'string' || Array.isArray(node)) return node
  const keys = [...node.keys()]
  if (keys.length > 0 && keys.every((k) => typeof k === 'number')) {
    const max = Math.max(...(keys as number[]))
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

const LUA_KEYWORDS = new Set(['and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'goto', 'if', 'in', 'local', 'nil', 'not', 'or', 'repeat', 'return', 'then', 'true', 'until', 'while'])

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

function prettyLines(value: unknown, depth: number): string[] {
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
