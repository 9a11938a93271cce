/**
 * Routes into matchers, as Kong's traditional_compatible flavor builds them: a route whose paths
 * fall into several groups (all regexes; prefixes of each length) is split into one matcher per
 * group, and each matcher gets Kong's priority (the intended bit layout of transform.lua's
 * get_priority) and is tried in descending (priority, id) order.
 */
import { uuidV5In } from '../declarative/ids.js'
import type { Route, Service } from '../declarative/schema/entities/index.js'
import { asciiLower } from '../util/ascii.js'
import { compileRustRegex, isRegexError, kongHeaderPattern, kongPathPattern, type RustRegex } from '../util/rust-regex.js'

/** Kong's namespace for the ids of split routes (transform.lua). */
export const SPLIT_NAMESPACE = '7f145bf9-0dce-4f91-98eb-debbce4b9f6b'

const HTTP_PROTOCOLS: ReadonlySet<string> = new Set(['http', 'https', 'grpc', 'grpcs'])

/** A host or SNI rule: exact, ends-with (`*.a.com`), or starts-with (`a.*`). */
export interface NameRule {
  readonly kind: 'exact' | 'suffix' | 'prefix'
  readonly value: string
  /** Hosts only: the port the request must be on. */
  readonly port: number | undefined
}

/** One header name's accepted values (lower-cased) and `~*` regexes (on lower-cased values). */
export interface HeaderRule {
  readonly name: string
  readonly values: readonly string[]
  readonly regexes: readonly RustRegex[]
}

/** A route, or one path group of a split route, ready to be tried. */
export interface Matcher {
  readonly route: Route
  readonly service: Service | undefined
  /** The id Kong gives it: the route's, or the split id. */
  readonly id: string
  readonly priority: bigint
  /** Position in the order matchers are tried; set once sorted. */
  order: number
  readonly methods: readonly string[] | undefined
  readonly hosts: readonly NameRule[] | undefined
  readonly snis: readonly NameRule[] | undefined
  readonly prefixes: readonly string[] | undefined
  readonly regexes: readonly RustRegex[] | undefined
  readonly headers: readonly HeaderRule[] | undefined
}

const nonEmpty = <T>(v: readonly T[] | null | undefined): v is readonly T[] => v !== null && v !== undefined && v.length > 0

/** Kong's split_host_port: the port is split off at the first `:` only when the rest is a number. */
export function splitHostPort(value: string): { host: string; port: number | undefined } {
  const i = value.indexOf(':')
  if (i < 0) return { host: value, port: undefined }
  const rest = value.slice(i + 1)
  return /^[0-9]+$/.test(rest) ? { host: value.slice(0, i), port: Number(rest) } : { host: value, port: undefined }
}

function hostRule(entry: string): NameRule {
  const { host, port } = splitHostPort(entry)
  if (host.startsWith('*')) return { kind: 'suffix', value: host.slice(1), port }
  if (host.endsWith('*')) return { kind: 'prefix', value: host.slice(0, -1), port }
  return { kind: 'exact', value: host, port }
}

function sniRule(sni: string): NameRule {
  if (sni.endsWith('*') && !sni.startsWith('*')) return { kind: 'prefix', value: sni.slice(0, -1), port: undefined }
  // The last dot of a fully qualified name takes no part in routing.
  const name = sni.length > 1 && sni.endsWith('.') ? sni.slice(0, -1) : sni
  if (name.startsWith('*')) return { kind: 'suffix', value: name.slice(1), port: undefined }
  return { kind: 'exact', value: name, port: undefined }
}

function compile(pattern: string, routeId: string): RustRegex {
  const re = compileRustRegex(pattern)
  // The loader refuses every pattern that does not compile, so this is a bug, not bad input.
  if (isRegexError(re)) throw new Error(`route ${routeId}: regex '${pattern}' does not compile: ${re.reason}`)
  return re
}

/** UTF-8 length: Lua's `#` on a path, which Kong groups and prioritizes by. */
const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8')

/** Kong's path groups: all regexes together, prefixes by length, in order of first appearance. */
export function pathGroups(paths: readonly string[]): string[][] {
  const groups = new Map<number, string[]>()
  for (const p of paths) {
    const key = p.startsWith('~') ? -1 : byteLength(p)
    const group = groups.get(key)
    if (group) group.push(p)
    else groups.set(key, [p])
  }
  return [...groups.values()]
}

const MASK_19 = 0x7ffffn
const RP_BIAS = 2n ** 31n

/**
 * The intended layout of Kong's priority (transform.lua get_priority): W (fields set) in bits
 * 61-63, P (plain hosts only) 60, H (header names) 52-59, R (regex group) 51, RP (regex_priority)
 * 19-50, L (prefix length) 0-18. RP is stored with a bias of 2^31, so a negative regex_priority
 * sorts below 0 instead of wrapping around to the top.
 */
export function priorityOf(route: Route, paths: readonly string[] | undefined): bigint {
  // Read through a plain record: the declared types of sources and destinations are deep.
  const r = route as unknown as Readonly<Record<string, unknown>>
  const fields: unknown[] = [r.sources, r.destinations, route.methods, route.hosts, route.snis, paths]
  let w = 0n
  for (const f of fields) if (Array.isArray(f) && f.length > 0) w++
  const headerCount = route.headers ? Object.keys(route.headers).length : 0
  if (headerCount > 0) w++
  const plain = route.hosts !== null && route.hosts.every((h) => !h.includes('*'))
  const regex = paths !== undefined && paths.length > 0 && paths[0].startsWith('~')
  const length = !regex && paths !== undefined && paths.length > 0 ? BigInt(byteLength(paths[0])) : 0n
  let rp = 0n
  if (regex) {
    const clamped = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, route.regex_priority))
    rp = BigInt(clamped) + RP_BIAS
  }
  return (
    (w << 61n) |
    (plain ? 1n << 60n : 0n) |
    (BigInt(Math.min(headerCount, 255)) << 52n) |
    (regex ? 1n << 51n : 0n) |
    (rp << 19n) |
    (length & MASK_19)
  )
}

function buildMatcher(route: Route, service: Service | undefined, id: string, paths: readonly string[] | undefined): Matcher {
  const regexPaths = paths?.filter((p) => p.startsWith('~'))
  const headers = route.headers
    ? Object.entries(route.headers).map(([name, values]): HeaderRule => ({
        name: asciiLower(name).replaceAll('_', '-'),
        values: values.filter((v) => !v.startsWith('~*')).map(asciiLower),
        regexes: values.filter((v) => v.startsWith('~*')).map((v) => compile(kongHeaderPattern(v), route.id)),
      }))
    : []
  return {
    route,
    service,
    id,
    priority: priorityOf(route, paths),
    order: 0,
    methods: nonEmpty(route.methods) ? route.methods : undefined,
    hosts: nonEmpty(route.hosts) ? route.hosts.map(hostRule) : undefined,
    snis: nonEmpty(route.snis) ? route.snis.map(sniRule) : undefined,
    prefixes: paths && !paths[0].startsWith('~') ? paths : undefined,
    regexes: regexPaths && regexPaths.length > 0 ? regexPaths.map((p) => compile(kongPathPattern(p), route.id)) : undefined,
    headers: headers.length > 0 ? headers : undefined,
  }
}

/** Kong's order of trial: higher priority first, then the larger id (as lower-case hex text). */
export function compareMatchers(a: Matcher, b: Matcher): number {
  if (a.priority !== b.priority) return a.priority > b.priority ? -1 : 1
  const ia = a.id.toLowerCase()
  const ib = b.id.toLowerCase()
  return ia === ib ? 0 : ia > ib ? -1 : 1
}

/**
 * The matchers of the HTTP routes, sorted in the order they are tried. Routes of a disabled
 * service are left out; routes without a service are kept.
 */
export function buildMatchers(routes: readonly Route[], servicesById: ReadonlyMap<string, Service>): Matcher[] {
  const out: Matcher[] = []
  for (const route of routes) {
    if (!route.protocols.some((p) => HTTP_PROTOCOLS.has(p))) continue
    const service = route.service ? servicesById.get(route.service.id) : undefined
    if (service && !service.enabled) continue
    const groups = nonEmpty(route.paths) ? pathGroups(route.paths) : []
    if (groups.length <= 1) {
      out.push(buildMatcher(route, service, route.id, groups[0]))
      continue
    }
    groups.forEach((paths, i) => out.push(buildMatcher(route, service, uuidV5In(SPLIT_NAMESPACE, `${route.id}#${i + 1}`), paths)))
  }
  out.sort(compareMatchers)
  out.forEach((m, i) => (m.order = i))
  return out
}
