// config diff over real loaded snapshots: what is reported added, removed and changed, how
// entities are named, that generated values and time stamps are no change, and that no secret
// is ever shown; and the command itself, run as a process.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { load as parseYaml } from 'js-yaml'
import { diffSnapshots, formatDiff, MASK, type ConfigDiff } from '../../src/cli/config-diff.js'
import { loadDeclarative } from '../../src/declarative/load.js'
import type { Snapshot } from '../../src/declarative/snapshot.js'
import { bundledPluginSchema } from '../../src/plugins/registry.js'
import { runBin } from '../helpers/cli.js'
import { yml } from '../helpers/load.js'

/** Loads as `config diff` does: vault references as written. */
function load(text: string, source: string, env: NodeJS.ProcessEnv = {}): Promise<Snapshot> {
  return loadDeclarative(text, { source, format: 'yaml', pluginSchemas: bundledPluginSchema, resolveVaultReferences: false, env })
}

const diff = async (a: string, b: string): Promise<ConfigDiff> => diffSnapshots(await load(a, 'a.yml'), await load(b, 'b.yml'), bundledPluginSchema)

const BASE = yml(`services:
- name: orders
  url: http://orders.internal:8080/v1
  routes:
  - name: api
    paths: [/orders]
  plugins:
  - name: rate-limiting
    config: {minute: 10, policy: local}
consumers:
- username: bob
  keyauth_credentials: [{key: bob-key-1}]
  basicauth_credentials: [{username: bob, password: s3cret-one}]
  hmacauth_credentials: [{username: bob-hmac}]
upstreams:
- name: pool
  targets: [{target: 10.0.0.1:80}]
`)

/** BASE with `from` replaced by `to`, checked to apply. */
function edit(from: string, to: string): string {
  if (!BASE.includes(from)) throw new Error(`not in BASE: ${from}`)
  return BASE.replace(from, to)
}

const cases: { desc: string; b: string; collections: Record<string, unknown> }[] = [
  {
    desc: 'a changed service lists its fields, with old and new values',
    b: edit('http://orders.internal:8080/v1', 'https://orders.internal/v2'),
    collections: {
      services: {
        added: [],
        removed: [],
        changed: [{ name: 'orders', fields: [{ path: 'path', from: '/v1', to: '/v2' }, { path: 'port', from: 8080, to: 443 }, { path: 'protocol', from: 'http', to: 'https' }] }],
      },
    },
  },
  {
    desc: 'a route added and one renamed: ids follow names, so a rename is a removal and an addition',
    b: edit('  - name: api\n    paths: [/orders]\n', '  - name: api2\n    paths: [/orders]\n  - name: admin\n    paths: [/admin]\n'),
    collections: { routes: { added: [{ name: 'admin' }, { name: 'api2' }], removed: [{ name: 'api' }], changed: [] } },
  },
  {
    desc: 'a plugin config value, by its path inside config',
    b: edit('minute: 10', 'minute: 20'),
    collections: { plugins: { changed: [{ name: 'rate-limiting on service orders', fields: [{ path: 'config.minute', from: 10, to: 20 }] }] } },
  },
  {
    desc: 'a route moved to another service: the reference by name and id',
    b: edit('  routes:\n  - name: api\n    paths: [/orders]\n', '').replace('consumers:\n', '- name: billing\n  url: http://billing.internal\n  routes: [{name: api, paths: [/orders]}]\nconsumers:\n'),
    collections: {
      services: { added: [{ name: 'billing' }], removed: [], changed: [] },
      routes: { changed: [{ name: 'api', fields: [{ path: 'service', from: { name: 'orders', id: /^[0-9a-f-]{36}$/ }, to: { name: 'billing' } }] }] },
    },
  },
  {
    desc: 'a target changed: the old one removed, the new one added, named by target',
    b: edit('10.0.0.1:80', '10.0.0.2:80'),
    collections: { targets: { added: [{ name: '10.0.0.2:80' }], removed: [{ name: '10.0.0.1:80' }], changed: [] } },
  },
  {
    desc: 'a password changed is shown masked',
    b: edit('s3cret-one', 's3cret-two'),
    collections: { basicauth_credentials: { changed: [{ name: 'bob', fields: [{ path: 'password', from: MASK, to: MASK }] }] } },
  },
  {
    desc: 'a key changed: the credential is named by its consumer, never by its key',
    b: edit('bob-key-1', 'bob-key-2'),
    collections: { keyauth_credentials: { added: [{ name: 'of consumer bob' }], removed: [{ name: 'of consumer bob' }], changed: [] } },
  },
  {
    desc: 'a consumer changed: the hmac secret the node generates on each load is no change',
    b: edit('- username: bob\n', '- username: bob\n  custom_id: b-1\n'),
    collections: { consumers: { changed: [{ name: 'bob', fields: [{ path: 'custom_id', from: null, to: 'b-1' }] }] } },
  },
]

t.test('diffs of real loaded configs, one edit at a time', async (t) => {
  for (const c of cases) {
    const d = await diff(BASE, c.b)
    t.equal(d.equal, false, c.desc)
    t.same(Object.keys(d.collections), Object.keys(c.collections), `${c.desc}: only the collections that changed`)
    t.match(d.collections, c.collections, c.desc)
    t.notMatch(JSON.stringify(d), /s3cret|bob-key|created_at|updated_at/, `${c.desc}: no secret, no time stamp`)
  }
})

t.test('the same configuration written differently is equal, with both hashes and no collection', async (t) => {
  const reordered = yml(`upstreams:
- name: pool
  targets: [{target: "10.0.0.1:80"}]
consumers:
- username: bob
  hmacauth_credentials: [{username: bob-hmac}]
  basicauth_credentials: [{password: s3cret-one, username: bob}]
  keyauth_credentials: [{key: bob-key-1}]
services:
- url: http://orders.internal:8080/v1
  name: orders
  plugins: [{name: rate-limiting, config: {policy: local, minute: 10}}]
  routes: [{paths: [/orders], name: api}]
`)
  const a = await load(BASE, 'a.yml')
  const b = await load(reordered, 'b.yml')
  const d = diffSnapshots(a, b, bundledPluginSchema)
  t.same(d, { equal: true, from: { source: 'a.yml', configuration_hash: a.hash }, to: { source: 'b.yml', configuration_hash: b.hash }, collections: {} })
  t.match(formatDiff(d), /no differences: the configuration hashes are equal\n$/)
})

t.test('a collection whose group hash did not change is not read', async (t) => {
  const a = await load(BASE, 'a.yml')
  const b = await load(edit('minute: 10', 'minute: 20'), 'b.yml')
  t.equal(a.hashes.services, b.hashes.services)
  // Same group hash, different content: only a skip explains an empty services entry.
  const entities: Readonly<Record<string, readonly unknown[]>> = b.entities
  const forged = { ...b, entities: { ...entities, services: [] } } as unknown as Snapshot
  t.same(Object.keys(diffSnapshots(a, forged, bundledPluginSchema).collections), ['plugins'])
})

t.test('vault references are shown as written, other secrets masked, at any depth', async (t) => {
  const withRedis = (password: string, host: string): string =>
    yml(`plugins:
- name: rate-limiting
  config: {minute: 1, policy: redis, redis: {host: ${host}, password: ${password}}}
`)
  const referenced = await diff(withRedis('"{vault://env/redis-a}"', 'r1'), withRedis('"{vault://env/redis-b}"', 'r2'))
  t.match(referenced.collections.plugins?.changed[0].fields, [
    { path: 'config.redis.host', from: 'r1', to: 'r2' },
    { path: 'config.redis.password', from: '{vault://env/redis-a}', to: '{vault://env/redis-b}' },
  ])
  const literal = await diff(withRedis('plain-one', 'r1'), withRedis('plain-two', 'r1'))
  t.same(literal.collections.plugins?.changed[0].fields, [{ path: 'config.redis.password', from: MASK, to: MASK }])
  // A map whose values may be references: each value masked, whatever its key.
  const log = (token: string): string => yml(`plugins:\n- name: http-log\n  config: {http_endpoint: "http://logs.internal/", headers: {X-Auth: ${token}, X-Team: ops}}\n`)
  const headers = await diff(log('tok-a'), log('tok-b'))
  t.same(headers.collections.plugins?.changed[0].fields, [{ path: 'config.headers.X-Auth', from: MASK, to: MASK }])
  // A record that appears whole carries its secrets masked too.
  const whole = await diff(yml('plugins:\n- name: session\n'), yml('plugins:\n- name: session\n  config: {secret: abc-secret}\n'))
  t.notMatch(JSON.stringify(whole), /abc-secret/)
  t.match(whole.collections.plugins?.changed[0].fields, [{ path: 'config.secret', from: null, to: MASK }])
})

t.test('a written secret that changed is told from a generated one beside it by the group hash', async (t) => {
  const creds = (secret: string, others: number): string => yml(`consumers:
- username: ann
  hmacauth_credentials:
  - {username: ann-hmac, secret: ${secret}}
${Array.from({ length: others }, (_, i) => `  - {username: ann-other-${i}}\n`).join('')}`)
  const d = await diff(creds('written-1', 2), creds('written-2', 2))
  t.same(d.collections.hmacauth_credentials?.changed.map((c) => [c.name, c.fields]), [['ann-hmac', [{ path: 'secret', from: MASK, to: MASK }]]])
  t.notMatch(JSON.stringify(d), /written-/)
  // Past the few splits tried, a generated value beside a changed one is shown rather than a change hidden.
  const many = await diff(creds('written-1', 7), creds('written-2', 7))
  const names = many.collections.hmacauth_credentials?.changed.map((c) => c.name) ?? []
  t.equal(names.length, 8)
  t.ok(many.collections.hmacauth_credentials?.changed.every((c) => c.fields.every((f) => f.from === MASK && f.to === MASK)))
  // A secret written where the node generated one before: from absent to masked.
  const written = await diff(creds('same', 2), creds('same', 2).replace('{username: ann-other-0}', '{username: ann-other-0, secret: now-written}'))
  t.same(written.collections.hmacauth_credentials?.changed.map((c) => [c.name, c.fields]), [['ann-other-0', [{ path: 'secret', from: null, to: MASK }]]])
  // No written value changed: every generated one is recognized, however many.
  const generatedOnly = await diff(creds('same', 7), creds('same', 7).replace('username: ann\n', 'username: ann\n  custom_id: x\n'))
  t.same(Object.keys(generatedOnly.collections), ['consumers'])
})

t.test('the text form: both hashes, one line per entity, its fields, and a summary', async (t) => {
  const a = await load(BASE, 'a.yml')
  const b = await load(edit('  - name: api\n    paths: [/orders]\n', '  - name: api\n    paths: [/orders, /o]\n').replace('bob-key-1', 'bob-key-2').replace('s3cret-one', 'new-pass'), 'b.yml')
  const text = formatDiff(diffSnapshots(a, b, bundledPluginSchema))
  const routeId = a.entities.routes?.[0].id ?? ''
  t.match(text, `--- a.yml (configuration_hash ${a.hash})\n+++ b.yml (configuration_hash ${b.hash})\n`)
  t.match(text, `routes:\n  ~ route api (id ${routeId})\n      paths: ["/orders"] -> ["/orders","/o"]\n`)
  const moved = await load(BASE.replace('  - name: api\n    paths: [/orders]\n', '').replace('consumers:\n', '- name: billing\n  url: http://billing.internal\n  routes: [{name: api, paths: [/orders]}]\n- url: http://unnamed.internal\n  routes: [{name: other, paths: [/x]}]\nconsumers:\n'), 'moved.yml')
  const billing = moved.entities.services?.find((s) => s.name === 'billing')?.id ?? ''
  t.match(formatDiff(diffSnapshots(a, moved, bundledPluginSchema)), `      service: orders (id ${a.entities.services?.[0].id ?? ''}) -> billing (id ${billing})\n`)
  t.match(formatDiff(diffSnapshots(a, moved, bundledPluginSchema)), /\n {2}\+ service \(id [0-9a-f-]{36}\)\n/, 'an unnamed entity by id only')
  t.match(text, /keyauth_credentials:\n {2}- keyauth_credential of consumer bob \(id [0-9a-f-]{36}\)\n {2}\+ keyauth_credential of consumer bob \(id [0-9a-f-]{36}\)\n/)
  t.match(text, `  ~ basicauth_credential bob (id ${b.entities.basicauth_credentials?.[0].id ?? ''})\n      password: ****** -> ******\n`)
  t.match(text, /\n1 added, 1 removed, 2 changed\n$/)
  t.notMatch(text, /bob-key|s3cret|new-pass/)
})

t.test('the command: exit 0 same, 1 different, 2 trouble, as diff(1)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-diff-'))
  writeFileSync(join(dir, 'a.yml'), BASE)
  writeFileSync(join(dir, 'same.json'), JSON.stringify(parseYaml(BASE)))
  writeFileSync(join(dir, 'b.yml'), edit('minute: 10', 'minute: 20').replace('s3cret-one', 's3cret-two'))
  writeFileSync(join(dir, 'bad.yml'), yml('services:\n- name: s\n  port: 99999\n'))
  writeFileSync(join(dir, 'broken.yml'), yml('services: [\n'))

  const same = await runBin(['config', 'diff', 'a.yml', 'same.json'], dir)
  t.equal(same.code, 0, 'same configuration')
  t.match(same.stdout, /^--- a\.yml \(configuration_hash [0-9a-f]{32}\)\n\+\+\+ same\.json .*\nno differences/)

  const different = await runBin(['config', 'diff', 'a.yml', 'b.yml'], dir)
  t.equal(different.code, 1, 'different configurations')
  t.match(different.stdout, 'plugins:\n  ~ plugin rate-limiting on service orders (id ')
  t.match(different.stdout, '      config.minute: 10 -> 20\n')
  t.match(different.stdout, '      password: ****** -> ******\n')
  t.notMatch(different.stdout, /s3cret/, 'the changed password is not shown')
  t.match(different.stdout, /\n0 added, 0 removed, 2 changed\n$/)
  t.equal(different.stderr, '')

  const json = await runBin(['config', 'diff', 'a.yml', 'b.yml', '--json'], dir)
  t.equal(json.code, 1)
  const doc = JSON.parse(json.stdout) as ConfigDiff
  t.match(doc, {
    equal: false,
    from: { source: 'a.yml', configuration_hash: /^[0-9a-f]{32}$/ },
    to: { source: 'b.yml' },
    collections: {
      plugins: { added: [], removed: [], changed: [{ name: 'rate-limiting on service orders', fields: [{ path: 'config.minute', from: 10, to: 20 }] }] },
      basicauth_credentials: { changed: [{ name: 'bob', fields: [{ path: 'password', from: MASK, to: MASK }] }] },
    },
  })
  t.same(Object.keys(doc.collections), ['plugins', 'basicauth_credentials'])
  t.notMatch(json.stdout, /s3cret/)

  const trouble = [
    { desc: 'an invalid file', args: ['a.yml', 'bad.yml'], stderr: /^Error: Failed parsing: 2 errors\nbad\.yml:3:3: services\[0\]\.host: required field missing/ },
    { desc: 'an unreadable file', args: ['broken.yml', 'a.yml'], stderr: /^Error: Failed parsing:\nbroken\.yml:3:\d+: / },
    { desc: 'a missing file', args: ['a.yml', 'nope.yml'], stderr: /^Error: cannot read nope\.yml: ENOENT/ },
    { desc: 'one file only', args: ['a.yml'], stderr: /^Error: config diff takes two declarative configuration files/ },
    { desc: 'an unknown option', args: ['a.yml', 'b.yml', '--yaml'], stderr: /^Error: unknown option '--yaml' for config diff/ },
  ]
  for (const c of trouble) {
    const r = await runBin(['config', 'diff', ...c.args], dir)
    t.equal(r.code, 2, `${c.desc}: exit 2`)
    t.match(r.stderr, c.stderr, c.desc)
    t.equal(r.stdout, '', `${c.desc}: nothing on stdout`)
  }
  const both = await runBin(['config', 'diff', 'bad.yml', 'broken.yml', '--json'], dir)
  t.equal(both.code, 2)
  t.match(JSON.parse(both.stdout), { valid: false, errors: [{ source: 'bad.yml', line: 3, path: 'services[0].host' }, { source: 'bad.yml' }, { source: 'broken.yml', line: 3 }] })
  t.equal(both.stderr, '')
})
