/**
 * The one generic validator: checks a value against a declared field, fills defaults, and reports
 * every problem with Kong's own messages at a path relative to the value it was given.
 */
import { copyJson, defineKey, isRecord } from '../../util/json.js'
import { expandShorthands } from './record-shorthands.js'
import type { ArrayField, Field, MapField, NumberField, RecordField, StringField } from './types.js'

/** A position inside a value: record keys and 0-based array indexes. */
export type Path = readonly (string | number)[]

/** One problem found while validating, at a path relative to the validated value. */
export interface FieldIssue {
  readonly path: Path
  readonly message: string
  /** Entity-level messages (Kong's `@entity`) rather than a field's own. */
  readonly entity?: boolean
  /** Where the problem is written, when Kong reports it higher up (a map's bad key); else `path`. */
  readonly at?: Path
}

/**
 * A position built while validating: a linked list, so valid input allocates no path arrays;
 * it becomes a Path only when there is something to report.
 */
export interface Loc {
  readonly up: Loc | undefined
  readonly key: string | number
}

/** The location of `key` inside `up`. */
export const child = (up: Loc | undefined, key: string | number): Loc => ({ up, key })

/**
 * A location whose key is rewritten as a loop moves on. Safe because IssueSink turns a Loc into
 * a Path the moment an issue is recorded, and nothing else keeps a Loc.
 */
interface Cursor {
  readonly up: Loc | undefined
  key: string | number
}

function toPath(where: Loc | Path | undefined): Path {
  if (Array.isArray(where)) return where as Path
  const out: (string | number)[] = []
  for (let l = where as Loc | undefined; l; l = l.up) out.push(l.key)
  return out.reverse()
}

/** Collects issues under a base path. */
export class IssueSink {
  readonly issues: FieldIssue[] = []
  /** Records one field-level message; `at` says where it is written when that is deeper. */
  field(where: Loc | Path | undefined, message: string, at?: Path): void {
    this.issues.push(at === undefined ? { path: toPath(where), message } : { path: toPath(where), message, at })
  }
  /** Records one entity-level message for the record at `where`. */
  entity(where: Loc | Path | undefined, message: string): void {
    this.issues.push({ path: toPath(where), message, entity: true })
  }
  get empty(): boolean {
    return this.issues.length === 0
  }
}

/** A field's compiled validator: the normalized value, or null (with issues) when unusable. */
type Validator = (value: unknown, at: Loc | undefined, sink: IssueSink) => unknown

const COMPILED = new WeakMap<Field, Validator>()

/**
 * Validates `value` against `field`, returning the normalized value (defaults filled, sets
 * de-duplicated) or null where the value is unusable.
 */
export function validateField(field: Field, value: unknown, path: Loc | undefined, sink: IssueSink): unknown {
  return compile(field)(value, path, sink)
}

/**
 * Turns a field declaration into a closure that checks only what the field declares. Schemas
 * are data read on every entity of every load; reading their optional properties generically
 * showed up in profiles, so each field is read once here instead.
 */
function compile(field: Field): Validator {
  let validator = COMPILED.get(field)
  if (validator) return validator
  const present = compilePresent(field)
  const absent = compileAbsent(field)
  const checks = (field.checks ?? []) as readonly ((v: unknown) => string | undefined)[]
  validator = (value, at, sink) => {
    if (value === undefined || value === null) return absent(at, sink)
    const checked = present(value, at, sink)
    if (checked === INVALID) return null
    for (let i = 0; i < checks.length; i++) {
      const message = (checks[i])(checked)
      if (message !== undefined) {
        sink.field(at, message)
        return null
      }
    }
    return checked
  }
  COMPILED.set(field, validator)
  return validator
}

function compileAbsent(field: Field): (at: Loc | undefined, sink: IssueSink) => unknown {
  if (field.default !== undefined) {
    // A record default is validated (validateRecord never writes to its input); other defaults
    // are shared frozen copies, safe because snapshots are frozen too.
    if (field.type === 'record') {
      const def = field.default as Record<string, unknown>
      return (at, sink) => validateRecord(field, def, at, sink)
    }
    const value = sharedDefault(field)
    return () => value
  }
  if (field.type === 'record' && field.required) return (at, sink) => validateRecord(field, {}, at, sink)
  if (field.required) {
    return (at, sink) => {
      sink.field(at, 'required field missing')
      return null
    }
  }
  return () => null
}

const INVALID = Symbol('invalid')

type Present = (value: unknown, at: Loc | undefined, sink: IssueSink) => unknown

function compilePresent(field: Field): Present {
  switch (field.type) {
    case 'string':
      return compileString(field)
    case 'integer':
    case 'number':
      return compileNumber(field)
    case 'boolean':
      return (value, at, sink) => (typeof value === 'boolean' ? value : fail(sink, at, 'expected a boolean'))
    case 'array':
    case 'set':
      return compileArray(field)
    case 'map':
      return (value, at, sink) => checkMap(field, value, at, sink)
    case 'record':
      return (value, at, sink) => (isRecord(value) ? validateRecord(field, value, at, sink) : fail(sink, at, 'expected a record'))
    case 'foreign':
      // References are resolved later against the whole config; here only their shape matters.
      return (value, at, sink) => {
        if (typeof value === 'string') return value
        if (isRecord(value) && typeof value.id === 'string') {
          for (const key in value) if (key !== 'id') return { id: value.id }
          return value
        }
        return fail(sink, at, 'expected a string')
      }
    case 'any':
      return (value, at, sink) => {
        const long = longString(value)
        return long ? fail(sink, long.length === 0 ? at : extend(at, long), `length must be at most ${MAX_STRING_LENGTH}`) : copyJson(value)
      }
  }
}

/**
 * The path (relative to `value`) of a string longer than MAX_STRING_LENGTH in free-form data, if
 * any; an over-long key is reported at the object that holds it.
 */
function longString(value: unknown): (string | number)[] | undefined {
  if (typeof value === 'string') return value.length > MAX_STRING_LENGTH ? [] : undefined
  if (typeof value !== 'object' || value === null) return undefined
  const isArray = Array.isArray(value)
  for (const [key, child] of isArray ? value.entries() : Object.entries(value)) {
    if (!isArray && (key as string).length > MAX_STRING_LENGTH) return []
    const below = longString(child)
    if (below) return [key, ...below]
  }
  return undefined
}

function extend(at: Loc | undefined, path: readonly (string | number)[]): Loc | undefined {
  let loc = at
  for (const key of path) loc = child(loc, key)
  return loc
}

const DEFAULTS = new WeakMap<Field, unknown>()

/** One frozen copy of a field's default, shared by every entity that takes it. */
export function sharedDefault(field: Field): unknown {
  if (typeof field.default !== 'object' || field.default === null) return field.default
  let value = DEFAULTS.get(field)
  if (value === undefined) {
    value = deepFreezeJson(copyJson(field.default))
    DEFAULTS.set(field, value)
  }
  return value
}

function deepFreezeJson<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreezeJson(child)
    Object.freeze(value)
  }
  return value
}

function fail(sink: IssueSink, path: Loc | undefined, message: string): typeof INVALID {
  sink.field(path, message)
  return INVALID
}

type Step<T> = (value: T) => string | undefined

/** Runs steps in order; the first message fails the value. */
function stepped<T>(typeCheck: (v: unknown) => v is T, typeMessage: string, steps: readonly Step<T>[]): Present {
  return (value, at, sink) => {
    if (!typeCheck(value)) return fail(sink, at, typeMessage)
    for (let i = 0; i < steps.length; i++) {
      const message = (steps[i])(value)
      if (message !== undefined) return fail(sink, at, message)
    }
    return value
  }
}

const isString = (v: unknown): v is string => typeof v === 'string'

/**
 * The longest string a field takes unless it declares its own `lenMax`. Kong sets no bound; an
 * 8 MiB service name is not a name, and every string of a config is held by every worker.
 */
export const MAX_STRING_LENGTH = 65_536

function compileString(field: StringField): Present {
  const steps: Step<string>[] = []
  const { oneOf, startsWith, match } = field
  // Kong refuses empty strings unless a field declares `len_min = 0`.
  const lenMin = field.lenMin ?? 1
  const lenMax = field.lenMax ?? MAX_STRING_LENGTH
  // Kong's validator order (one_of, uuid, len_min, len_max, starts_with, match), so that a value
  // failing several rules gets the message Kong gives.
  if (oneOf) {
    const allowed = new Set(oneOf)
    const message = `expected one of: ${oneOf.join(', ')}`
    steps.push((v) => (allowed.has(v) ? undefined : message))
  }
  if (field.format === 'uuid') steps.push((v) => (UUID.test(v) ? undefined : 'expected a valid UUID'))
  if (lenMin > 0) steps.push((v) => (v.length < lenMin ? `length must be at least ${lenMin}` : undefined))
  steps.push((v) => (v.length > lenMax ? `length must be at most ${lenMax}` : undefined))
  if (startsWith !== undefined) steps.push((v) => (v.startsWith(startsWith) ? undefined : `should start with: ${startsWith}`))
  if (match) steps.push((v) => (match.test(v) ? undefined : `invalid value: ${v}`))
  return stepped(isString, 'expected a string', steps)
}

/** Kong's UUID check: 8-4-4-4-12 hex, any case. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function compileNumber(field: NumberField): Present {
  const integer = field.type === 'integer'
  const steps: Step<number>[] = []
  if (integer) steps.push((v) => (Number.isInteger(v) ? undefined : 'expected an integer'))
  const { between, gt, oneOf } = field
  if (between) {
    const [lo, hi] = between
    steps.push((v) => (v < lo || v > hi ? `value should be between ${lo} and ${hi}` : undefined))
  }
  if (gt !== undefined) steps.push((v) => (v > gt ? undefined : `value must be greater than ${gt}`))
  if (oneOf) {
    const message = `expected one of: ${oneOf.join(', ')}`
    steps.push((v) => (oneOf.includes(v) ? undefined : message))
  }
  const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
  return stepped(isNumber, integer ? 'expected an integer' : 'expected a number', steps)
}

function compileArray(field: ArrayField): Present {
  const { lenMin, lenMax } = field
  const element = compile(field.elements)
  const isSet = field.type === 'set'
  const typeMessage = isSet ? 'expected a set' : 'expected an array'
  return (value, path, sink) => {
    if (!Array.isArray(value)) {
      // Kong accepts an empty object where an array is expected: Lua cannot tell them apart.
      if (isRecord(value) && Object.keys(value).length === 0) return []
      return fail(sink, path, typeMessage)
    }
    if (lenMin !== undefined && value.length < lenMin) return fail(sink, path, `length must be at least ${lenMin}`)
    if (lenMax !== undefined && value.length > lenMax) return fail(sink, path, `length must be at most ${lenMax}`)
    const before = sink.issues.length
    // Most arrays validate to themselves (strings, numbers): keep the input's array then, rather
    // than a copy that every load would allocate, and the garbage collector copy again.
    let out: unknown[] | undefined
    const at: Cursor = { up: path, key: 0 }
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      at.key = i
      if (item === null || item === undefined) {
        sink.field(at, 'required field missing')
        continue
      }
      const checked = element(item, at, sink)
      // Built by push, not `new Array(n)`: holey arrays take JSON.stringify's slow path.
      if (out === undefined && checked !== item) out = value.slice(0, i)
      out?.push(checked)
    }
    if (sink.issues.length > before) return INVALID
    out ??= value
    return isSet ? dedupe(out) : out
  }
}

/** Drops repeated elements, keeping the first; primitives compare by value, records by content. */
function dedupe(values: unknown[]): unknown[] {
  if (values.length < 2) return values
  if (values.length <= 8 && values.every((v, i) => typeof v !== 'object' && values.indexOf(v) === i)) return values
  const seen = new Set<unknown>()
  return values.filter((v) => {
    const key = typeof v === 'object' && v !== null ? JSON.stringify(v) : v
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/**
 * Kong stops at a map's first bad key or value and reports its errors as the map's own: a
 * message as the map's, a record value's error tree under the map without the key (other
 * structured values keep their paths). Each issue keeps where it is written, for our details.
 */
function checkMap(field: MapField, value: unknown, path: Loc | undefined, sink: IssueSink): unknown {
  if (!isRecord(value)) return fail(sink, path, 'expected a map')
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) {
    const at = child(path, key)
    const inner = new IssueSink()
    const k = validateField(field.keys, key, at, inner)
    const v = k === null ? null : validateField(field.values, value[key], at, inner)
    if (inner.empty) {
      defineKey(out, key, v)
      continue
    }
    const keyPath = toPath(at)
    const mapPath = keyPath.slice(0, -1)
    const first = inner.issues[0]
    if (first !== undefined && first.path.length === keyPath.length && first.entity !== true) sink.field(path, first.message, first.at ?? keyPath)
    else if (field.values.type !== 'record') sink.issues.push(...inner.issues)
    else for (const issue of inner.issues) sink.issues.push({ ...issue, path: [...mapPath, ...issue.path.slice(keyPath.length)], at: issue.at ?? issue.path })
    return INVALID
  }
  return out
}

type RecordValidator = (value: Record<string, unknown>, path: Loc | undefined, sink: IssueSink, allowed: ReadonlySet<string>) => Record<string, unknown>

const RECORDS = new WeakMap<object, RecordValidator>()

/**
 * Validates a record: unknown keys are errors, every declared field is present in the result
 * (null where unset), and entity checks run once the fields themselves are valid.
 */
export function validateRecord(
  field: Pick<RecordField, 'fields' | 'entityChecks' | 'shorthandFields'>,
  value: Record<string, unknown>,
  path: Loc | undefined,
  sink: IssueSink,
  allowed: ReadonlySet<string> = NO_KEYS,
): Record<string, unknown> {
  let validate = RECORDS.get(field)
  if (!validate) {
    validate = compileRecord(field)
    RECORDS.set(field, validate)
  }
  if (!field.shorthandFields) return validate(value, path, sink, allowed)
  const before = sink.issues.length
  const expanded = expandShorthands(field.shorthandFields, value, path, sink)
  // Kong stops at a bad shorthand: the record's own fields are not checked then.
  return sink.issues.length > before ? expanded : validate(expanded, path, sink, allowed)
}

const NO_KEYS: ReadonlySet<string> = new Set()

/**
 * A record validator generated for one set of fields. The record is built from an object
 * literal with every field, and each field is read and written by name: adding 20-odd keys
 * one by one to `{}` sends V8 objects into slow dictionary mode, which made later reads,
 * freezes and JSON.stringify of a snapshot about three times slower. The generated source
 * holds only our own schema field names, quoted by JSON.stringify.
 */
function compileRecord(field: Pick<RecordField, 'fields' | 'entityChecks'>): RecordValidator {
  const names = Object.keys(field.fields)
  const validators = names.map((name) => compile(field.fields[name]))
  const keys = names.map((n) => JSON.stringify(n))
  const body = `
    return function validateRecord(value, path, sink, allowed) {
      for (const key in value) {
        if (hasOwn(value, key) && !known.has(key) && !allowed.has(key)) sink.field(child(path, key), 'unknown field')
      }
      const before = sink.issues.length
      const at = { up: path, key: '' }
      const out = { ${keys.map((k) => `${k}: null`).join(', ')} }
      ${keys.map((k, i) => `at.key = ${k}; out[${k}] = V[${i}](hasOwn(value, ${k}) ? value[${k}] : undefined, at, sink)`).join('\n      ')}
      if (checks !== undefined && sink.issues.length === before) runEntityChecks(checks, out, path, sink)
      return out
    }`
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the generated source holds only our own schema's field names, quoted by JSON.stringify
  const make = new Function('V', 'hasOwn', 'known', 'child', 'checks', 'runEntityChecks', body) as (...args: unknown[]) => RecordValidator
  return make(validators, Object.hasOwn, new Set(names), child, field.entityChecks, runEntityChecks)
}

/** Runs cross-field checks, reporting field messages under their fields and the rest as `@entity`. */
export function runEntityChecks(
  checks: readonly ((r: Readonly<Record<string, unknown>>) => { fields?: Readonly<Record<string, string>>; entity?: readonly string[] } | undefined)[],
  record: Readonly<Record<string, unknown>>,
  path: Loc | undefined,
  sink: IssueSink,
): void {
  for (const check of checks) {
    const result = check(record)
    if (!result) continue
    // A dotted name (`redis.host`) points into a nested record, as Kong's check field names do.
    for (const [name, message] of Object.entries(result.fields ?? {})) sink.field(name.split('.').reduce<Loc | undefined>(child, path), message)
    for (const message of result.entity ?? []) sink.entity(path, message)
  }
}
