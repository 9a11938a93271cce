import t from 'tap'
import { RowBytes } from '../../src/declarative/row-bytes.js'

const bytesOf = (...values: unknown[]): string => {
  const out = new RowBytes()
  out.reset()
  for (const v of values) out.value(v)
  return Buffer.from(out.bytes()).toString('hex')
}

t.test('different data never gives the same bytes', async (t) => {
  const cases: { desc: string; a: unknown[]; b: unknown[] }[] = [
    { desc: 'one string or two', a: ['ab'], b: ['a', 'b'] },
    { desc: 'a string or a list of it', a: ['a'], b: [['a']] },
    { desc: 'an empty string or null', a: [''], b: [null] },
    { desc: 'a string or the number it spells', a: ['1'], b: [1] },
    { desc: 'true or "t"', a: [true], b: ['t'] },
    { desc: 'a record or its keys and values as a list', a: [{ a: 'b' }], b: [['a', 'b']] },
    { desc: 'nested lists split differently', a: [[['a'], 'b']], b: [[['a', 'b']]] },
    { desc: 'a non-ASCII character or the bytes of its escape', a: ['é'], b: ['\u00ff\u0000\u00e9'] },
    { desc: 'two lone surrogates', a: ['\ud800'], b: ['\udc00'] },
    { desc: 'integers', a: [1], b: [2] },
    { desc: 'a fraction', a: [1], b: [1.5] },
    { desc: 'an object or the same keys and values one after the other', a: [{ a: 1 }], b: ['a', 1] },
    { desc: 'a nested object ending early', a: [{ a: {}, b: 1 }], b: [{ a: { b: 1 } }] },
  ]
  for (const c of cases) t.not(bytesOf(...c.a), bytesOf(...c.b), c.desc)
})

t.test('equal data gives equal bytes', async (t) => {
  t.equal(bytesOf(-0), bytesOf(0), '-0 is 0, as in JSON')
  t.equal(bytesOf(undefined), bytesOf(null), 'undefined is written as null')
  t.equal(bytesOf({ a: [1, 'x'] }), bytesOf({ a: [1, 'x'] }))
  t.equal(bytesOf({ a: 1, b: 2 }), bytesOf({ b: 2, a: 1 }), 'object keys are written sorted')
})

t.test('long strings grow the buffer and keep every character', async (t) => {
  const long = 'x'.repeat(100_000)
  t.not(bytesOf(long), bytesOf(`${long}y`))
  t.equal(bytesOf(long).length, 2 * (1 + 3 + 100_000), 'tag, 3-byte length, one byte per ASCII unit')
  const out = new RowBytes()
  out.value('é'.repeat(50_000))
  t.equal(out.bytes().length, 1 + 3 + 3 * 50_000, 'non-ASCII units take three bytes')
  out.reset()
  t.equal(out.bytes().length, 0, 'reset starts a new row')
})
