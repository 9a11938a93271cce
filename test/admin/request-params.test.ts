import t from 'tap'
import { MAX_PARAM_DEPTH, keyPath, nestParams } from '../../src/admin/request-params.js'
import { HttpError } from '../../src/http/app.js'

t.test("keys split as Kong splits them: dots nest, [n] indexes from 1, [] appends", async (t) => {
  const cases: [string, unknown[]][] = [
    ['name', ['name']],
    ['config.key_names', ['config', 'key_names']],
    ['config.key_names[1]', ['config', 'key_names', 0]],
    ['x[1].y', ['x', 0, 'y']],
    ['a.b.c', ['a', 'b', 'c']],
    ['x[1][2]', ['x', 0, 1]],
    ['a.b.', ['a', 'b.']],
    ['a..b', ['a.', 'b']],
    ['.a', ['.a']],
    ['[1]', ['[1]']],
    ['a[x]', ['a[x]']],
    ['a[0]', ['a', 0]],
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

t.test('names that nest too deep are refused before anything is built', async (t) => {
  t.equal(keyPath('a'.concat('.a'.repeat(MAX_PARAM_DEPTH - 1))).length, MAX_PARAM_DEPTH, 'the bound itself is fine')
  for (const key of ['a'.concat('.a'.repeat(100_000)), 'a'.concat('[1]'.repeat(100_000)), 'a.b'.concat('[]'.repeat(100_000))]) {
    let status: number | undefined
    try {
      keyPath(key)
    } catch (err) {
      status = err instanceof HttpError ? err.status : undefined
    }
    t.equal(status, 400, `${key.slice(0, 8)}... is a 400`)
  }
})

t.test('indexes cost what is sent, not what they name', async (t) => {
  t.same(nestParams([['x[4000000000]', 'far'], ['x[1]', 'near']]), { x: ['near', 'far'] }, 'a huge index is an order, not a length')
  const many = Array.from({ length: 50_000 }, (_, i): [string, unknown] => ['tags[]', String(i)])
  const started = performance.now()
  t.equal((nestParams(many).tags as unknown[]).length, 50_000, 'every appended value kept')
  t.ok(performance.now() - started < 2000, 'appends are not quadratic')
})
