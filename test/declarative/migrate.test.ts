/**
 * The `_format_version` 1.1 / 2.1 route path migration: plain paths are normalized, other
 * paths become `~` regexes, for top-level routes and routes nested under services alike.
 */
import t from 'tap'
import { migratePath, migrateRoutePaths } from '../../src/declarative/migrate.js'
import { load, loadError } from '../helpers/load.js'

/** A document of the given version (JSON is valid YAML flow; one entity per line keeps lines apart). */
const doc = (version: string, body: Record<string, unknown>): string => JSON.stringify({ _format_version: version, ...body }, null, 2)

/** Paths in, paths out: what the migration writes for each pre-3.0 path. */
const PATHS: [string, string][] = [
  ['/plain', '/plain'],
  ['/', '/'],
  ['/with-dash_under~tilde.dot', '/with-dash_under~tilde.dot'],
  ['/h%65llo', '/hello'],
  ['/a%2Fb', '/a%2Fb'],
  ['/a%2fb', '/a%2Fb'],
  ['/a/../b', '/b'],
  ['/a/./b/', '/a/b/'],
  ['/a//b', '/a/b'],
  ['/regex.+', '~/regex.+'],
  ['/users/\\d+$', '~/users/\\d+$'],
  ['/v(1|2)/items', '~/v(1|2)/items'],
  ['/a b', '~/a b'],
  ['/a*', '~/a*'],
]

t.test('migratePath: plain paths normalized, anything else a ~ regex', async (t) => {
  for (const [input, output] of PATHS) t.equal(migratePath(input), output, `${JSON.stringify(input)} -> ${JSON.stringify(output)}`)
  t.equal(migratePath(''), '', 'the empty path is plain and left for validation')
})

t.test('migrateRoutePaths rewrites in place and skips what it cannot read', async (t) => {
  const docIn: Record<string, unknown> = {
    routes: [{ paths: ['/a/../b', '/r.+'] }, { hosts: ['x'] }, { paths: 'not-an-array' }, 5, null],
    services: [{ routes: [{ paths: ['/s.*', 7, '/c//d'] }] }, { host: 'no-routes' }, { routes: 'not-an-array' }, 'svc'],
  }
  migrateRoutePaths(docIn)
  t.same(
    docIn,
    {
      routes: [{ paths: ['/b', '~/r.+'] }, { hosts: ['x'] }, { paths: 'not-an-array' }, 5, null],
      services: [{ routes: [{ paths: ['~/s.*', 7, '/c/d'] }] }, { host: 'no-routes' }, { routes: 'not-an-array' }, 'svc'],
    },
    'string paths migrated; non-strings, non-arrays and non-records untouched',
  )
  const empty: Record<string, unknown> = { services: 'x', routes: { paths: ['/r.+'] } }
  migrateRoutePaths(empty)
  t.same(empty, { services: 'x', routes: { paths: ['/r.+'] } }, 'collections that are not arrays are left for validation')
})

t.test('1.1 and 2.1: top-level routes and routes under services are migrated', async (t) => {
  const inputs = PATHS.map(([p]) => p)
  const outputs = PATHS.map(([, p]) => p)
  for (const version of ['1.1', '2.1']) {
    const s = await load(
      doc(version, {
        services: [{ name: 's', host: 'example.com', routes: [{ name: 'nested', paths: inputs }, { name: 'hosts-only', hosts: ['h.example.com'] }] }, { name: 'bare', host: 'b.example.com' }],
        routes: [{ name: 'top', paths: inputs }],
      }),
      'kong.json',
    )
    t.equal(s.formatVersion, '3.0', `${version}: reported as 3.0`)
    const byName = Object.fromEntries((s.entities.routes ?? []).map((r) => [r.name, r]))
    t.same(byName.nested?.paths, outputs, `${version}: route nested under a service`)
    t.same(byName.top?.paths, outputs, `${version}: top-level route`)
    t.same(byName['hosts-only']?.paths, null, `${version}: a route without paths keeps none`)
    t.same(byName['hosts-only']?.hosts, ['h.example.com'], `${version}: and its hosts`)
    t.equal(s.entities.services?.length, 2, `${version}: a service without routes is fine`)
  }
})

t.test('1.1: what the migration leaves is still validated, at the original place', async (t) => {
  const err = await loadError(
    doc('1.1', {
      services: [{ name: 's', host: 'example.com', routes: [{ name: 'nested', paths: ['/a/../b', 5, '/r(', 'relative'] }] }],
      routes: [{ name: 'top', paths: [{ p: '/a' }, '/x//y', true] }, 7],
    }),
  )
  const pcre = /^invalid regex: '\/r\(' \(PCRE returned: .+\)$/
  t.match(
    err.located(),
    [
      { path: 'services[0].routes[0].paths[1]', message: 'expected a string' },
      { path: 'services[0].routes[0].paths[2]', message: pcre },
      { path: 'services[0].routes[0].paths[3]', message: 'should start with: / (fixed path) or ~/ (regex path)' },
      { path: 'routes[0].paths[0]', message: 'expected a string' },
      { path: 'routes[0].paths[2]', message: 'expected a string' },
      { path: 'routes[1]', message: 'expected a record' },
    ],
    'non-string paths refused, the migrated regex checked, a relative plain path refused',
  )
  t.equal(err.located().length, 6, 'and nothing else: /a/../b and /x//y were normalized by the migration')
  const fields = err.fields() as { services: { routes: { paths: unknown[] }[] }[] }
  t.match(fields.services[0]?.routes[0]?.paths, [null, 'expected a string', pcre, 'should start with: / (fixed path) or ~/ (regex path)'], 'fields tree for the nested route')
  const services = await loadError(doc('2.1', { services: [5, { host: 'x', routes: [5] }] }))
  t.same(services.fields(), { services: ['expected a record', { routes: ['expected a record'] }] }, '2.1: non-record services and routes are left for validation')
})

t.test('3.0 is not migrated: paths are validated as written', async (t) => {
  const err = await loadError(
    doc('3.0', {
      services: [{ name: 's', host: 'example.com', routes: [{ name: 'nested', paths: ['/a/../b', '/ok'] }] }],
      routes: [{ name: 'top', paths: ['/h%65llo', '/x//y'] }],
    }),
  )
  t.same(
    err.located().map(({ path, message }) => ({ path, message })),
    [
      { path: 'services[0].routes[0].paths[0]', message: "non-normalized path, consider use '/b' instead" },
      { path: 'routes[0].paths[0]', message: "non-normalized path, consider use '/hello' instead" },
      { path: 'routes[0].paths[1]', message: "non-normalized path, consider use '/x/y' instead" },
    ],
    'the paths a 1.1 file would have normalized are refused',
  )
  const s = await load(doc('3.0', { services: [{ host: 'example.com', routes: [{ name: 'r', paths: ['/regex.+', '/v(1|2)'] }] }] }), 'kong.json')
  t.same(s.entities.routes?.[0]?.paths, ['/regex.+', '/v(1|2)'], 'regex-looking 3.0 paths stay plain prefixes, without ~')
})
