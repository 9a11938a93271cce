import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { entityWriter, type SchemaLookups } from '../../src/declarative/canonical-form.js'
import { hashConfig, initHasher } from '../../src/declarative/hash.js'
import type { Entity } from '../../src/declarative/normalize.js'
import { RowBytes } from '../../src/declarative/row-bytes.js'
import { ENTITY_BY_NAME } from '../../src/declarative/schema/entities/index.js'
import type { EntitySchema, Field, PluginSchema } from '../../src/declarative/schema/types.js'
import { bundledPluginSchema } from '../../src/plugins/registry.js'
import { load } from '../helpers/load.js'

const DIR = fileURLToPath(new URL('../fixtures/hash-vectors/', import.meta.url))
const EXPECTED = JSON.parse(readFileSync(`${DIR}expected.json`, 'utf8')) as Record<string, Record<string, string>>
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yml')).sort()

t.test('golden vectors: each committed config has exactly its committed hashes', async (t) => {
  t.same(Object.keys(EXPECTED).sort(), FILES, 'a vector for every fixture')
  for (const file of FILES) {
    const snapshot = await load(readFileSync(`${DIR}${file}`, 'utf8'), file)
    // These hashes change only when what a config means changes; never for a refactoring.
    t.same({ ...snapshot.hashes }, EXPECTED[file], file)
  }
})

const ADDED = 'zz_added_in_a_later_release'

/** A field list as a later release might declare it: reordered, and a new field with a default in every record. */
function extendFields(fields: Readonly<Record<string, Field>>): Record<string, Field> {
  const out: Record<string, Field> = {}
  out[ADDED] = { type: 'string', default: 'on', description: 'A new setting.' }
  for (const name of Object.keys(fields).reverse()) {
    const field = fields[name]
    out[name] = field.type === 'record' ? { ...field, fields: extendFields(field.fields) } : field
  }
  return out
}

/** A record as that release would store it: the new field holds its default at every record level. */
function fill(value: unknown, fields: Readonly<Record<string, Field>>): Record<string, unknown> {
  const record: Record<string, unknown> = { ...(value as Record<string, unknown>), [ADDED]: 'on' }
  for (const [name, field] of Object.entries(fields)) {
    if (field.type === 'record' && record[name] !== null && typeof record[name] === 'object') record[name] = fill(record[name], field.fields)
  }
  return record
}

const extendedEntities = new Map<string, EntitySchema>()
const extendedPlugins = new Map<string, PluginSchema>()
const extended: SchemaLookups = {
  entitySchema: (c) => {
    const schema = ENTITY_BY_NAME.get(c)
    if (!schema) return undefined
    if (!extendedEntities.has(c)) extendedEntities.set(c, { ...schema, fields: extendFields(schema.fields) })
    return extendedEntities.get(c)
  },
  pluginSchema: (name) => {
    const plugin = bundledPluginSchema(name)
    if (!plugin) return undefined
    if (!extendedPlugins.has(name)) extendedPlugins.set(name, { ...plugin, config: { ...plugin.config, fields: extendFields(plugin.config.fields) } })
    return extendedPlugins.get(name)
  },
}

/** Every entity as the later release would hold it. */
function filled(entities: Readonly<Record<string, readonly Entity[]>>): Record<string, Entity[]> {
  const out: Record<string, Entity[]> = {}
  for (const [collection, list] of Object.entries(entities)) {
    const schema = ENTITY_BY_NAME.get(collection) as EntitySchema
    out[collection] = list.map((entity) => {
      const record = fill(entity, schema.fields)
      const plugin = collection === 'plugins' ? bundledPluginSchema(entity.name as string) : undefined
      if (plugin) record.config = fill(record.config, plugin.config.fields)
      return record as Entity
    })
  }
  return out
}

t.test('the hash does not depend on where our schemas put a field, nor on fields added with a default', async (t) => {
  await initHasher()
  for (const file of FILES) {
    const snapshot = await load(readFileSync(`${DIR}${file}`, 'utf8'), file)
    // Both sides re-hash the loaded entities: a key-auth key generated on load is in both.
    const now = hashConfig(snapshot.entities, { _format_version: '3.0' }, { entitySchema: (c) => ENTITY_BY_NAME.get(c), pluginSchema: bundledPluginSchema })
    const later = hashConfig(filled(snapshot.entities), { _format_version: '3.0' }, extended)
    t.same({ ...later }, { ...now }, `${file}: reordered schemas with a new defaulted field in every record`)
  }
})

t.test('content-derived ids read the same canonical form, so they too survive such a release', async (t) => {
  const snapshot = await load(readFileSync(`${DIR}unnamed.yml`, 'utf8'), 'unnamed.yml')
  const now: SchemaLookups = { entitySchema: (c) => ENTITY_BY_NAME.get(c), pluginSchema: bundledPluginSchema }
  const bytes = (schemas: SchemaLookups, collection: string, record: Entity): string => {
    const out = new RowBytes()
    entityWriter(schemas.entitySchema(collection) as EntitySchema, 'content')(record, out, schemas)
    return Buffer.from(out.bytes()).toString('hex')
  }
  const later = filled(snapshot.entities)
  for (const collection of ['services', 'routes', 'plugins', 'consumers']) {
    const list = snapshot.entities[collection] ?? []
    t.ok(list.length > 0, `${collection} present`)
    list.forEach((entity, i) => t.equal(bytes(extended, collection, later[collection]?.[i]), bytes(now, collection, entity), `${collection}[${i}]`))
  }
})

t.test('a value equal to its default is left out at every level, so spelling defaults out keeps the hash', async (t) => {
  const base = '_format_version: "3.0"\nupstreams:\n- name: u\n'
  const spelled = `${base}  algorithm: round-robin\n  healthchecks:\n    active:\n      http_path: /\n      healthy: {interval: 0, successes: 0}\n    passive: {type: http}\n    threshold: 0\n`
  t.equal((await load(spelled)).hash, (await load(base)).hash, 'nested defaults spelled out')
  const plugin = '_format_version: "3.0"\nplugins:\n- name: rate-limiting\n  config: {minute: 5}\n'
  const pluginSpelled = '_format_version: "3.0"\nplugins:\n- name: rate-limiting\n  config: {minute: 5, policy: local, redis: {port: 6379, timeout: 2000}, fault_tolerant: true}\n'
  t.equal((await load(pluginSpelled)).hash, (await load(plugin)).hash, 'plugin config defaults spelled out, nested too')
  const changed = '_format_version: "3.0"\nplugins:\n- name: rate-limiting\n  config: {minute: 5, redis: {port: 6380}}\n'
  t.not((await load(changed)).hash, (await load(plugin)).hash, 'a nested value that differs from its default counts')
})
