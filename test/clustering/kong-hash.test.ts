import { createHash } from 'node:crypto'
import t from 'tap'
import { compareUtf8, kongConfigHash, luaNumberToString } from '../../src/clustering/kong-hash.js'

const ZEROS = '0'.repeat(32)
const md5 = (...parts: (string | Buffer)[]): Buffer => {
  const h = createHash('md5')
  for (const p of parts) h.update(p)
  return h.digest()
}
const md5Hex = (...parts: (string | Buffer)[]): string => md5(...parts).toString('hex')

// Kong's spec/01-unit/19-hybrid/02-clustering_spec.lua, "calculate_config_hash()": every input and hash it asserts.
t.test("hashes every value of Kong's clustering spec as Kong does", async (t) => {
  const cases: { desc: string; value: unknown; hash: string }[] = [
    { desc: 'nil', value: undefined, hash: ZEROS },
    { desc: 'null', value: null, hash: '5bf07a8b7343015026657d1108d8206e' },
    { desc: 'number', value: 10, hash: 'd3d9446802a44259755d38e6d163e820' },
    { desc: 'double', value: 0.9, hash: 'a894124cc6d5c5c71afe060d5dde0762' },
    { desc: 'empty string', value: '', hash: 'd41d8cd98f00b204e9800998ecf8427e' },
    { desc: 'string', value: 'hello', hash: '5d41402abc4b2a76b9719d911017c592' },
    { desc: 'boolean false', value: false, hash: '68934a3e9455fa72420237eb05902327' },
    { desc: 'boolean true', value: true, hash: 'b326b5062b2f0e69046810717534cb09' },
    { desc: 'empty table', value: {}, hash: '2da3c26e4dbd6dd6ea3ab60a3dd7fb3e' },
  ]
  for (const c of cases) {
    const first = kongConfigHash(c.value)
    t.equal(first.config, c.hash, c.desc)
    t.equal(kongConfigHash(c.value).config, first.config, `${c.desc}: the same again`)
  }
  // Kong checks the scalar hashes against ngx.md5 of their text as well.
  t.equal(kongConfigHash(null).config, md5Hex('/null/'), 'null is md5 of /null/')
  t.equal(kongConfigHash('hello').config, md5Hex('hello'), 'a string is md5 of its bytes')
})

t.test("Kong's granular hashes: absent groups are zeros, empty ones md5('{}')", async (t) => {
  const empty = '99914b932bd37a50b983c5e7c90ae93b'
  t.same(
    kongConfigHash({}),
    { config: '2da3c26e4dbd6dd6ea3ab60a3dd7fb3e', routes: ZEROS, services: ZEROS, plugins: ZEROS, upstreams: ZEROS, targets: ZEROS },
    'filled with empty hash values for missing config fields',
  )
  t.same(
    kongConfigHash({ routes: [], services: [], plugins: [] }),
    { config: '81aac97a81ad03c0cf0b36663806488e', routes: empty, services: empty, plugins: empty, upstreams: ZEROS, targets: ZEROS },
    'routes, services and plugins present',
  )
  t.same(
    kongConfigHash({ upstreams: [], targets: [] }),
    { config: '4d60dd9998ea4314039da5ca2f1db96f', routes: ZEROS, services: ZEROS, plugins: ZEROS, upstreams: empty, targets: empty },
    'upstreams and targets present',
  )
  t.equal(kongConfigHash({ routes: {}, services: {}, plugins: {} }).config, '81aac97a81ad03c0cf0b36663806488e', 'an empty object is the same empty table')
})

t.test("Kong's complex table: arrays of every length, nested values and 1000 consumers", async (t) => {
  const six = ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']
  const value = {
    plugins: [
      { name: '0', config: { param: 'value' } },
      { name: '1', config: { param: six } },
      { name: '2', config: { param: six.slice(0, 5) } },
      { name: '3', config: { param: six.slice(0, 4) } },
      { name: '4', config: { param: six.slice(0, 3) } },
      { name: '5', config: { param: six.slice(0, 2) } },
      { name: '6', config: { param: six.slice(0, 1) } },
      { name: '7', config: { param: [] } },
      { name: '8', config: { param: 'value', array: six } },
      {
        name: '9',
        config: { bool1: true, bool2: false, number: 1, double: 1.1, empty: {}, null: null, string: 'test', hash: { k: 'v' }, array: six },
      },
    ],
    consumers: Array.from({ length: 1000 }, (_, i) => ({ username: `user-${i + 1}` })),
  }
  t.equal(kongConfigHash(value).config, '675ff4b6b1c8cefa5198284110786ad0', 'the hash Kong asserts')
  t.equal(kongConfigHash(JSON.parse(JSON.stringify(value))).config, '675ff4b6b1c8cefa5198284110786ad0', 'the same after a JSON round trip')
})

t.test('refuses values JSON cannot hold, as Kong errors on functions and userdata', async (t) => {
  for (const [desc, value] of [
    ['function', () => 1],
    ['symbol', Symbol('x')],
    ['bigint', 1n],
    ['undefined in an array', { routes: [undefined] }],
  ] as const) {
    t.throws(() => kongConfigHash(value), TypeError, desc)
  }
})

// The rules below are derived by hand from config_helper.lua's to_sorted_string: the expected
// value is built from the rule's own definition, independently of the buffer code under test.
t.test('serialises by the canonical rules of to_sorted_string', async (t) => {
  const cases: { desc: string; routes: unknown; text: string }[] = [
    { desc: 'arrays of 1 to 5 elements have no trailing ;', routes: [1, 'a', true, null, 0.5], text: '1;a;true;/null/;0.5' },
    { desc: 'arrays of 6 or more end each element with ;', routes: [1, 2, 3, 4, 5, 6], text: '1;2;3;4;5;6;' },
    { desc: 'objects: sorted key:value; pairs', routes: { b: 1, a: [], c: {} }, text: 'a:{};b:1;c:{};' },
    { desc: 'nested arrays are not delimited', routes: [[1, 2], [3]], text: '1;2;3' },
    { desc: 'a key set to undefined is no key, as nil in Lua', routes: { a: undefined, b: 2 }, text: 'b:2;' },
    { desc: 'an object of undefined values is empty', routes: { a: undefined }, text: '{}' },
    { desc: 'numeric keys sort as strings', routes: { 10: 'x', 2: 'y', 1: 'z' }, text: '1:z;10:x;2:y;' },
    { desc: 'numbers as %.14g', routes: [1e15, -0, 1 / 3, 2 ** 53], text: '1e+15;-0;0.33333333333333;9.007199254741e+15' },
    // Byte order of UTF-8: U+E000 (ee 80 80) sorts before U+1F600 (f0 9f 98 80), unlike UTF-16.
    { desc: 'keys sort by their UTF-8 bytes', routes: { '\u{1F600}': 1, '\uE000': 2, b: 3, B: 4, é: 5 }, text: 'B:4;b:3;é:5;\uE000:2;\u{1F600}:1;' },
  ]
  for (const c of cases) t.equal(kongConfigHash({ routes: c.routes }).routes, md5Hex(Buffer.from(c.text, 'utf8')), c.desc)
})

t.test('the group hashes and the rest make up the config hash', async (t) => {
  const config = { _format_version: '3.0', routes: [{ id: 'r' }], services: [{ id: 's' }], consumers: [{ username: 'u' }], targets: null }
  const h = kongConfigHash(config)
  t.equal(h.routes, md5Hex('id:r;'), 'routes')
  t.equal(h.services, md5Hex('id:s;'), 'services')
  t.equal(h.plugins, ZEROS, 'absent plugins')
  t.equal(h.targets, md5Hex('/null/'), 'a null group is present, so hashed')
  const rest = md5Hex('_format_version:3.0;consumers:username:u;;')
  t.equal(h.config, md5Hex(h.routes + h.services + h.plugins + h.upstreams + h.targets + rest), 'config = md5 of the six hex hashes')
  const array = kongConfigHash([1, 2])
  t.equal(array.config, md5Hex(ZEROS.repeat(5) + md5Hex('1;2')), 'an array is a table with no groups: all of it is the rest')
  t.same(kongConfigHash('x'), { config: md5Hex('x'), routes: ZEROS, services: ZEROS, plugins: ZEROS, upstreams: ZEROS, targets: ZEROS }, 'a non-table has only its own hash')
})

t.test('folds the buffer into its MD5 before a value once it holds more than 1,000,000 bytes', async (t) => {
  const a = 'a'.repeat(400_000)
  // Elements 1-3 fill 1,200,003 bytes; before element 4 the buffer becomes its 16-byte digest.
  const third = `${a};${a};${a};`
  t.equal(kongConfigHash({ routes: [a, a, a, a, a, a] }).routes, md5Hex(md5(third), third), 'six 400 kB strings fold once')

  // "a:" + s + ";b:" is exactly 1,000,000 bytes: not more, so no fold before b's value.
  const s1 = 'x'.repeat(1_000_000 - 5)
  t.equal(kongConfigHash({ routes: { a: s1, b: 'y' } }).routes, md5Hex(`a:${s1};b:y;`), 'exactly 1,000,000 bytes does not fold')
  // One byte more: the fold comes after the key b and its colon, just before its value.
  const s2 = 'x'.repeat(1_000_000 - 4)
  t.equal(kongConfigHash({ routes: { a: s2, b: 'y' } }).routes, md5Hex(md5(`a:${s2};b:`), 'y;'), 'the key is written before the fold')

  // A value larger than the whole limit is written whole; the fold waits for the next value.
  const big = 'é'.repeat(1_500_000)
  t.equal(kongConfigHash({ routes: [big] }).routes, md5Hex(big), 'a 3 MB string alone')
  t.equal(kongConfigHash({ routes: [big, 'z'] }).routes, md5Hex(md5(`${big};`), 'z'), 'then folded before the next element')
  // The digest is folded again with what follows, over and over.
  const c = 'c'.repeat(600_000)
  let expected: Buffer = Buffer.from(`${c};${c};`)
  for (let i = 2; i < 8; i += 2) expected = Buffer.concat([md5(expected), Buffer.from(`${c};${c};`)])
  t.equal(kongConfigHash({ routes: Array(8).fill(c) }).routes, md5Hex(expected), 'folds repeat')
})

t.test('numbers print as LuaJIT tostring prints them (%.14g)', async (t) => {
  // Each pair checked against LuaJIT 2.1's tostring and string.buffer put.
  const cases: [number, string][] = [
    [0, '0'],
    [-0, '-0'],
    [10, '10'],
    [0.9, '0.9'],
    [1.1, '1.1'],
    [99999999999999, '99999999999999'],
    [1e14, '1e+14'],
    [1e15, '1e+15'],
    [123456789012345, '1.2345678901235e+14'], // an exact tie rounds away from zero, unlike glibc's printf
    [-123456789012345, '-1.2345678901235e+14'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1 / 3, '0.33333333333333'],
    [2 / 3, '0.66666666666667'],
    [1712345678.123, '1712345678.123'],
    [9.99999999999995, '10'],
    [1e100, '1e+100'],
    [5e-324, '4.9406564584125e-324'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [NaN, 'nan'],
  ]
  for (const [n, text] of cases) t.equal(luaNumberToString(n), text, String(n))
})

t.test('compareUtf8 orders as UTF-8 bytes do', async (t) => {
  const words = ['\u{1F600}', '\uE000', 'b', 'B', 'é', '', 'ab', 'a', '\uFFFF', '\u{10000}']
  const byBytes = [...words].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
  t.same([...words].sort(compareUtf8), byBytes, 'same order as Buffer.compare of the encodings')
})

t.test('a 10,000-service config hashes in well under a second', async (t) => {
  const services = []
  const routes = []
  for (let i = 0; i < 10_000; i++) {
    const id = `5f0c${String(i).padStart(4, '0')}-1b2c-4d5e-8f90-a1b2c3d4e5f6`
    services.push({ id, name: `service-${i}`, host: `upstream-${i}.example.internal`, port: 8080, protocol: 'http', path: null, retries: 5, connect_timeout: 60000, read_timeout: 60000, write_timeout: 60000, tags: ['a', 'b'], enabled: true, created_at: 1712345678 })
    routes.push({ id: `7a0c${String(i).padStart(4, '0')}`, name: `route-${i}`, service: id, paths: [`/svc/${i}`], methods: ['GET', 'POST'], protocols: ['http', 'https'], strip_path: true, regex_priority: 0 })
  }
  const config = { _format_version: '3.0', services, routes }
  t.ok(JSON.stringify(config).length > 4_000_000, 'several megabytes of config')
  const first = kongConfigHash(config)
  let best = Infinity
  for (let i = 0; i < 3; i++) {
    const start = performance.now()
    t.equal(kongConfigHash(config).config, first.config, 'stable')
    best = Math.min(best, performance.now() - start)
  }
  t.ok(best < 1000, `best of three runs took ${best.toFixed(0)} ms`)
})
