/**
 * The canonical form of an entity: what the configuration hash and content-derived ids read.
 * It is defined by field names, never by where a field sits in our schemas, so that a release
 * that adds a field (with a default) or reorders a schema gives every existing config the same
 * hash: fields in name order, each written as its name and value, leaving out every field that
 * is null or holds its default, at every level of declared records (plugin configs included);
 * a declared record left empty that way is left out too. The README ("The configuration hash")
 * states the form in full.
 */
import { RowBytes } from './row-bytes.js'
import type { EntitySchema, Field, PluginSchemaLookup, RecordField } from './schema/types.js'
import { sharedDefault } from './schema/validate.js'

/** Where schemas come from; injected so tests can hash with reordered or extended schemas. */
export interface SchemaLookups {
  readonly entitySchema: (collection: string) => EntitySchema | undefined
  readonly pluginSchema: PluginSchemaLookup
}

/**
 * `hash`: references are written as the id they resolved to. `content`: the form a
 * content-derived id is computed from, before references are resolved: the id itself and the
 * reference to the nesting parent are left out, other references are written as given.
 */
export type FormMode = 'hash' | 'content'

/** Writes one value; returns false when it wrote nothing worth keeping (an all-default record). */
type ValueWriter = (value: unknown, out: RowBytes, record: Readonly<Record<string, unknown>>, lookups: SchemaLookups) => boolean | void

interface FieldPlan {
  readonly name: string
  /** The field's name as encoded bytes, written as is. */
  readonly nameBytes: Uint8Array
  readonly default: unknown
  readonly defaultJson: string | undefined
  readonly write: ValueWriter
}

/** Fields that say when, not what: an exported and re-imported config keeps its hash. */
const NEVER = new Set(['created_at', 'updated_at'])

const nameEncoder = new RowBytes()
function encodeName(name: string): Uint8Array {
  nameEncoder.reset()
  nameEncoder.string(name)
  return nameEncoder.bytes().slice()
}

function isDefault(value: unknown, plan: FieldPlan): boolean {
  if (value === plan.default) return true
  return plan.defaultJson !== undefined && typeof value === 'object' && JSON.stringify(value) === plan.defaultJson
}

/** Writes the planned fields of a record, in name order; returns whether any was written. */
function writeFields(plans: readonly FieldPlan[], record: Readonly<Record<string, unknown>>, out: RowBytes, lookups: SchemaLookups): boolean {
  let wrote = false
  for (let i = 0; i < plans.length; i++) {
    const plan = plans[i]
    const value = record[plan.name]
    if (value === null || value === undefined || isDefault(value, plan)) continue
    const mark = out.position
    out.raw(plan.nameBytes)
    if (plan.write(value, out, record, lookups) === false) out.truncate(mark)
    else wrote = true
  }
  return wrote
}

function planFields(fields: Readonly<Record<string, Field>>, exclude: ReadonlySet<string>, writerOf: (name: string, field: Field) => ValueWriter): FieldPlan[] {
  return Object.keys(fields)
    .filter((name) => !exclude.has(name))
    .sort()
    .map((name) => {
      const field = fields[name]
      const def = sharedDefault(field)
      return {
        name,
        nameBytes: encodeName(name),
        default: def,
        defaultJson: typeof def === 'object' && def !== null ? JSON.stringify(def) : undefined,
        write: writerOf(name, field),
      }
    })
}

const RECORD_WRITERS = new WeakMap<object, ValueWriter>()

/** A declared record: its non-default fields, or nothing at all when none is left. */
function recordWriter(field: Pick<RecordField, 'fields'>): ValueWriter {
  let writer = RECORD_WRITERS.get(field)
  if (!writer) {
    const plans = planFields(field.fields, NEVER, (_name, f) => valueWriter(f, 'hash'))
    writer = (value, out, _record, lookups) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        out.value(value)
        return true
      }
      out.open()
      const wrote = writeFields(plans, value as Record<string, unknown>, out, lookups)
      out.close()
      return wrote
    }
    RECORD_WRITERS.set(field, writer)
  }
  return writer
}

const generic: ValueWriter = (value, out) => {
  out.value(value)
}

function valueWriter(field: Field, mode: FormMode): ValueWriter {
  switch (field.type) {
    case 'foreign':
      return mode === 'hash' ? (value, out) => out.string((value as { id: string }).id) : generic
    case 'record':
      return recordWriter(field)
    case 'array':
    case 'set': {
      const element = valueWriter(field.elements, mode)
      return (value, out, record, lookups) => {
        if (!Array.isArray(value)) return void out.value(value)
        out.list(value.length)
        // Inside a list every element stays, all-default records included: positions matter.
        for (const item of value) {
          if (item === null || item === undefined) out.value(null)
          else element(item, out, record, lookups)
        }
      }
    }
    case 'map': {
      const values = valueWriter(field.values, mode)
      return (value, out, record, lookups) => {
        if (typeof value !== 'object' || value === null) return void out.value(value)
        out.open()
        for (const key of Object.keys(value).sort()) {
          out.string(key)
          values((value as Record<string, unknown>)[key], out, record, lookups)
        }
        out.close()
      }
    }
    default:
      return generic
  }
}

/** A plugin's `config`, written by the plugin's own schema, so its defaults are left out too. */
const pluginConfig: ValueWriter = (value, out, record, lookups) => {
  const plugin = typeof record.name === 'string' ? lookups.pluginSchema(record.name) : undefined
  if (!plugin) return void out.value(value)
  return recordWriter(plugin.config)(value, out, record, lookups)
}

/** Writes the canonical form of one entity. */
export type EntityWriter = (record: Readonly<Record<string, unknown>>, out: RowBytes, lookups: SchemaLookups) => void

const ENTITY_WRITERS = new WeakMap<EntitySchema, Map<string, EntityWriter>>()

/**
 * The writer of a schema's entities in `mode`, compiled once per schema. In `content` mode
 * `parentField` (the reference to the nesting parent) is left out as well as the id.
 */
export function entityWriter(schema: EntitySchema, mode: FormMode, parentField?: string): EntityWriter {
  let writers = ENTITY_WRITERS.get(schema)
  if (!writers) ENTITY_WRITERS.set(schema, (writers = new Map<string, EntityWriter>()))
  const key = `${mode}:${parentField ?? ''}`
  let writer = writers.get(key)
  if (!writer) {
    const exclude = new Set(NEVER)
    if (mode === 'content') {
      exclude.add('id')
      if (parentField) exclude.add(parentField)
    }
    const plans = planFields(schema.fields, exclude, (name, field) => (name === 'config' && schema.name === 'plugins' ? pluginConfig : valueWriter(field, mode)))
    writer = (record, out, lookups) => {
      out.open()
      writeFields(plans, record, out, lookups)
      out.close()
    }
    writers.set(key, writer)
  }
  return writer
}
