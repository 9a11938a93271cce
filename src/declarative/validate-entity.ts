/**
 * One entity checked on its own, as Kong's `POST /schemas/{entity}/validate` checks it: its
 * fields, shorthands, defaults and entity checks, a plugin's config against the plugin's schema,
 * and nothing that needs the rest of a configuration (references are not looked up, vault
 * references are not resolved, uniqueness is not checked). Pure: nothing is stored.
 */
import { dropIssuesAt, entityReferences, expandEntityShorthands, validatePluginRecord } from './build-entities.js'
import { transientField } from './schema/entities/index.js'
import type { EntitySchema, PluginSchemaLookup } from './schema/types.js'
import { IssueSink, UUID, child, validateField, validateRecord, type FieldIssue } from './schema/validate.js'
import { defineKey, isRecord } from '../util/json.js'

/** A transient input field (certificates' `snis`), checked as Kong declares it. */
function checkTransient(name: string, value: unknown, sink: IssueSink): void {
  if (value === undefined || value === null) return
  const field = transientField(name)
  if (field) validateField(field, value, child(undefined, name), sink)
  else sink.field([name], 'unknown field')
}

/**
 * A reference given as a record names its entity by primary key only (Kong's foreign fields):
 * the id must be a UUID, and other keys are unknown. False when it is refused.
 */
function checkReference(field: string, value: unknown, sink: IssueSink): boolean {
  if (!isRecord(value)) return true
  const before = sink.issues.length
  for (const key of Object.keys(value)) {
    if (key !== 'id') sink.field([field, key], 'unknown field')
  }
  const id = value.id
  if (id === undefined || id === null) sink.field([field, 'id'], 'required field missing')
  else if (typeof id !== 'string') sink.field([field, 'id'], 'expected a string')
  else if (!UUID.test(id)) sink.field([field, 'id'], 'expected a valid UUID')
  return sink.issues.length === before
}

/** Every problem `input` has as one entity of `schema`; empty when it is valid. */
export function validateEntityInput(schema: EntitySchema, input: Readonly<Record<string, unknown>>, pluginSchemas: PluginSchemaLookup): readonly FieldIssue[] {
  const sink = new IssueSink()
  const transient = new Set(schema.transient ?? [])
  const work: Record<string, unknown> = {}
  for (const key of Object.keys(input)) {
    if (transient.has(key)) checkTransient(key, input[key], sink)
    else defineKey(work, key, input[key])
  }
  for (const [name, field] of Object.entries(schema.fields)) {
    // A refused reference is reported once, at its id, not again by the field's own check.
    if (field.type === 'foreign' && !checkReference(name, work[name], sink)) work[name] = undefined
  }
  schema.prepare?.(work)
  const shorthands = Object.entries(schema.shorthands ?? {})
  expandEntityShorthands(shorthands, work, sink)
  const allowed = new Set(shorthands.map(([name]) => name))
  const references = entityReferences(schema, work, pluginSchemas)
  if (schema.name === 'plugins') validatePluginRecord(work, sink, pluginSchemas, allowed)
  else validateRecord(schema, work, undefined, sink, allowed)
  // Kong takes a vault reference in a referenceable field as valid: its secret is read later.
  dropIssuesAt(sink, references)
  return sink.issues
}
