import t from 'tap'
import { keyPath, nestParams } from '../../src/admin/request-params.js'

t.test("keys split as Kong splits them: dots nest, [n] indexes from 1, [] appends", async (t) => {
  const cases: [string, unknown[]][] = [
    ['name', ['name']],
    ['config.key_names', ['config', 'key_names']],
    ['config.key_names[1]', ['config', 'key_names', 0]],
    ['x[1].y', ['x', 0, 'y']],
    ['a.b.c', ['a', 'b', 'c']],
  ]
  for (const [key, path] of cases) t.same(keyPath(key), path, key)
  t.equal(typeof keyPath('paths[]')[1], 'symbol', 'x[] is the append marker')
})

t.test('flat pairs become nested records and arrays', async (t) => {
  const cases: { desc: string; flat: [string, unknown][]; nested: unknown }[] = [
    { desc: 'plain', flat: [['host', 'a'], ['port', null]], nested: { host: 'a', port: null } },
    { desc: 'dotted', flat: [['config.a', 1], ['config.b', true]], nested: { config: { a: 1, b: true } } },
    { desc: 'indexed', flat: [['paths[2]', '/b'], ['paths[1]', '/a']], nested: { paths: ['/a', '/b'] } },
    { desc: 'appended', flat: [['paths[]', ['/a', '/b']]], nested: { paths: ['/a', '/b'] } },
    { desc: 'appended one by one', flat: [['tags[]', 'x'], ['tags[]', 'y']], nested: { tags: ['x', 'y'] } },
    { desc: 'gaps closed', flat: [['paths[3]', '/c']], nested: { paths: ['/c'] } },
    { desc: 'records in arrays', flat: [['sources[1].ip', '10.0.0.1'], ['sources[1].port', '80']], nested: { sources: [{ ip: '10.0.0.1', port: '80' }] } },
    { desc: 'a value keeps its place over a later container', flat: [['config', 'x'], ['config.a', 1]], nested: { config: 'x' } },
  ]
  for (const c of cases) t.same(nestParams(c.flat), c.nested, c.desc)
})

t.test('__proto__ in a key is a field name, never a prototype', async (t) => {
  const out = nestParams([['__proto__.polluted', 'yes'], ['config.__proto__.x', 1]])
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched')
  t.ok(Object.hasOwn(out, '__proto__'), 'kept as an own key')
  t.same(Object.keys(out), ['__proto__', 'config'])
})
