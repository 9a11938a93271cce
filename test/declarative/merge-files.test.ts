// Several declarative files loaded as one config: merged in order, validated as one, every
// problem named by its own file and line, and hashed as the same entities in one file are.
import t from 'tap'
import { ConfigParseError, type DeclarativeConfigError } from '../../src/declarative/errors.js'
import { loadDeclarative, loadDeclarativeFiles } from '../../src/declarative/load.js'
import type { ConfigText } from '../../src/declarative/merge-files.js'
import { bundledPluginSchema } from '../../src/plugins/registry.js'
import { configError } from '../helpers/load.js'

const options = { pluginSchemas: bundledPluginSchema }
const yaml = (source: string, text: string): ConfigText => ({ source, format: 'yaml', text })

const failure = (texts: readonly ConfigText[]): Promise<DeclarativeConfigError> => configError(loadDeclarativeFiles(texts, options), 'the files')

const A = `_format_version: "3.0"
services:
- name: a
  url: http://a.test
  routes:
  - name: ra
    paths: [/a]
consumers:
- username: alice
`
const B = `_format_version: "3.0"
routes:
- name: rb
  service: a
  paths: [/b]
services:
- name: b
  url: http://b.test
plugins:
- name: key-auth
  route: rb
`

t.test('merged files hash as the same entities written in one file, and reference each other', async (t) => {
  const merged = await loadDeclarativeFiles([yaml('a.yml', A), yaml('conf.d/b.yml', B)], options)
  const one = await loadDeclarative(
    `_format_version: "3.0"
services:
- name: a
  url: http://a.test
  routes:
  - name: ra
    paths: [/a]
- name: b
  url: http://b.test
routes:
- name: rb
  service: a
  paths: [/b]
consumers:
- username: alice
plugins:
- name: key-auth
  route: rb
`,
    { ...options, source: 'kong.yml', format: 'yaml' },
  )
  t.equal(merged.hash, one.hash, 'same configuration hash')
  t.same(merged.hashes, one.hashes, 'same group hashes')
  t.equal(merged.source, 'a.yml, conf.d/b.yml', 'the source lists the files')
  const rb = merged.entities.routes?.find((r) => r.name === 'rb')
  const a = merged.entities.services?.find((s) => s.name === 'a')
  t.same(rb?.service, { id: a?.id }, 'a route in one file names a service in another')
  const order = await loadDeclarativeFiles([yaml('b.yml', B.replace('service: a', 'service: b')), yaml('a.yml', A)], options)
  t.not(order.hash, '', 'files load in any order')
})

t.test('one file loads exactly as a single file does', async (t) => {
  const single = await loadDeclarativeFiles([yaml('kong.yml', A)], options)
  const direct = await loadDeclarative(A, { ...options, source: 'kong.yml', format: 'yaml' })
  t.equal(single.hash, direct.hash)
  t.equal(single.source, 'kong.yml')
  const bad = A + '- username: alice\n'
  const err = await failure([yaml('kong.yml', bad)])
  let directErr: unknown
  await loadDeclarative(bad, { ...options, source: 'kong.yml', format: 'yaml' }).catch((e: unknown) => (directErr = e))
  t.same(err.located(), (directErr as DeclarativeConfigError).located(), 'the same errors')
  t.match(err.located(), [{ source: 'kong.yml', line: 10, path: 'consumers[1].username' }])
  t.notOk(err.located().some((l) => 'explanation' in l), 'a duplicate in one file gets no file names')
})

t.test('duplicates across files name both files and lines', async (t) => {
  const b = `_format_version: "3.0"
consumers:
- username: bob
- username: alice
services:
- name: a
  url: http://other.test
`
  const err = await failure([yaml('a.yml', A), yaml('b.yml', b)])
  t.same(
    err.located(),
    [
      {
        source: 'b.yml',
        line: 4,
        column: 3,
        path: 'consumers[1].username',
        message: "uniqueness violation: 'consumers' entity with username set to 'alice' already declared",
        explanation: 'first declared at a.yml:9:3 (consumers[0].username)',
      },
      {
        source: 'b.yml',
        line: 6,
        column: 3,
        path: 'services[0].name',
        message: "uniqueness violation: 'services' entity with name set to 'a' already declared",
        explanation: 'first declared at a.yml:3:3 (services[0].name)',
      },
    ],
  )
  const body = err.toKongBody(true)
  const flat = body.flattened_errors as { source: string; entity_path: string; line: number }[]
  t.same(
    flat.map((f) => [f.source, f.entity_path, f.line]),
    [
      ['b.yml', 'consumers[1]', 4],
      ['b.yml', 'services[0]', 6],
    ],
    'flattened errors name their file too',
  )
  const sameId = '00000000-0000-4000-8000-000000000001'
  const byId = await failure([
    yaml('a.yml', `_format_version: "3.0"\nupstreams:\n- name: u1\n  id: ${sameId}\n`),
    yaml('b.yml', `_format_version: "3.0"\nupstreams:\n- name: u2\n  id: ${sameId}\n`),
  ])
  t.match(byId.located(), [{ source: 'b.yml', line: 3, path: 'upstreams[0]', message: /primary key set to/, explanation: 'first declared at a.yml:3:3 (upstreams[0])' }])
})

t.test('every error names its own file and line, nested entities included', async (t) => {
  const a = `_format_version: "3.0"
services:
- name: a
  url: http://a.test
`
  const b = `_format_version: "3.0"
services:
- name: b
  url: http://b.test
  routes:
  - name: rb
    paths: [nope]
routes:
- name: lost
  service: nowhere
  paths: [/x]
`
  const c = `_format_version: "3.0"
services:
- name: c
  port: 99999
  host: c.test
`
  const err = await failure([yaml('a.yml', a), yaml('b.yml', b), yaml('c.yml', c)])
  t.same(
    err.located().map((l) => `${l.source}:${l.line}: ${l.path}`),
    ['b.yml:7: services[0].routes[0].paths[0]', 'b.yml:10: routes[0].service', 'c.yml:4: services[0].port'],
  )
  t.match(err.message, /declarative config is invalid/, "Kong's message stays")
  t.equal(err.source, 'a.yml, b.yml, c.yml')
})

t.test("each file's top level: one _format_version and _transform, known keys, arrays", async (t) => {
  const cases: { desc: string; b: string; want: { path: string; line?: number; message: RegExp } }[] = [
    { desc: 'no _format_version', b: 'services: []\n', want: { path: '_format_version', message: /^required field missing$/ } },
    { desc: 'another _format_version', b: '_format_version: "2.1"\n', want: { path: '_format_version', line: 1, message: /^expected '3\.0', as in a\.yml: merged files share one _format_version$/ } },
    { desc: 'another _transform', b: '_format_version: "3.0"\n_transform: false\n', want: { path: '_transform', line: 2, message: /^expected true, as in a\.yml/ } },
    { desc: 'an unknown key', b: '_format_version: "3.0"\n_info: {}\n', want: { path: '_info', line: 2, message: /^unknown field$/ } },
    { desc: 'a collection that is not a list', b: '_format_version: "3.0"\nservices: nope\n', want: { path: 'services', line: 2, message: /^expected an array$/ } },
    { desc: 'a bad _comment', b: '_format_version: "3.0"\n_comment: [1]\n', want: { path: '_comment', line: 2, message: /^expected a string$/ } },
  ]
  for (const c of cases) {
    const err = await failure([yaml('a.yml', A), yaml('b.yml', c.b)])
    t.match(err.located(), [{ source: 'b.yml', ...c.want }], c.desc)
    t.equal(err.located().length, 1, `${c.desc}: one problem`)
  }
  const first = await failure([yaml('a.yml', '_format_version: "9.9"\n'), yaml('b.yml', '_format_version: "9.9"\n')])
  t.match(first.located()[0], { source: 'a.yml', line: 1, path: '_format_version', message: /^expected one of/ }, "the first file's own header is checked as a single file's")
})

t.test('a file that cannot be parsed is named with its position', async (t) => {
  const err = await loadDeclarativeFiles([yaml('a.yml', A), yaml('conf.d/b.yml', '_format_version: "3.0"\nservices: [\n')], options).catch((e: unknown) => e)
  t.type(err, ConfigParseError)
  t.match(err, { source: 'conf.d/b.yml', line: 3 })
})

t.test('warnings name their own file', async (t) => {
  const s = await loadDeclarativeFiles([yaml('a.yml', A), yaml('b.yml', B)], options)
  t.match(s.warnings, [{ source: 'b.yml', path: 'plugins[0]', message: /key-auth/ }])
})
