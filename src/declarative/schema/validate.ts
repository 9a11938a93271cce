/**
 * The one generic validator: checks a value against a declared field, fills defaults, and reports
 * every problem with Kong's own messages at a path relative to the value it was given.
 */
import type { ArrayField, Field, MapField, NumberField, RecordField, StringField } from './types.js'

/** A position inside a value: record keys and 0-based array indexes. */
export type Path = readonly (string | number)[]

/** One problem found while validating, at a path relative to the validated value. */
export interface FieldIssue {
  readonly path: Path
  readonly message: string
  /** Entity-level messages (Kong's `@entity`) rather than a field's own. */
  readonly entity?: boolean
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
  if (Array.isArray(where)) return where
  const out: (string | number)[] = []
  for (let l = where as Loc | undefined; l; l = l.up) out.push(l.key)
  return out.reverse()
}

/** Collects issues under a base path. */
export class IssueSink {
  readonly issues: FieldIssue[] = []
  /** Records one field-level message. */
  field(where: Loc | Path | undefined, message: string): void {
    this.issues.push({ path: toPath(where), message })
  }
  /** Records one entity-level message for the record at `where`. */
  entity(where: Loc | Path | undefined, message: string): void {
    this.issues.push({ path: toPath(where), message, entity: true })
  }
  get empty(): boolean {
    return this.issues.length === 0
  }
}

/** True for a plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * A structural copy of JSON data with object keys sorted, so defaults and inputs are never
 * shared between entities and free-form values are already in canonical order.
 */
export function copyJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyJson) as T
  if (isRecord(value)) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) defineKey(out, key, copyJson(value[key]))
    return out as T
  }
  return value
}

/** Sets a key even when it is `__proto__`, without touching the object's prototype. */
export function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    target[key] = value
  }
}

/**
 * Validates `value` against `field`, returning the normalized value (defaults filled, sets
 * de-duplicated) or null where the value is unusable.
 */
export function validateField(field: Field, value: unknown, path: Loc | undefined, sink: IssueSink): unknown {
  if (value === undefined || value === null) {
    if (field.default !== undefined) {
      // validateRecord builds a new record and never writes to its input; other defaults are
      // shared frozen copies, safe because snapshots are frozen too.
      return field.type === 'record'
        ? validateRecord(field, field.default as Record<string, unknown>, path, sink)
        : sharedDefault(field)
    }
    if (field.type === 'record' && field.required) return validateRecord(field, {}, path, sink)
    if (field.required) sink.field(path, 'required field missing')
    return null
  }
  const checked = checkType(field, value, path, sink)
  if (checked === INVALID) return null
  const checks = field.checks
  if (checks === undefined) return checked
  for (const check of checks) {
    const message = (check as (v: unknown) => string | undefined)(checked)
    if (message !== undefined) {
      sink.field(path, message)
      return null
    }
  }
  return checked
}

const INVALID = Symbol('invalid')

const DEFAULTS = new WeakMap<Field, unknown>()

/** One frozen copy of a field's default, shared by every entity that takes it. */
function sharedDefault(field: Field): unknown {
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

function checkType(field: Field, value: unknown, path: Loc | undefined, sink: IssueSink): unknown {
  switch (field.type) {
    case 'string':
      return checkString(field, value, path, sink)
    case 'integer':
    case 'number':
      return checkNumber(field, value, path, sink)
    case 'boolean':
      if (typeof value !== 'boolean') return fail(sink, path, 'expected a boolean')
      return value
    case 'array':
    case 'set':
      return checkArray(field, value, path, sink)
    case 'map':
      return checkMap(field, value, path, sink)
    case 'record':
      if (!isRecord(value)) return fail(sink, path, 'expected a record')
      return validateRecord(field, value, path, sink)
    case 'foreign':
      // References are resolved later against the whole config; here only their shape matters.
      if (typeof value === 'string') return value
      if (isRecord(value) && typeof value.id === 'string') {
        for (const key in value) if (key !== 'id') return { id: value.id }
        return value
      }
      return fail(sink, path, 'expected a string')
    case 'any':
      return copyJson(value)
  }
}

function fail(sink: IssueSink, path: Loc | undefined, message: string): typeof INVALID {
  sink.field(path, message)
  return INVALID
}

function checkString(field: StringField, value: unknown, path: Loc | undefined, sink: IssueSink): unknown {
  if (typeof value !== 'string') return fail(sink, path, 'expected a string')
  if (field.lenMin !== undefined && value.length < field.lenMin) {
    return fail(sink, path, `length must be at least ${field.lenMin}`)
  }
  if (field.lenMax !== undefined && value.length > field.lenMax) {
    return fail(sink, path, `length must be at most ${field.lenMax}`)
  }
  if (field.oneOf && !field.oneOf.includes(value)) {
    return fail(sink, path, `expected one of: ${field.oneOf.join(', ')}`)
  }
  if (field.startsWith !== undefined && !value.startsWith(field.startsWith)) {
    return fail(sink, path, `should start with: ${field.startsWith}`)
  }
  if (field.format === 'uuid' && !UUID.test(value)) return fail(sink, path, 'expected a valid UUID')
  if (field.match && !field.match.test(value)) return fail(sink, path, `invalid value: ${value}`)
  return value
}

/** Kong's UUID check: 8-4-4-4-12 hex, any case. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function checkNumber(field: NumberField, value: unknown, path: Loc | undefined, sink: IssueSink): unknown {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return fail(sink, path, field.type === 'integer' ? 'expected an integer' : 'expected a number')
  }
  if (field.type === 'integer' && !Number.isInteger(value)) return fail(sink, path, 'expected an integer')
  if (field.between && (value < field.between[0] || value > field.between[1])) {
    return fail(sink, path, `value should be between ${field.between[0]} and ${field.between[1]}`)
  }
  if (field.gt !== undefined && !(value > field.gt)) {
    return fail(sink, path, `value must be greater than ${field.gt}`)
  }
  if (field.oneOf && !field.oneOf.includes(value)) {
    return fail(sink, path, `expected one of: ${field.oneOf.join(', ')}`)
  }
  return value
}

function checkArray(field: ArrayField, value: unknown, path: Loc | undefined, sink: IssueSink): unknown {
  if (!Array.isArray(value)) {
    // Kong accepts an empty object where an array is expected: Lua cannot tell them apart.
    if (isRecord(value) && Object.keys(value).length === 0) return []
    return fail(sink, path, field.type === 'set' ? 'expected a set' : 'expected an array')
  }
  if (field.lenMin !== undefined && value.length < field.lenMin) {
    return fail(sink, path, `length must be at least ${field.lenMin}`)
  }
  if (field.lenMax !== undefined && value.length > field.lenMax) {
    return fail(sink, path, `length must be at most ${field.lenMax}`)
  }
  const before = sink.issues.length
  const out: unknown[] = []
  const at: Cursor = { up: path, key: 0 }
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i]
    at.key = i
    if (item === null || item === undefined) sink.field(at, 'required field missing')
    else out.push(validateField(field.elements, item, at, sink))
  }
  if (sink.issues.length > before) return INVALID
  if (field.type === 'set') return dedupe(out)
  return out
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

function checkMap(field: MapField, value: unknown, path: Loc | undefined, sink: IssueSink): unknown {
  if (!isRecord(value)) return fail(sink, path, 'expected a map')
  const out: Record<string, unknown> = {}
  const before = sink.issues.length
  for (const key of Object.keys(value).sort()) {
    const at = child(path, key)
    const k = validateField(field.keys, key, at, sink)
    if (k === null) continue
    defineKey(out, key, validateField(field.values, value[key], at, sink))
  }
  return sink.issues.length > before ? INVALID : out
}

/**
 * Validates a record: unknown keys are errors, every declared field is present in the result
 * (null where unset), and entity checks run once the fields themselves are valid.
 */
export function validateRecord(
  field: Pick<RecordField, 'fields' | 'entityChecks'>,
  value: Record<string, unknown>,
  path: Loc | undefined,
  sink: IssueSink,
  allowed: ReadonlySet<string> = NO_KEYS,
): Record<string, unknown> {
  const out = blankRecord(field.fields)
  for (const key in value) {
    if (Object.hasOwn(value, key) && !Object.hasOwn(field.fields, key) && !allowed.has(key)) sink.field(child(path, key), 'unknown field')
  }
  const before = sink.issues.length
  const at: Cursor = { up: path, key: '' }
  for (const name in field.fields) {
    const sub = field.fields[name] as Field
    at.key = name
    out[name] = validateField(sub, Object.hasOwn(value, name) ? value[name] : undefined, at, sink)
  }
  if (field.entityChecks !== undefined && sink.issues.length === before) runEntityChecks(field.entityChecks, out, path, sink)
  return out
}

const NO_KEYS: ReadonlySet<string> = new Set()

const FACTORIES = new WeakMap<object, () => Record<string, unknown>>()

/**
 * A record with every declared field already present (null), built from an object literal.
 * Adding 20-odd keys one by one to `{}` sends V8 objects into slow dictionary mode, which made
 * every later read, freeze and JSON.stringify of a snapshot about three times slower; a
 * literal with all keys keeps them fast. The keys are our own schema field names.
 */
function blankRecord(fields: Readonly<Record<string, Field>>): Record<string, unknown> {
  let make = FACTORIES.get(fields)
  if (!make) {
    const body = Object.keys(fields)
      .map((k) => `${JSON.stringify(k)}: null`)
      .join(', ')
    make = new Function(`return { ${body} }`) as () => Record<string, unknown>
    FACTORIES.set(fields, make)
  }
  return make()
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
    for (const [name, message] of Object.entries(result.fields ?? {})) sink.field(child(path, name), message)
    for (const message of result.entity ?? []) sink.entity(path, message)
  }
}
