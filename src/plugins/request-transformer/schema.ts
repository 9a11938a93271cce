/** request-transformer: rewrite the method, URI, headers, query and body sent upstream. */
import type { Field, PluginSchema, RecordField } from '../../declarative/schema/types.js'

const pairs = (description: string): Field => ({
  type: 'array',
  default: [],
  description,
  elements: {
    type: 'string',
    description: 'A name:value pair.',
    checks: [(v: string) => (/^[^:]+:/.test(v) ? undefined : `invalid value: ${v}`)],
  },
})
const names = (description: string): Field => ({ type: 'array', default: [], description, elements: { type: 'string', description: 'A name.' } })

const section = (description: string, kind: 'names' | 'pairs', extra: Record<string, Field> = {}): RecordField => {
  const f = kind === 'names' ? names : pairs
  return {
    type: 'record',
    required: true,
    description,
    fields: { body: f('Body fields.'), headers: f('Headers.'), querystring: f('Query arguments.'), ...extra },
  }
}

/** Kong's execution priority: higher runs first. */
export const priority = 801

export const schema: PluginSchema = {
  name: 'request-transformer',
  config: {
    type: 'record',
    description: 'request-transformer settings; applied as remove, rename, replace, add, append.',
    fields: {
      http_method: { type: 'string', match: /^[A-Z]+$/, description: 'Method used upstream.' },
      remove: section('Names to remove.', 'names'),
      rename: section('old:new names to rename.', 'pairs'),
      replace: section('name:value to replace when present.', 'pairs', { uri: { type: 'string', description: 'Upstream path.' } }),
      add: section('name:value to add when absent.', 'pairs'),
      append: section('name:value to append.', 'pairs'),
    },
  },
}
