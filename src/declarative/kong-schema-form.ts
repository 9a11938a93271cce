/**
 * Our schema declarations in the JSON form Kong's `GET /schemas/...` answers with
 * (`kong/api/api_helpers.lua` schema_to_jsonable): `{"fields": [{"name": {...}}, ...],
 * "entity_checks": [...]}`, Kong's property names, functions left out as Kong leaves them out.
 * Pure: the same declaration always gives the same document.
 */
import { checkFormOf, type CheckForm } from './schema/check-forms.js'
import { DEFAULT_PLUGIN_PROTOCOLS, ENTITY_BY_NAME, transientField } from './schema/entities/index.js'
import type { EntityCheck, EntitySchema, Field, PluginSchema, RecordField } from './schema/types.js'
import { copyJson } from '../util/json.js'

/** One field in Kong's form: its name as the only key, its properties as the value. */
export type KongFieldEntry = Readonly<Record<string, Readonly<Record<string, unknown>>>>

/** A schema as `GET /schemas/{entity}` and `GET /schemas/plugins/{name}` send it. */
export interface KongSchemaForm {
  readonly fields: readonly KongFieldEntry[]
  readonly entity_checks: readonly CheckForm[]
}

/** The checks that have a data form; the others are code, which Kong does not send either. */
function checkForms(checks: readonly EntityCheck[] | undefined): CheckForm[] {
  const out: CheckForm[] = []
  for (const check of checks ?? []) {
    const form = checkFormOf(check)
    if (form) out.push(copyJson(form))
  }
  return out
}

/** One field's properties under Kong's names. */
export function fieldForm(field: Field): Record<string, unknown> {
  // Kong has no "any": its free-form JSON values are `json` fields.
  const out: Record<string, unknown> = { type: field.type === 'any' ? 'json' : field.type }
  if (field.required !== undefined) out.required = field.required
  if (field.default !== undefined) out.default = copyJson(field.default)
  if (field.auto) {
    out.auto = true
    // Generated numbers are the creation and update times, which Kong marks as timestamps.
    if (field.type === 'integer' || field.type === 'number') out.timestamp = true
  }
  if (field.unique) out.unique = true
  switch (field.type) {
    case 'string':
      if (field.format === 'uuid') out.uuid = true
      if (field.oneOf) out.one_of = [...field.oneOf]
      if (field.lenMin !== undefined) out.len_min = field.lenMin
      if (field.lenMax !== undefined) out.len_max = field.lenMax
      if (field.startsWith !== undefined) out.starts_with = field.startsWith
      if (field.referenceable) out.referenceable = true
      break
    case 'integer':
    case 'number':
      if (field.between) out.between = [...field.between]
      if (field.oneOf) out.one_of = [...field.oneOf]
      if (field.gt !== undefined) out.gt = field.gt
      break
    case 'array':
    case 'set':
      out.elements = fieldForm(field.elements)
      if (field.lenMin !== undefined) out.len_min = field.lenMin
      if (field.lenMax !== undefined) out.len_max = field.lenMax
      break
    case 'map':
      out.keys = fieldForm(field.keys)
      out.values = fieldForm(field.values)
      break
    case 'record': {
      out.fields = fieldsForm(field.fields)
      const checks = checkForms(field.entityChecks)
      if (checks.length > 0) out.entity_checks = checks
      break
    }
    case 'foreign':
      out.reference = field.reference
      // Kong's typedefs.no_consumer and friends: `eq = null`, which JSON shows as null.
      if (field.mustBeNull) out.eq = null
      break
    case 'boolean':
    case 'any':
      break
  }
  out.description = field.description
  return out
}

function fieldsForm(fields: Readonly<Record<string, Field>>): KongFieldEntry[] {
  return Object.entries(fields).map(([name, field]) => ({ [name]: fieldForm(field) }))
}

/** A transient input field (certificates' `snis`) in Kong's form. */
function transientForm(name: string): KongFieldEntry | undefined {
  const field = transientField(name)
  if (!field) return undefined
  return { [name]: { type: 'array', required: false, transient: true, elements: fieldForm(field.elements), description: field.description } }
}

/** An entity schema as `GET /schemas/{entity}` sends it. */
export function entitySchemaForm(schema: EntitySchema): KongSchemaForm {
  const fields = fieldsForm(schema.fields)
  for (const name of schema.transient ?? []) {
    const form = transientForm(name)
    if (form) fields.push(form)
  }
  return { fields, entity_checks: checkForms(schema.entityChecks) }
}

const SCOPES = [
  ['consumer', 'consumers', 'noConsumer'],
  ['route', 'routes', 'noRoute'],
  ['service', 'services', 'noService'],
] as const

/**
 * A plugin's schema as `GET /schemas/plugins/{name}` sends it: the plugin's own fields, as in
 * Kong's plugin subschemas (the scopes it refuses, `protocols` with its default, and `config`
 * with every nested field and default), which clients such as decK fill defaults from.
 */
export function pluginSchemaForm(plugin: PluginSchema): KongSchemaForm {
  const fields: KongFieldEntry[] = []
  for (const [name, reference, flag] of SCOPES) {
    if (plugin[flag]) {
      fields.push({ [name]: fieldForm({ type: 'foreign', reference, mustBeNull: true, description: `This plugin cannot be scoped to ${reference}.` }) })
    }
  }
  const entity = ENTITY_BY_NAME.get('plugins')
  const protocols = entity?.fields.protocols
  if (protocols) fields.push({ protocols: { ...fieldForm(protocols), default: [...(plugin.protocols ?? DEFAULT_PLUGIN_PROTOCOLS)] } })
  const config: RecordField = { ...plugin.config, required: true }
  fields.push({ config: fieldForm(config) })
  return { fields, entity_checks: [] }
}

/** A vault's schema as `GET /schemas/vaults/{name}` sends it: its `config` record. */
export function vaultSchemaForm(vault: { readonly config: RecordField }): KongSchemaForm {
  return { fields: [{ config: fieldForm({ ...vault.config, required: true }) }], entity_checks: [] }
}
