/**
 * Kong's `shorthand_fields` on records: an alias is type-checked, then rewritten into the real
 * fields before the record itself is validated, with Kong's precedence and mismatch message.
 */
import { defineKey, isRecord } from '../../util/json.js'
import type { RecordShorthand } from './types.js'
import { child, validateField, type IssueSink, type Loc } from './validate.js'

/**
 * The input with every present alias replaced by the fields it stands for; the input itself
 * when it holds none. Problems with an alias are reported at the alias.
 */
export function expandShorthands(
  shorthands: Readonly<Record<string, RecordShorthand>>,
  value: Record<string, unknown>,
  path: Loc | undefined,
  sink: IssueSink,
): Record<string, unknown> {
  let data: Record<string, unknown> | undefined
  for (const [name, shorthand] of Object.entries(shorthands)) {
    if (!Object.hasOwn(value, name)) continue
    data ??= { ...value }
    const raw = data[name]
    delete data[name]
    // An explicit null alias says nothing, as an absent one.
    if (raw === null || raw === undefined) continue
    const at = child(path, name)
    const before = sink.issues.length
    const checked = validateField(shorthand.field, raw, at, sink)
    if (sink.issues.length > before) continue
    const mismatch = shorthand.replacedWith && mismatchWith(data, shorthand.replacedWith, name, checked)
    if (mismatch) {
      sink.field(at, mismatch)
      continue
    }
    const fields = shorthand.expand(checked as never)
    if (fields) merge(data, fields, shorthand.replacedWith !== undefined || shorthand.deprecated === true)
  }
  return data ?? value
}

/** Kong refuses an alias whose real field is also set to something else. */
function mismatchWith(data: Record<string, unknown>, path: readonly string[], name: string, value: unknown): string | undefined {
  let current: unknown = data
  for (const key of path) current = isRecord(current) ? current[key] : undefined
  if (current === undefined || current === null || JSON.stringify(current) === JSON.stringify(value)) return undefined
  return `both deprecated and new field are used but their values mismatch: ${name} = ${shown(value)} vs ${path.join('.')} = ${shown(current)}`
}

/** A value as the mismatch message shows it. */
const shown = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))

/**
 * Writes expanded fields into the record. A deprecated alias yields to a real field already
 * set; any other alias overrides it. Records merge key by key, as Kong's table merges do.
 */
function merge(data: Record<string, unknown>, fields: Readonly<Record<string, unknown>>, deprecated: boolean): void {
  for (const [key, v] of Object.entries(fields)) {
    const existing = data[key]
    if (isRecord(v)) {
      const source = isRecord(existing) ? existing : {}
      defineKey(data, key, deprecated ? mergeNullAware(v, source) : { ...source, ...v })
    } else if (!deprecated || existing === undefined || existing === null) {
      defineKey(data, key, v)
    }
  }
}

/** `base` overridden by every non-null value of `over`, recursively (Kong's null_aware_table_merge). */
function mergeNullAware(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base }
  for (const [key, v] of Object.entries(over)) {
    if (v === null || v === undefined) continue
    const b = out[key]
    // User keys: a `__proto__` key must stay a plain key (then refused as unknown), not a prototype.
    defineKey(out, key, isRecord(v) && isRecord(b) ? mergeNullAware(b, v) : v)
  }
  return out
}
