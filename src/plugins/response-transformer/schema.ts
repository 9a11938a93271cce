/** response-transformer: rewrite response headers and top-level JSON body keys. */
import type { Field, PluginSchema, RecordField } from '../../declarative/schema/types.js'

const list = (description: string): Field => ({ type: 'array', default: [], description, elements: { type: 'string', description: 'An entry.' } })
const types: Field = {
  type: 'array',
  default: [],
  description: 'Per-entry JSON types of the values.',
  elements: { type: 'string', oneOf: ['boolean', 'number', 'string'], description: 'A JSON type.' },
}
const section = (description: string, withTypes: boolean): RecordField => ({
  type: 'record',
  required: true,
  description,
  fields: { json: list('JSON keys.'), headers: list('Headers.'), ...(withTypes ? { json_types: types } : {}) },
})

/** Kong's execution priority: higher runs first. */
export const priority = 800

export const schema: PluginSchema = {
  name: 'response-transformer',
  config: {
    type: 'record',
    description: 'response-transformer settings.',
    fields: {
      remove: section('Names to remove.', false),
      rename: section('old:new names to rename.', false),
      replace: section('name:value to replace when present.', true),
      add: section('name:value to add when absent.', true),
      append: section('name:value to append.', true),
    },
  },
}
