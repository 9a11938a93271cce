/**
 * Shared field types (Kong's typedefs) and the reusable entity checks, each producing Kong's
 * own error messages.
 */
import { isIP } from 'node:net'
import RE2 from 're2'
import { isReference } from '../vault/reference.js'
import { matchFormOf, withCheckForm, withMatchForm } from './check-forms.js'
import type {
  ArrayField,
  CheckResult,
  EntityCheck,
  FieldBase,
  ForeignField,
  MapField,
  NumberField,
  RecordField,
  StringField,
} from './types.js'

type Opts = Partial<Omit<FieldBase, 'description'>> & { readonly description: string }

/** Entity primary key: a UUID the node generates when absent. */
export const id = <const O extends Partial<Opts> = Record<never, never>>(o: O = {} as O): StringField & { readonly auto: true } & O => ({
  type: 'string',
  format: 'uuid',
  auto: true,
  description: 'Unique identifier (UUID); derived deterministically when absent.',
  ...o,
})

/** Creation and update time stamps, in seconds since the epoch. */
export const timestamp = (description: string): NumberField & { readonly auto: true } => ({ type: 'integer', auto: true, description })

const TAG = /^[\x21-\x2b\x2d\x2e\x30-\x7e\u0080-\u{10ffff}]+$/u

/** A set of free-form tags for grouping and filtering. */
export const tags = (): ArrayField & { readonly elements: StringField } => ({
  type: 'set',
  description: 'Tags for grouping and filtering.',
  elements: {
    type: 'string',
    description: 'One tag.',
    checks: [
      (v: string) =>
        TAG.test(v) ? undefined : `invalid tag '${v}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences`,
    ],
  },
})

const NAME = /^[\p{L}\p{N}\p{M}.\-_~\u0080-\u{10ffff}]+$/u

/** Kong's utf8_name: alphanumerics, `.`, `-`, `_`, `~`, or non-ASCII UTF-8. */
export const name = <const O extends Opts>(o: O): StringField & O => ({
  type: 'string',
  unique: true,
  checks: [
    (v: string) =>
      // eslint-disable-next-line no-control-regex -- Kong's name rule refuses control bytes, which this class spells out
      NAME.test(v) && /^[^\x00-\x2c\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7d\x7f]*$/.test(v)
        ? undefined
        : `invalid value '${v}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`,
  ],
  ...o,
})

/** A TCP/UDP port. */
export const port = <const O extends Opts>(o: O): NumberField & O => ({ type: 'integer', between: [0, 65535], ...o })

/** A timeout in milliseconds, Kong's 1 to 2^31-2 range. */
export const timeout = <const O extends Opts>(o: O): NumberField & O => ({ type: 'integer', between: [1, 2 ** 31 - 2], ...o })

/** Kong's typedefs.timeout as plugins use it: milliseconds, 0 allowed (services use `timeout`). */
export const zeroableTimeout = <const O extends Opts>(o: O): NumberField & O => ({ type: 'integer', between: [0, 2 ** 31 - 2], ...o })

const HOSTNAME = /^(?=.{1,253}$)(?!-)[A-Za-z0-9_-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9_-]{1,63}(?<!-))*\.?$/

/** Splits `host[:port]`, understanding `[v6]:port`. */
export function splitHostPort(value: string): { host: string; port?: string } {
  if (value.startsWith('[')) {
    const end = value.indexOf(']')
    if (end < 0) return { host: value }
    const rest = value.slice(end + 1)
    return rest.startsWith(':') ? { host: value.slice(1, end), port: rest.slice(1) } : { host: value.slice(1, end) }
  }
  const colons = value.split(':').length - 1
  if (colons === 1) {
    const i = value.indexOf(':')
    return { host: value.slice(0, i), port: value.slice(i + 1) }
  }
  return { host: value }
}

/** A hostname or IP literal; an error message when it is neither. */
export function checkHost(value: string): string | undefined {
  if (isIP(value) !== 0 || HOSTNAME.test(value)) return undefined
  return `invalid value: ${value}`
}

/** A host without a port (services' `host`). */
export const host = <const O extends Opts>(o: O): StringField & O => ({
  type: 'string',
  checks: [
    (v: string) => {
      const { host: h, port: p } = splitHostPort(v)
      if (p !== undefined && isIP(v) === 0) return 'must not have a port'
      return checkHost(h)
    },
  ],
  ...o,
})

/** A host with an optional port (`example.com:8080`), for upstream Host headers. */
export const hostWithOptionalPort = <const O extends Opts>(o: O): StringField & O => ({
  type: 'string',
  checks: [
    (v: string) => {
      const { host: h, port: p } = splitHostPort(v)
      if (p !== undefined && !/^\d{1,5}$/.test(p)) return `invalid port number`
      return checkHost(h)
    },
  ],
  ...o,
})

/** Kong's path characters: unreserved, sub-delims, `:`, `@`, `/` and `%` (no `?`, `#`, `[`, `]`). */
const PATH_CHARS = /^[A-Za-z0-9\-._~:/@!$&'()*+,;=%]*$/

/** Whether every character is one Kong's path check allows. */
export const hasPathChars = (v: string): boolean => PATH_CHARS.test(v)

/**
 * Kong's percent-encoding check: valid escapes are blanked first, then the first `%` left is
 * quoted with up to two characters after it, as Kong quotes it.
 */
export function checkPercentEncoding(v: string): string | undefined {
  const raw = v.replace(/%[0-9A-Fa-f]{2}/g, '___')
  const i = raw.indexOf('%')
  return i < 0 ? undefined : `invalid url-encoded value: '${raw.slice(i, i + 3)}'`
}

/** An upstream path in URL form: leading `/`, no empty segments, Kong's characters, valid escapes. */
export function checkUrlPath(v: string): string | undefined {
  if (!v.startsWith('/')) return 'should start with: /'
  if (v.includes('//')) return 'must not have empty segments'
  if (!PATH_CHARS.test(v)) return `invalid path: '${v}' (characters outside of the reserved list of RFC 3986 found)`
  return checkPercentEncoding(v)
}

/** A URL path field. */
export const urlPath = <const O extends Opts>(o: O): StringField & O => ({ type: 'string', checks: [checkUrlPath], ...o })

/** A reference to another collection's entity. */
export const foreign = <const O extends Opts & { mustBeNull?: boolean }>(reference: string, o: O): ForeignField & O => ({
  type: 'foreign',
  reference,
  ...o,
})

/** Kong's header name rule: letters, digits, `-` and `_` only (not every HTTP token character). */
export function checkHeaderName(value: string): string | undefined {
  return /^[A-Za-z0-9\-_]+$/.test(value) ? undefined : `bad header name '${value}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`
}

/** An HTTP header name, as Kong's header_name typedef takes it. */
export const headerName = <const O extends Opts>(o: O): StringField & O => ({
  type: 'string',
  checks: [checkHeaderName],
  ...o,
})

/** HTTP status codes Kong accepts in health checks and plugin configs. */
export const httpStatus = <const O extends Opts>(o: O): NumberField & O => ({ type: 'integer', between: [100, 999], ...o })

const isSet = (v: unknown): boolean =>
  v !== null &&
  v !== undefined &&
  v !== '' &&
  !(Array.isArray(v) && v.length === 0) &&
  !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0)

/**
 * A field's value named Kong's way, dots reaching into nested records (`auth.header_name`);
 * undefined when a record on the way is absent or null.
 */
export function fieldAt(record: Readonly<Record<string, unknown>>, name: string): unknown {
  let value: unknown = record
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

const quoted = (fields: readonly string[]): string => fields.map((f) => `'${f}'`).join(', ')

/** At least one of the fields must be set. */
export const atLeastOneOf = (fields: readonly string[], label = fields): EntityCheck =>
  withCheckForm(
    (r) => (fields.some((f) => isSet(fieldAt(r, f))) ? undefined : { entity: [`at least one of these fields must be non-empty: ${quoted(label)}`] }),
    { at_least_one_of: fields },
  )

/** At most one of the fields may be set. */
export const onlyOneOf = (fields: readonly string[], label = fields): EntityCheck =>
  withCheckForm(
    (r) => (fields.filter((f) => isSet(fieldAt(r, f))).length > 1 ? { entity: [`only one of these fields must be non-empty: ${quoted(label)}`] } : undefined),
    { only_one_of: fields },
  )

/** Either all the fields are set or none is. */
export const allOrNone = (fields: readonly string[]): EntityCheck =>
  withCheckForm(
    (r) => {
      const n = fields.filter((f) => isSet(fieldAt(r, f))).length
      return n === 0 || n === fields.length ? undefined : { entity: [`all or none of these fields must be set: ${quoted(fields)}`] }
    },
    { mutually_required: fields },
  )

/**
 * Kong's `conditional`: when `ifField` satisfies `when`, `thenField` must pass `then` (which
 * returns the field's message); a failure also adds the entity-level message, Kong's
 * conditional one unless the check declares its own (`then_err`). When `when` and `then` come
 * from `oneOf`, `notOneOf` and `mustBeNull`, the check has Kong's data form too.
 */
export const conditional = (
  ifField: string,
  when: (v: unknown) => boolean,
  thenField: string,
  then: (v: unknown) => string | undefined,
  /** `label` names ifField in the message (`config.x` for a plugin's); `err` is Kong's then_err. */
  opts: { readonly label?: string; readonly err?: string } = {},
): EntityCheck => {
  const check: EntityCheck = (r): CheckResult | undefined => {
    if (!when(fieldAt(r, ifField))) return undefined
    const message = then(fieldAt(r, thenField))
    if (message === undefined) return undefined
    return {
      fields: { [thenField]: message },
      entity: [opts.err ?? `failed conditional validation given value of field '${opts.label ?? ifField}'`],
    }
  }
  const ifMatch = matchFormOf(when)
  const thenMatch = matchFormOf(then)
  if (!ifMatch || !thenMatch) return check
  return withCheckForm(check, { conditional: { if_field: ifField, if_match: ifMatch, then_field: thenField, then_match: thenMatch } })
}

/** A `when` for conditional: the value is one of these. */
export const oneOf = (values: readonly unknown[]): ((v: unknown) => boolean) =>
  withMatchForm((v: unknown) => values.includes(v), { one_of: values })

/** A `when` for conditional: the value is none of these. */
export const notOneOf = (values: readonly unknown[]): ((v: unknown) => boolean) =>
  withMatchForm((v: unknown) => !values.includes(v), { not_one_of: values })

/** A `then` for conditional: the field must equal `expected` (null fails too, as in Kong). */
export const mustEqual =
  (expected: string | number | boolean) =>
  (v: unknown): string | undefined =>
    v === expected ? undefined : `value must be ${String(expected)}`

/** A `then` for conditional: the field must be set. */
export const mustBeSet = (v: unknown): string | undefined => (v === null || v === undefined ? 'required field missing' : undefined)

/**
 * Kong's `conditional_at_least_one_of`: when `ifField` satisfies `when`, one of `fields` must be
 * non-empty; `thenErr` may name them with `%s` (their quoted list).
 */
export const conditionalAtLeastOneOf =
  (ifField: string, when: (v: unknown) => boolean, fields: readonly string[], thenErr?: string): EntityCheck =>
  (r) => {
    const ifValue = fieldAt(r, ifField)
    if (ifValue === undefined || !when(ifValue)) return undefined
    if (fields.some((f) => isSet(fieldAt(r, f)))) return undefined
    const list = quoted(fields)
    return { entity: [thenErr === undefined ? `at least one of these fields must be non-empty: ${list}` : thenErr.replace('%s', list)] }
  }

/** Kong skips an entity check when one of its referenceable fields holds a vault reference. */
export const unlessReference =
  (referenceable: readonly string[], check: EntityCheck): EntityCheck =>
  (r) =>
    referenceable.some((f) => isReference(fieldAt(r, f))) ? undefined : check(r)

/** A check refusing the listed values with Kong's `not_one_of` message. */
export const mustNotBeOneOf =
  (values: readonly string[]) =>
  (v: string): string | undefined =>
    values.includes(v) ? `must not be one of: ${values.join(', ')}` : undefined

/**
 * Kong's typedefs.lua_code: field names to Lua expressions. Kong also compiles each one in its
 * sandbox; this node runs no Lua, so only their shape is checked.
 */
export const luaCode = (description: string): MapField => ({
  type: 'map',
  description,
  keys: { type: 'string', lenMin: 1, description: 'Log field name.' },
  values: { type: 'string', lenMin: 1, description: 'Lua expression.' },
})

/** Kong's typedefs.queue: the batching and retry queue of a log plugin; `default` may preset some fields. */
export const queue = (o: { readonly default?: Readonly<Record<string, unknown>> } = {}): RecordField => ({
  type: 'record',
  required: true,
  description: 'Batching and retry queue.',
  ...o,
  fields: {
    max_batch_size: { type: 'integer', between: [1, 1000000], default: 1, description: 'Maximum entries processed at a time.' },
    max_coalescing_delay: { type: 'number', between: [0, 3600], default: 1, description: 'Seconds to wait after the first entry before sending.' },
    max_entries: { type: 'integer', between: [1, 1000000], default: 10000, description: 'Maximum entries waiting on the queue.' },
    max_bytes: { type: 'integer', description: 'Maximum bytes waiting on the queue.' },
    max_retry_time: { type: 'number', default: 60, description: 'Seconds before a failing batch is given up.' },
    initial_retry_delay: { type: 'number', between: [0.001, 1000000], default: 0.01, description: 'Seconds before the first retry.' },
    max_retry_delay: { type: 'number', between: [0.001, 1000000], default: 60, description: 'Longest wait between retries, in seconds.' },
    concurrency_limit: { type: 'integer', oneOf: [-1, 1], default: 1, description: 'Delivery timers; -1 for unlimited.' },
  },
})

/** Kong's tracing header formats, in its declaration order (Kong lists them in hash order). */
const TRACE_FORMATS = ['w3c', 'b3', 'b3-single', 'jaeger', 'ot', 'datadog', 'aws', 'gcp', 'instana'] as const

/** Kong's typedefs.propagation: tracing headers read, cleared and written; `defaultFormat` is the plugin's. */
export const propagation = (defaultFormat: (typeof TRACE_FORMATS)[number]): RecordField => ({
  type: 'record',
  required: true,
  default: { default_format: defaultFormat },
  description: 'Tracing header propagation.',
  fields: {
    extract: {
      type: 'array',
      description: 'Header formats read, first found wins.',
      // b3-single is read by the b3 extractor.
      elements: { type: 'string', oneOf: TRACE_FORMATS.filter((f) => f !== 'b3-single'), description: 'A format.' },
    },
    clear: {
      type: 'array',
      description: 'Headers removed after extraction.',
      elements: { type: 'string', checks: [checkHeaderName], description: 'A header name.' },
    },
    inject: {
      type: 'array',
      description: 'Header formats written; `preserve` writes the incoming one.',
      elements: { type: 'string', oneOf: ['preserve', ...TRACE_FORMATS], description: 'A format.' },
    },
    default_format: { type: 'string', required: true, oneOf: TRACE_FORMATS, description: 'Format written when preserve has none to follow.' },
  },
})

/** A `then` for conditional: the field must be null. */
export const mustBeNull = withMatchForm((v: unknown): string | undefined => (isSet(v) ? 'value must be null' : undefined), { eq: null })

/** Kong's sni typedef: a host name, neither an IP nor with a port. */
export function checkSni(v: string): string | undefined {
  const { host: h, port: p } = splitHostPort(v)
  if (checkHost(h) !== undefined) return `invalid value: ${v}`
  if (isIP(h) !== 0) return 'must not be an IP'
  return p === undefined ? undefined : 'must not have a port'
}

/** A TLS server name. */
export const sni = <const O extends Opts>(o: O): StringField & O => ({ type: 'string', checks: [checkSni], ...o })

/** Kong's ttl typedef: seconds, up to the 1e8 its DAO allows. */
export const ttl = <const O extends Opts>(o: O): NumberField & O => ({ type: 'number', between: [0, 1e8], ...o })

const compiles = (compile: () => unknown): boolean => {
  try {
    compile()
    return true
  } catch {
    return false
  }
}

/**
 * Kong's is_regex, which asks PCRE. Neither engine here is PCRE: a pattern either JavaScript or
 * RE2 compiles is taken (RE2 adds inline flags such as `(?i)`, JavaScript adds lookarounds).
 */
export function checkRegex(v: string): string | undefined {
  return compiles(() => new RegExp(v)) || compiles(() => new RE2(v)) ? undefined : `not a valid regex: ${v}`
}

/** The parts LuaSocket's `url.parse` finds in a URL; Kong's url typedef and shorthands read these. */
export interface SocketUrl {
  readonly scheme?: string
  readonly host?: string
  /** What precedes `@` in the authority. */
  readonly userinfo?: string
  /** The text after the host's last `:`, as written (possibly empty or not a number). */
  readonly port?: string
  /** What is left once scheme, authority, query, params and fragment are cut. */
  readonly path?: string
}

/**
 * Splits a URL as LuaSocket's `url.parse` does (Kong validates URLs with it): the fragment is
 * cut, then a leading `scheme:`, an authority after `//` (up to the next `/`), a query and params;
 * the host is the authority without user info and `:port`. Parts it cannot find are absent.
 */
export function parseSocketUrl(value: string): SocketUrl {
  let rest = value.replace(/#[^]*$/, '')
  const out: { -readonly [K in keyof SocketUrl]: SocketUrl[K] } = {}
  const s = /^([A-Za-z0-9][A-Za-z0-9+\-.]*):/.exec(rest)
  if (s) {
    out.scheme = s[1]
    rest = rest.slice(s[0].length)
  }
  // The authority runs to the first `/`: a `?` or `;` before it stays in the host, as in LuaSocket.
  const a = /^\/\/([^/]*)/.exec(rest)
  if (a) rest = rest.slice(a[0].length)
  rest = rest.replace(/\?[^]*$/, '').replace(/;[^]*$/, '')
  if (rest !== '') out.path = rest
  if (!a) return out
  let authority = a[1] ?? ''
  const u = /^([^@]*)@/.exec(authority)
  if (u) {
    out.userinfo = u[1]
    authority = authority.slice(u[0].length)
  }
  const p = /:([^:\]]*)$/.exec(authority)
  if (p) {
    out.port = p[1]
    authority = authority.slice(0, p.index)
  }
  if (authority !== '') out.host = /^\[(.+)\]$/.exec(authority)?.[1] ?? authority
  return out
}

/** Kong's url typedef check: a host, then a scheme, in that order of complaint. */
export function checkUrl(value: string): string | undefined {
  const parsed = parseSocketUrl(value)
  if (parsed.host === undefined) return 'missing host in url'
  if (parsed.scheme === undefined) return 'missing scheme in url'
  return undefined
}

/** Kong's url typedef: any scheme, with a host. */
export const url = <const O extends Opts>(o: O): StringField & O => ({ type: 'string', checks: [checkUrl], ...o })

