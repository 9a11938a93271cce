/**
 * The router: routes and services of a snapshot in, `match(request)` out, with Kong's
 * traditional_compatible semantics (see matchers.ts for the order of trial).
 *
 * Matching does not try every matcher. At compile time each matcher is filed once under the
 * narrowest key it cannot match without: its plain hosts (exact names), then, within that, the
 * text every path it matches must start with (its prefix paths, or the literal start of its
 * regexes), bucketed by the request's first path segment and by prefix length. A request
 * gathers the few buckets its host and path select, and tries their matchers merged in the
 * global order, so the first full match is the one a scan of every matcher in order would give.
 */
import type { Route, Service } from '../declarative/schema/entities/index.js'
import { normalizePath } from '../util/uri.js'
import { buildMatchers, splitHostPort, type Matcher, type NameRule } from './matchers.js'
import type { RouteMatch, Router, RouterRequest, UriCaptures } from './types.js'

export type { RouteMatch, Router, RouterRequest, UriCaptures } from './types.js'

/** Matchers under the prefix they need, for one key length each. */
interface LenIndex {
  /** Distinct key lengths, ascending. */
  lens: number[]
  byPrefix: Map<string, Matcher[]>
}

/** Matchers by the text a matched path must start with. */
interface PathIndex {
  /** Keys that reach past the first segment (`/a/…`), by that segment (`/a`). */
  segs: Map<string, LenIndex>
  /** Keys within the first segment (`/`, `/ap`, `/api`). */
  short: LenIndex
  /** Matchers with no path key: tried for every path. */
  rest: Matcher[]
}

/** What one request offers, worked out once per match. */
interface Ctx {
  readonly req: RouterRequest
  readonly method: string
  readonly host: string | undefined
  readonly port: number
  readonly path: string
  readonly https: boolean
  readonly sni: string | undefined
}

const newLenIndex = (): LenIndex => ({ lens: [], byPrefix: new Map() })
const newPathIndex = (): PathIndex => ({ segs: new Map(), short: newLenIndex(), rest: [] })

const SLASH = 0x2f

/** The path up to its second `/` (its first segment), or the whole path. */
function firstSegment(path: string): string {
  const j = path.indexOf('/', 1)
  return j < 0 ? path : path.slice(0, j)
}

const REGEX_META = new Set([...'\\.+*?()[]{}^$|'])

/**
 * The literal text every match of a route regex (`~/…`) starts with: Kong anchors it at the start,
 * so a path can match only if it begins with that text. Empty when the pattern has a `|` (an
 * alternative may start anywhere) or begins with something that is not literal.
 */
export function regexLiteralPrefix(path: string): string {
  const pattern = path.slice(1)
  if (pattern.includes('|')) return ''
  let end = 0
  const chars = [...pattern]
  while (end < chars.length && !REGEX_META.has(chars[end])) end++
  // A literal followed by `?`, `*` or `{0,…}` may be absent from the match.
  if (end < chars.length && (chars[end] === '?' || chars[end] === '*' || chars[end] === '{')) end--
  return chars.slice(0, Math.max(0, end)).join('')
}

/** The keys a matcher is filed under, or undefined when some path it matches has none. */
function pathKeys(m: Matcher): string[] | undefined {
  if (m.prefixes) return [...m.prefixes]
  if (m.regexes) {
    const keys = m.route.paths?.filter((p) => p.startsWith('~')).map(regexLiteralPrefix) ?? []
    return keys.every((k) => k.startsWith('/')) ? keys : undefined
  }
  return undefined
}

function addToLen(index: LenIndex, key: string, m: Matcher): void {
  const list = index.byPrefix.get(key)
  if (list) {
    if (list[list.length - 1] !== m) list.push(m)
    return
  }
  index.byPrefix.set(key, [m])
  if (!index.lens.includes(key.length)) {
    index.lens.push(key.length)
    index.lens.sort((a, b) => a - b)
  }
}

function addToPath(index: PathIndex, m: Matcher): void {
  const keys = pathKeys(m)
  if (!keys) {
    index.rest.push(m)
    return
  }
  for (const key of keys) {
    if (key.indexOf('/', 1) < 0) {
      addToLen(index.short, key, m)
      continue
    }
    const seg = firstSegment(key)
    let sub = index.segs.get(seg)
    if (!sub) index.segs.set(seg, (sub = newLenIndex()))
    addToLen(sub, key, m)
  }
}

// Buckets gathered for one request and a cursor into each: reused across matches (match is
// synchronous, so nothing interleaves).
const lists: Matcher[][] = []
const cursors: number[] = []

function gatherLen(index: LenIndex, path: string): void {
  const lens = index.lens
  for (let i = 0; i < lens.length; i++) {
    const len = lens[i]
    if (len > path.length) break
    const list = index.byPrefix.get(len === path.length ? path : path.slice(0, len))
    if (list !== undefined) lists.push(list)
  }
}

function gatherPath(index: PathIndex, path: string): void {
  if (index.segs.size > 0) {
    const sub = index.segs.get(firstSegment(path))
    if (sub !== undefined) gatherLen(sub, path)
  }
  if (index.short.lens.length > 0) gatherLen(index.short, path)
  if (index.rest.length > 0) lists.push(index.rest)
}

function nameMatches(rules: readonly NameRule[], name: string, port: number): boolean {
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]
    if (r.port !== undefined && r.port !== port) continue
    if (r.kind === 'exact' ? name === r.value : r.kind === 'suffix' ? name.endsWith(r.value) : name.startsWith(r.value)) return true
  }
  return false
}

function headersMatch(m: Matcher, req: RouterRequest): boolean {
  const rules = m.headers
  if (rules === undefined) return true
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]
    const got = req.header(rule.name)
    if (got === undefined) return false
    let ok = false
    const values = typeof got === 'string' ? [got] : got
    for (let j = 0; j < values.length && !ok; j++) {
      const v = values[j].toLowerCase()
      if (rule.values.includes(v)) ok = true
      else for (let k = 0; k < rule.regexes.length && !ok; k++) ok = rule.regexes[k].test(v)
    }
    if (!ok) return false
  }
  return true
}

/** Kong's uri_captures: kept only when some group besides the whole match took part. */
function capturesOf(groups: readonly (string | undefined)[], names: readonly (string | undefined)[]): UriCaptures | undefined {
  let out: Record<string, string> | undefined
  for (let i = 1; i < groups.length; i++) {
    const g = groups[i]
    if (g === undefined) continue
    out ??= { 0: groups[0] ?? '' }
    out[i] = g
    const name = names[i]
    if (name !== undefined) out[name] = g
  }
  return out
}

/** The match of one matcher against a request, or undefined. */
function tryMatcher(m: Matcher, ctx: Ctx): RouteMatch | undefined {
  if (m.methods !== undefined && !m.methods.includes(ctx.method)) return undefined
  if (m.hosts !== undefined && (ctx.host === undefined || !nameMatches(m.hosts, ctx.host, ctx.port))) return undefined
  // SNI rules apply to https requests only (Kong #6425).
  if (m.snis !== undefined && ctx.https && (ctx.sni === undefined || !nameMatches(m.snis, ctx.sni, ctx.port))) return undefined
  if (!headersMatch(m, ctx.req)) return undefined
  let prefix: string | undefined
  let captures: UriCaptures | undefined
  if (m.prefixes !== undefined) {
    for (let i = 0; i < m.prefixes.length && prefix === undefined; i++) if (ctx.path.startsWith(m.prefixes[i])) prefix = m.prefixes[i]
    if (prefix === undefined) return undefined
  } else if (m.regexes !== undefined) {
    for (let i = 0; i < m.regexes.length && prefix === undefined; i++) {
      const re = m.regexes[i]
      const groups = re.exec(ctx.path)
      if (groups !== null) {
        prefix = groups[0] ?? ''
        if (re.groups > 0) captures = capturesOf(groups, re.names)
      }
    }
    if (prefix === undefined) return undefined
  }
  return { route: m.route, service: m.service, path: ctx.path, prefix, captures }
}

function contextOf(req: RouterRequest): Ctx {
  let host = req.host
  let port = req.port
  if (host !== undefined && host.includes(':')) {
    const split = splitHostPort(host)
    host = split.host
    if (split.port !== undefined) port = split.port
  }
  const raw = req.rawPath
  // Most paths are already normal; the check is cheaper than the call.
  const path = raw.includes('%') || raw.includes('/.') || raw.includes('//') || raw.charCodeAt(0) !== SLASH ? normalizePath(raw) : raw
  return { req, method: req.method, host, port, path, https: req.scheme === 'https', sni: req.sni }
}

/** Compiles the routes of a snapshot into a router; `servicesById` resolves each route's service. */
export function compileRouter(routes: readonly Route[], servicesById: ReadonlyMap<string, Service>): Router {
  const matchers = buildMatchers(routes, servicesById)
  const byHost = new Map<string, PathIndex>()
  const other = newPathIndex()
  for (const m of matchers) {
    const plain = m.hosts !== undefined && m.hosts.every((h) => h.kind === 'exact')
    if (!plain || m.hosts === undefined) {
      addToPath(other, m)
      continue
    }
    for (const name of new Set(m.hosts.map((h) => h.value))) {
      let index = byHost.get(name)
      if (!index) byHost.set(name, (index = newPathIndex()))
      addToPath(index, m)
    }
  }

  const match = (req: RouterRequest): RouteMatch | undefined => {
    const ctx = contextOf(req)
    lists.length = 0
    if (ctx.host !== undefined && byHost.size > 0) {
      const index = byHost.get(ctx.host)
      if (index !== undefined) gatherPath(index, ctx.path)
    }
    gatherPath(other, ctx.path)
    const n = lists.length
    for (let i = 0; i < n; i++) cursors[i] = 0
    let last = -1
    for (;;) {
      // The k-way merge of a few short sorted lists: the next matcher in global order.
      let best = -1
      let bestOrder = Infinity
      for (let i = 0; i < n; i++) {
        const list = lists[i]
        const c = cursors[i]
        if (c < list.length && list[c].order < bestOrder) {
          bestOrder = list[c].order
          best = i
        }
      }
      if (best < 0) return undefined
      const m = lists[best][cursors[best]++]
      // A matcher filed under two keys that both fit the path comes up twice.
      if (m.order === last) continue
      last = m.order
      const found = tryMatcher(m, ctx)
      if (found !== undefined) return found
    }
  }

  const matchLinear = (req: RouterRequest): RouteMatch | undefined => {
    const ctx = contextOf(req)
    for (const m of matchers) {
      const found = tryMatcher(m, ctx)
      if (found !== undefined) return found
    }
    return undefined
  }

  return { match, matchLinear, size: matchers.length }
}
