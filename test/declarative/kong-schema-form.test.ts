import t, { type Test } from 'tap'
import { entitySchemaForm, fieldForm, pluginSchemaForm, vaultSchemaForm, type KongFieldEntry } from '../../src/declarative/kong-schema-form.js'
import { ENTITIES, ENTITY_BY_NAME } from '../../src/declarative/schema/entities/index.js'
import type { Field, RecordField } from '../../src/declarative/schema/types.js'
import { IssueSink, validateRecord } from '../../src/declarative/schema/validate.js'
import { BUNDLED_PLUGINS } from '../../src/plugins/registry.js'

type Props = Record<string, unknown>

const entryOf = (entry: KongFieldEntry): [string, Props] => {
  const [pair] = Object.entries(entry)
  return pair
}

/** Kong's type name of one of our field types. */
const kongType = (f: Field): string => (f.type === 'any' ? 'json' : f.type)

/** Every declared field is in the form, in order, with its type, `required` and `default`, all the way down. */
function compareFields(t: Test, declared: Readonly<Record<string, Field>>, form: readonly KongFieldEntry[], where: string): void {
  const names = Object.keys(declared)
  t.same(form.slice(0, names.length).map((e) => entryOf(e)[0]), names, `${where}: every declared field, in order`)
  for (const [i, name] of names.entries()) {
    const entry = form[i]
    if (!entry) continue
    compareField(t, declared[name], entryOf(entry)[1], `${where}.${name}`)
  }
}

function compareField(t: Test, field: Field, props: Props, where: string): void {
  t.equal(props.type, kongType(field), `${where}: type`)
  t.same(props.default, field.default, `${where}: default`)
  t.equal(props.required, field.required, `${where}: required`)
  t.equal(props.description, field.description, `${where}: description`)
  if (field.type === 'record') compareFields(t, field.fields, props.fields as KongFieldEntry[], where)
  if (field.type === 'array' || field.type === 'set') compareField(t, field.elements, props.elements as Props, `${where}[]`)
  if (field.type === 'map') compareField(t, field.values, props.values as Props, `${where}{}`)
}

/**
 * decK's default filling (go-kong FillConfigRecordDefaults) over a schema document: a field
 * takes its `default` or null; a record is filled when required or given.
 */
function deckFill(fields: readonly KongFieldEntry[], given: Props): Props {
  const out: Props = { ...given }
  for (const entry of fields) {
    const [name, props] = entryOf(entry)
    const absent = given[name] === undefined || given[name] === null
    if (props.type === 'record' && (!absent || props.required === true)) {
      // An absent record starts from its own default (Kong's queue and propagation presets).
      const start = absent ? ((props.default as Props | undefined) ?? {}) : (given[name] as Props)
      out[name] = deckFill(props.fields as KongFieldEntry[], start)
    } else if (absent) {
      out[name] = 'default' in props ? props.default : null
    }
  }
  return out
}

/** What our validator stores for a record given nothing (problems aside: only the values count here). */
const ourDefaults = (record: Pick<RecordField, 'fields' | 'entityChecks'>): Props => validateRecord(record, {}, undefined, new IssueSink())

t.test('every entity: each declared field, its type, required flag, default and description, nested records included', async (t) => {
  for (const schema of ENTITIES) {
    const form = entitySchemaForm(schema)
    compareFields(t, schema.fields, form.fields, schema.name)
    t.ok(Array.isArray(form.entity_checks), `${schema.name}: entity_checks is a list, as Kong always sends it`)
  }
})

t.test('every bundled plugin: scopes it refuses, protocols with its default, and the config record', async (t) => {
  for (const { name, schema } of BUNDLED_PLUGINS) {
    const form = pluginSchemaForm(schema)
    const names = form.fields.map((e) => entryOf(e)[0])
    t.equal(names.at(-1), 'config', `${name}: config comes last`)
    t.equal(names.at(-2), 'protocols', `${name}: protocols before it`)
    t.equal(names.includes('consumer'), schema.noConsumer === true, `${name}: consumer listed exactly when the plugin refuses one`)
    const consumer = form.fields.find((e) => entryOf(e)[0] === 'consumer')
    if (consumer) t.match(entryOf(consumer)[1], { type: 'foreign', reference: 'consumers', eq: null }, `${name}: Kong's no_consumer form`)
    const protocols = entryOf(form.fields.at(-2) as KongFieldEntry)[1]
    t.same(protocols.default, schema.protocols ?? ['grpc', 'grpcs', 'http', 'https'], `${name}: protocols default`)
    t.equal(protocols.required, true, `${name}: protocols required`)
    const config = entryOf(form.fields.at(-1) as KongFieldEntry)[1]
    t.equal(config.type, 'record', `${name}: config is a record`)
    t.equal(config.required, true, `${name}: config is required, so decK fills it`)
    compareFields(t, schema.config.fields, config.fields as KongFieldEntry[], `${name}.config`)
  }
})

t.test('decK filling defaults from a plugin schema document gets exactly what this node stores', async (t) => {
  for (const { name, schema } of BUNDLED_PLUGINS) {
    const document = JSON.parse(JSON.stringify(pluginSchemaForm(schema))) as { fields: KongFieldEntry[] }
    const filled = deckFill(document.fields, {})
    t.same(filled.config, ourDefaults(schema.config), `${name}: config defaults`)
  }
})

t.test('decK filling defaults from an entity schema document gets exactly what this node stores', async (t) => {
  for (const schema of ENTITIES) {
    const document = JSON.parse(JSON.stringify(entitySchemaForm(schema))) as { fields: KongFieldEntry[] }
    const filled = deckFill(document.fields, {})
    for (const name of schema.transient ?? []) delete filled[name]
    t.same(filled, ourDefaults(schema), `${schema.name}: defaults`)
  }
})

t.test('the documents are plain JSON: nothing is lost in encoding', async (t) => {
  for (const schema of ENTITIES) t.same(JSON.parse(JSON.stringify(entitySchemaForm(schema))), entitySchemaForm(schema), schema.name)
  for (const { name, schema } of BUNDLED_PLUGINS) t.same(JSON.parse(JSON.stringify(pluginSchemaForm(schema))), pluginSchemaForm(schema), name)
})

t.test("Kong's property names for what a field declares", async (t) => {
  const cases: { desc: string; field: Field; props: Props }[] = [
    { desc: 'generated uuid', field: { type: 'string', format: 'uuid', auto: true, description: 'd' }, props: { type: 'string', uuid: true, auto: true } },
    { desc: 'timestamp', field: { type: 'integer', auto: true, description: 'd' }, props: { type: 'integer', auto: true, timestamp: true } },
    { desc: 'string bounds', field: { type: 'string', lenMin: 1, lenMax: 5, oneOf: ['a'], startsWith: '/', referenceable: true, unique: true, description: 'd' }, props: { len_min: 1, len_max: 5, one_of: ['a'], starts_with: '/', referenceable: true, unique: true } },
    { desc: 'number bounds', field: { type: 'number', between: [0, 1], gt: 0, oneOf: [1], description: 'd' }, props: { between: [0, 1], gt: 0, one_of: [1] } },
    { desc: 'set', field: { type: 'set', lenMin: 1, elements: { type: 'string', description: 'e' }, description: 'd' }, props: { type: 'set', len_min: 1, elements: { type: 'string', description: 'e' } } },
    { desc: 'map', field: { type: 'map', keys: { type: 'string', description: 'k' }, values: { type: 'integer', description: 'v' }, description: 'd' }, props: { keys: { type: 'string' }, values: { type: 'integer' } } },
    { desc: 'reference that must stay unset', field: { type: 'foreign', reference: 'routes', mustBeNull: true, description: 'd' }, props: { type: 'foreign', reference: 'routes', eq: null } },
    { desc: 'free-form JSON', field: { type: 'any', description: 'd' }, props: { type: 'json' } },
  ]
  for (const c of cases) t.match(fieldForm(c.field), c.props, c.desc)
  t.notOk('checks' in fieldForm({ type: 'string', checks: [() => undefined], description: 'd' }), 'code checks are left out, as Kong leaves out its functions')
  t.notOk('uuid' in fieldForm({ type: 'string', description: 'd' }), 'no uuid flag on plain strings')
})

t.test('entity checks with a data form are listed as Kong lists them', async (t) => {
  t.same(entitySchemaForm(ENTITY_BY_NAME.get('consumers') as never).entity_checks, [{ at_least_one_of: ['custom_id', 'username'] }], 'consumers')
  t.same(entitySchemaForm(ENTITY_BY_NAME.get('certificates') as never).entity_checks, [{ mutually_required: ['cert_alt', 'key_alt'] }], 'certificates: the code checks are left out')
  const tlsOnly = (field: string): unknown => ({
    conditional: { if_field: 'protocol', if_match: { not_one_of: ['https', 'tls'] }, then_field: field, then_match: { eq: null } },
  })
  t.same(
    entitySchemaForm(ENTITY_BY_NAME.get('services') as never).entity_checks,
    [
      tlsOnly('client_certificate'),
      tlsOnly('tls_verify'),
      tlsOnly('tls_verify_depth'),
      tlsOnly('ca_certificates'),
      { conditional: { if_field: 'protocol', if_match: { one_of: ['tcp', 'tls', 'udp', 'grpc', 'grpcs', 'tls_passthrough'] }, then_field: 'path', then_match: { eq: null } } },
    ],
    "services: Kong's conditional checks",
  )
  const acl = BUNDLED_PLUGINS.find((p) => p.name === 'acl')?.schema
  const config = entryOf(pluginSchemaForm(acl as never).fields.at(-1) as KongFieldEntry)[1]
  t.same(config.entity_checks, [{ only_one_of: ['allow', 'deny'] }, { at_least_one_of: ['allow', 'deny'] }], 'acl config')
})

t.test("certificates' snis: a transient array of SNI names, as Kong declares it", async (t) => {
  const fields = entitySchemaForm(ENTITY_BY_NAME.get('certificates') as never).fields
  const snis = fields.find((e) => entryOf(e)[0] === 'snis')
  t.match(snis && entryOf(snis)[1], { type: 'array', transient: true, required: false, elements: { type: 'string' } })
  t.notOk(snis && 'unique' in (entryOf(snis)[1].elements as Props), 'elements are names, not unique entities')
})

t.test('a vault schema is its config record', async (t) => {
  const form = vaultSchemaForm({ config: { type: 'record', description: 'c', fields: { prefix: { type: 'string', description: 'p' } } } })
  t.match(form, { fields: [{ config: { type: 'record', required: true, fields: [{ prefix: { type: 'string' } }] } }], entity_checks: [] })
})
