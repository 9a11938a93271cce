/** The `routes` entity: the rules that match requests to a service. */
import { isIP } from 'node:net'
import { compileRustRegex, isRegexError, kongHeaderPattern, kongPathPattern, type RegexError } from '../../../util/rust-regex.js'
import { normalizePath } from '../../../util/uri.js'
import * as t from '../typedefs.js'
import { defineEntity, type EntityOf, type EntityCheck, type Field, type RecordField } from '../types.js'
import { PROTOCOLS } from './services.js'

const GROUPS = [['http', 'https'], ['tcp', 'tls', 'udp'], ['tls_passthrough'], ['grpc', 'grpcs']] as const

/** A route host: a name or IP with an optional port and at most one `*` at either end. */
export function checkRouteHost(value: string): string | undefined {
  const stars = value.split('*').length - 1
  if (stars > 1) return 'invalid wildcard: must have at most one wildcard'
  const { host, port } = t.splitHostPort(value)
  if (stars === 1 && !host.startsWith('*.') && !host.endsWith('.*')) {
    return 'invalid wildcard: must be placed at leftmost or rightmost label'
  }
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) <= 65535)) return `invalid value: ${value}`
  const plain = host.replace(/^\*\./, 'x.').replace(/\.\*$/, '.x')
  return t.checkHost(plain) === undefined ? undefined : `invalid value: ${value}`
}

/**
 * Checks a route regex (the text after `~`) as Kong 3.x does: Kong dry-runs it through PCRE, then
 * compiles it with Rust's `regex` crate in its router, so both must accept it. The message is
 * Kong's for what PCRE refuses, Kong's router-validation prefix for what only the Rust crate
 * refuses, and names this gateway for the few patterns its RE2 engine cannot run as Rust would.
 */
export function compileRouteRegex(pattern: string): string | undefined {
  const result = compileRustRegex(kongPathPattern(`~${pattern}`), { pcre: true })
  if (!isRegexError(result)) return undefined
  return regexMessage(pattern, result)
}

function regexMessage(pattern: string, error: RegexError): string {
  if (error.by === 'pcre') return `invalid regex: '${pattern}' (PCRE returned: pcre2_compile() failed: ${error.reason} in "${pattern}")`
  if (error.by === 'rust') return `Router Expression failed validation: invalid regex '${pattern}': ${error.reason}`
  return `invalid regex: '${pattern}' (not supported by kong-dbless: ${error.reason})`
}

/** A header value: a `~*` value must be a regex Kong's router compiles (lower-cased, as Kong does). */
export function checkHeaderValue(value: string): string | undefined {
  if (!value.startsWith('~*')) return undefined
  const result = compileRustRegex(kongHeaderPattern(value))
  return isRegexError(result) ? regexMessage(value.slice(2), result) : undefined
}

/** A route path: prefix paths must be normalized, regex paths must compile. */
export function checkRoutePath(value: string): string | undefined {
  if (value.startsWith('~')) {
    const pattern = value.slice(1)
    if (!pattern.startsWith('/')) return 'should start with: / (fixed path) or ~/ (regex path)'
    return compileRouteRegex(pattern)
  }
  if (!value.startsWith('/')) return 'should start with: / (fixed path) or ~/ (regex path)'
  // Kong checks the escapes only of paths made of its path characters.
  const bad = t.hasPathChars(value) ? t.checkPercentEncoding(value) : undefined
  if (bad !== undefined) return bad
  const normalized = normalizePath(value)
  if (normalized !== value) return `non-normalized path, consider use '${normalized}' instead`
  return undefined
}

const endpoint: RecordField = {
  type: 'record',
  description: 'An IP (or CIDR) and/or port.',
  fields: {
    ip: {
      type: 'string',
      description: 'IP address or CIDR block.',
      checks: [(v: string) => (isIP(v.split('/')[0]) !== 0 ? undefined : `invalid ip or cidr range: '${v}'`)],
    },
    port: t.port({ description: 'Port number.' }),
  },
  entityChecks: [t.atLeastOneOf(['ip', 'port'])],
}

const endpoints = (description: string): Field => ({ type: 'set', elements: endpoint, description })

const protocolsOf = (r: Readonly<Record<string, unknown>>): string[] => (r.protocols as string[] | null) ?? []
const isSet = (v: unknown): boolean => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && Object.keys(v).length === 0)
const list = (fields: readonly string[]): string => fields.map((f) => `'${f}'`).join(', ')

const GROUP_OF: ReadonlyMap<string, number> = new Map(GROUPS.flatMap((g, i) => g.map((p) => [p, i] as const)))
const GROUPS_TEXT = GROUPS.map((g) => `(${g.map((p) => `'${p}'`).join(', ')})`).join(', ')

// Entity checks run on every route of every load: loops over the few protocols, no allocation.
const protocolGroups: EntityCheck = (r) => {
  let first: number | undefined
  for (const p of protocolsOf(r)) {
    const g = GROUP_OF.get(p)
    if (g === undefined) continue
    if (first === undefined) first = g
    else if (g !== first) return { fields: { protocols: `these sets are mutually exclusive: ${GROUPS_TEXT}` } }
  }
  return undefined
}

/**
 * Kong validates a route with the subschema of its first protocol (http and https share one,
 * tcp, tls, udp and tls_passthrough another, grpc and grpcs a third); the protocol-dependent
 * rules and their messages below are those subschemas'.
 */
type Flavor = 'http' | 'stream' | 'grpc'
const FLAVOR: Readonly<Record<string, Flavor>> = {
  http: 'http', https: 'http', tcp: 'stream', tls: 'stream', udp: 'stream', tls_passthrough: 'stream', grpc: 'grpc', grpcs: 'grpc',
}
const flavorOf = (r: Readonly<Record<string, unknown>>): Flavor | undefined => {
  for (const p of protocolsOf(r)) if (FLAVOR[p] !== undefined) return FLAVOR[p]
  return undefined
}

const mustSetOne = (r: Readonly<Record<string, unknown>>, fields: readonly string[], when: string): ReturnType<EntityCheck> => {
  for (const f of fields) if (isSet(r[f])) return undefined
  return { entity: [`must set one of ${list(fields)} when 'protocols' is ${when}`] }
}

const STREAM_PLAIN: ReadonlySet<string> = new Set(['tcp', 'tls', 'udp'])

// Kong's conditional_at_least_one_of checks of each subschema: `contains` for http and grpc,
// "every protocol is one of" for the stream ones.
const atLeastOneMatcher: EntityCheck = (r) => {
  const protocols = protocolsOf(r)
  switch (flavorOf(r)) {
    case 'http':
      if (protocols.includes('https')) return mustSetOne(r, ['methods', 'hosts', 'headers', 'paths', 'snis'], "'https'")
      if (protocols.includes('http')) return mustSetOne(r, ['methods', 'hosts', 'headers', 'paths'], "'http'")
      return undefined
    case 'grpc':
      if (protocols.includes('grpcs')) return mustSetOne(r, ['hosts', 'headers', 'paths', 'snis'], "'grpcs'")
      if (protocols.includes('grpc')) return mustSetOne(r, ['hosts', 'headers', 'paths'], "'grpc'")
      return undefined
    case 'stream':
      if (protocols.every((p) => STREAM_PLAIN.has(p))) return mustSetOne(r, ['sources', 'destinations', 'snis'], "'tcp', 'tls' or 'udp'")
      if (protocols.every((p) => p === 'tls_passthrough') && !isSet(r.snis)) return { entity: ["must set snis when 'protocols' is 'tls_passthrough'"] }
      return undefined
    default:
      return undefined
  }
}

const snisNeedTls: EntityCheck = (r) => {
  if (!isSet(r.snis)) return undefined
  if (protocolsOf(r).some((p) => ['grpcs', 'https', 'tls', 'tls_passthrough'].includes(p))) return undefined
  // Kong's conditional: the field fails its `len_eq = 0`, the entity gets the check's own message.
  return { fields: { snis: 'length must be 0' }, entity: ["'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'"] }
}

/** The fields a subschema forbids (Kong's `eq = null` with its own message), by flavor. */
const FORBIDDEN_FIELDS: Readonly<Record<Flavor, { readonly fields: readonly string[]; readonly when: string }>> = {
  http: { fields: ['sources', 'destinations'], when: "'http' or 'https'" },
  stream: { fields: ['methods', 'hosts', 'paths', 'headers'], when: "'tcp', 'tls', 'tls_passthrough' or 'udp'" },
  grpc: { fields: ['methods', 'sources', 'destinations'], when: "'grpc' or 'grpcs'" },
}

const noFieldsOfOtherFlavors: EntityCheck = (r) => {
  const flavor = flavorOf(r)
  if (flavor === undefined) return undefined
  const { fields, when } = FORBIDDEN_FIELDS[flavor]
  let out: Record<string, string> | undefined
  for (const f of fields) if (isSet(r[f])) (out ??= {})[f] = `cannot set '${f}' when 'protocols' is ${when}`
  return out && { fields: out }
}

const grpcStripPath: EntityCheck = (r) =>
  flavorOf(r) === 'grpc' && r.strip_path === true
    ? { fields: { strip_path: "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'" } }
    : undefined

const noHostHeader: EntityCheck = (r) => {
  const headers = r.headers as Record<string, unknown> | null
  if (headers && Object.keys(headers).some((h) => h.toLowerCase() === 'host')) {
    return { fields: { headers: "cannot contain 'host' header, which must be specified in the 'hosts' attribute" } }
  }
  return undefined
}

export const routes = defineEntity({
  name: 'routes',
  singular: 'route',
  endpointKey: 'name',
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the route was created (seconds).'),
    updated_at: t.timestamp('When the route was last updated (seconds).'),
    name: t.name({ description: 'Unique name of the route.' }),
    protocols: {
      type: 'set',
      required: true,
      lenMin: 1,
      default: ['http', 'https'],
      description: 'Protocols this route accepts; one group of http/https, tcp/tls/udp, tls_passthrough or grpc/grpcs.',
      elements: { type: 'string', oneOf: PROTOCOLS, description: 'A protocol.' },
    },
    methods: {
      type: 'set',
      description: 'HTTP methods that match (upper-case).',
      elements: { type: 'string', match: /^[A-Z]+$/, description: 'An HTTP method.' },
    },
    hosts: {
      type: 'array',
      description: 'Host header values that match; `*` allowed as the leftmost or rightmost label.',
      elements: { type: 'string', description: 'A host, optionally with a port.', checks: [checkRouteHost] },
    },
    paths: {
      type: 'array',
      description: 'Path prefixes (`/x`) or regexes (`~/x`) that match.',
      elements: { type: 'string', description: 'A path or `~`-prefixed regex.', checks: [checkRoutePath] },
    },
    headers: {
      type: 'map',
      description: 'Header names and the values that match (`~*` prefix for a regex).',
      keys: t.headerName({ description: 'A header name.' }),
      values: { type: 'array', lenMin: 1, elements: { type: 'string', description: 'A value, or `~*` and a regex.', checks: [checkHeaderValue] }, description: 'Accepted values.' },
    },
    https_redirect_status_code: {
      type: 'integer',
      required: true,
      oneOf: [426, 301, 302, 307, 308],
      default: 426,
      description: 'Status sent when an https-only route is requested over http.',
    },
    regex_priority: { type: 'integer', default: 0, description: 'Orders regex routes; higher is tried first.' },
    strip_path: { type: 'boolean', required: true, default: true, description: 'Remove the matched prefix from the upstream path.' },
    path_handling: { type: 'string', oneOf: ['v0', 'v1'], default: 'v0', description: 'How service and route paths combine.' },
    preserve_host: { type: 'boolean', required: true, default: false, description: 'Send the client Host header upstream.' },
    request_buffering: { type: 'boolean', required: true, default: true, description: 'Buffer the request body before proxying.' },
    response_buffering: { type: 'boolean', required: true, default: true, description: 'Buffer the response body before sending it.' },
    snis: {
      type: 'set',
      description: 'TLS server names that match.',
      elements: { type: 'string', description: 'A server name.', checks: [checkRouteHost] },
    },
    sources: endpoints('Client IP/port pairs that match (stream routes).'),
    destinations: endpoints('Destination IP/port pairs that match (stream routes).'),
    tags: t.tags(),
    service: t.foreign('services', { description: 'The service this route forwards to.' }),
  },
  entityChecks: [
    protocolGroups,
    atLeastOneMatcher,
    snisNeedTls,
    noFieldsOfOtherFlavors,
    grpcStripPath,
    noHostHeader,
  ],
  prepare: (input) => {
    const protocols = Array.isArray(input.protocols) ? input.protocols : []
    if (input.strip_path === undefined && protocols.some((p) => p === 'grpc' || p === 'grpcs')) input.strip_path = false
  },
})
/** A stored routes entity. */
export type Route = EntityOf<typeof routes>
