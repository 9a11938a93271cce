/**
 * Shared field types (Kong's typedefs) and the reusable entity checks, each producing Kong's
 * own error messages.
 */
import { isIP } from 'node:net'
import { matchFormOf, withCheckForm, withMatchForm } from './check-forms.js'
import type {
  ArrayField,
  CheckResult,
  EntityCheck,
  FieldBase,
  ForeignField,
  NumberField,
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

const PATH_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/

/** An upstream or route path in URL form: leading `/`, no empty segments, valid escapes. */
export function checkUrlPath(v: string): string | undefined {
  if (!v.startsWith('/')) return 'should start with: /'
  if (v.includes('//')) return 'must not have empty segments'
  if (!PATH_CHARS.test(v)) return `invalid path: '${v}' (characters outside of the reserved list of RFC 3986 found)`
  const bad = /%(?![0-9A-Fa-f]{2})/.exec(v)
  if (bad) return `invalid url-encoded value: '${v.slice(bad.index, bad.index + 3)}'`
  return undefined
}

/** A URL path field. */
export const urlPath = <const O extends Opts>(o: O): StringField & O => ({ type: 'string', checks: [checkUrlPath], ...o })

/** A reference to another collection's entity. */
export const foreign = <const O extends Opts & { mustBeNull?: boolean }>(reference: string, o: O): ForeignField & O => ({
  type: 'foreign',
  reference,
  ...o,
})

/** An HTTP header name. */
export const headerName = <const O extends Opts>(o: O): StringField & O => ({
  type: 'string',
  match: /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/,
  ...o,
})

/** HTTP status codes Kong accepts in health checks and plugin configs. */
export const httpStatus = <const O extends Opts>(o: O): NumberField & O => ({ type: 'integer', between: [100, 999], ...o })

const isSet = (v: unknown): boolean =>
  v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0) && v !== ''

const quoted = (fields: readonly string[]): string => fields.map((f) => `'${f}'`).join(', ')

/** At least one of the fields must be set. */
export const atLeastOneOf = (fields: readonly string[], label = fields): EntityCheck =>
  withCheckForm(
    (r) => (fields.some((f) => isSet(r[f])) ? undefined : { entity: [`at least one of these fields must be non-empty: ${quoted(label)}`] }),
    { at_least_one_of: fields },
  )

/** At most one of the fields may be set. */
export const onlyOneOf = (fields: readonly string[], label = fields): EntityCheck =>
  withCheckForm(
    (r) => (fields.filter((f) => isSet(r[f])).length > 1 ? { entity: [`only one of these fields must be non-empty: ${quoted(label)}`] } : undefined),
    { only_one_of: fields },
  )

/** Either all the fields are set or none is. */
export const allOrNone = (fields: readonly string[]): EntityCheck =>
  withCheckForm(
    (r) => {
      const n = fields.filter((f) => isSet(r[f])).length
      return n === 0 || n === fields.length ? undefined : { entity: [`all or none of these fields must be set: ${quoted(fields)}`] }
    },
    { mutually_required: fields },
  )

/**
 * Kong's `conditional`: when `ifField` satisfies `when`, `thenField` must pass `then` (which
 * returns the field's message); a failure also adds the entity-level conditional message.
 * When `when` and `then` come from `oneOf`, `notOneOf` and `mustBeNull`, the check has Kong's
 * data form too.
 */
export const conditional = (ifField: string, when: (v: unknown) => boolean, thenField: string, then: (v: unknown) => string | undefined): EntityCheck => {
  const check: EntityCheck = (r): CheckResult | undefined => {
    if (!when(r[ifField])) return undefined
    const message = then(r[thenField])
    if (message === undefined) return undefined
    return {
      fields: { [thenField]: message },
      entity: [`failed conditional validation given value of field '${ifField}'`],
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

/** A `then` for conditional: the field must be null. */
export const mustBeNull = withMatchForm((v: unknown): string | undefined => (isSet(v) ? 'value must be null' : undefined), { eq: null })
