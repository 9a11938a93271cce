/**
 * A JSON Schema (draft 2020-12) of kong.yml, generated from the same declarations the validator
 * reads, for editors and CI linters. It is a guide: the node's own validation stays the judge.
 */
import { FORMAT_VERSIONS } from './normalize.js'
import { ENTITIES, nestingsOf } from './schema/entities/index.js'
import type { EntitySchema, Field, PluginSchema, RecordShorthand } from './schema/types.js'

type Json = Record<string, unknown>

function fieldSchema(field: Field): Json {
  const out: Json = { description: field.description }
  if (field.default !== undefined) out.default = field.default
  switch (field.type) {
    case 'string':
      out.type = 'string'
      if (field.oneOf) out.enum = [...field.oneOf]
      if ((field.lenMin ?? 1) > 0) out.minLength = field.lenMin ?? 1
      if (field.lenMax !== undefined) out.maxLength = field.lenMax
      if (field.match) out.pattern = field.match.source
      if (field.format) out.format = field.format
      break
    case 'integer':
    case 'number':
      out.type = field.type
      if (field.between) Object.assign(out, { minimum: field.between[0], maximum: field.between[1] })
      if (field.gt !== undefined) out.exclusiveMinimum = field.gt
      if (field.oneOf) out.enum = [...field.oneOf]
      break
    case 'boolean':
      out.type = 'boolean'
      break
    case 'array':
    case 'set':
      out.type = 'array'
      out.items = fieldSchema(field.elements)
      if (field.lenMin !== undefined) out.minItems = field.lenMin
      if (field.lenMax !== undefined) out.maxItems = field.lenMax
      break
    case 'map':
      out.type = 'object'
      out.additionalProperties = fieldSchema(field.values)
      break
    case 'record':
      Object.assign(out, recordSchema(field.fields, field.shorthandFields))
      break
    case 'foreign':
      out.anyOf = [
        { type: 'string', description: `Id or name of an entry of '${field.reference}'.` },
        { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      ]
      break
    case 'any':
      break
  }
  return out
}

function recordSchema(fields: Readonly<Record<string, Field>>, shorthands: Readonly<Record<string, RecordShorthand>> = {}): Json {
  const properties: Json = {}
  const required: string[] = []
  for (const [name, f] of Object.entries(fields)) {
    properties[name] = fieldSchema(f)
    if (f.required && f.default === undefined && f.type !== 'record') required.push(name)
  }
  for (const [name, sh] of Object.entries(shorthands)) properties[name] = { ...fieldSchema(sh.field), deprecated: true }
  return { type: 'object', properties, additionalProperties: false, ...(required.length > 0 ? { required } : {}) }
}

const META_PROPS: Json = {
  _comment: { type: 'string', description: 'A comment; not stored.' },
  _ignore: { type: 'array', description: 'Anything; ignored.' },
}

function entitySchema(entity: EntitySchema, plugins: readonly PluginSchema[]): Json {
  const properties: Json = { ...META_PROPS }
  const required: string[] = []
  for (const [name, f] of Object.entries(entity.fields)) {
    properties[name] = fieldSchema(f)
    const canBeImplied = f.type === 'foreign' || entity.shorthands !== undefined
    if (f.required && f.default === undefined && !canBeImplied) required.push(name)
  }
  for (const name of Object.keys(entity.shorthands ?? {})) {
    properties[name] = { type: 'string', description: `Shorthand for several ${entity.singular} fields.` }
  }
  for (const { child } of nestingsOf(entity)) {
    properties[child.name] = { type: 'array', items: { $ref: `#/$defs/${child.name}` }, description: `Nested ${child.name}.` }
  }
  const out: Json = {
    type: 'object',
    description: `One ${entity.singular}.`,
    properties,
    additionalProperties: false,
    ...(required.length > 0 ? { required } : {}),
  }
  if (entity.name === 'plugins') {
    properties.name = { type: 'string', enum: plugins.map((p) => p.name), description: 'The plugin to run.' }
    out.allOf = plugins.map((p) => ({
      if: { properties: { name: { const: p.name } }, required: ['name'] },
      then: { properties: { config: fieldSchema(p.config) } },
    }))
  }
  return out
}

/** The JSON Schema of a kong.yml for the given plugins; `id` names it (its `$id`). */
export function buildJsonSchema(plugins: readonly PluginSchema[], id: string): Json {
  const defs: Json = {}
  const properties: Json = {
    _format_version: { type: 'string', enum: [...FORMAT_VERSIONS], description: 'Format of this file; 3.0 for new files.' },
    _transform: { type: 'boolean', default: true, description: 'Apply load-time transformations such as password hashing.' },
    ...META_PROPS,
  }
  for (const entity of ENTITIES) {
    defs[entity.name] = entitySchema(entity, plugins)
    properties[entity.name] = { type: 'array', items: { $ref: `#/$defs/${entity.name}` }, description: `Top-level ${entity.name}.` }
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: id,
    title: 'kong.yml (declarative configuration)',
    type: 'object',
    required: ['_format_version'],
    properties,
    additionalProperties: false,
    $defs: defs,
  }
}
