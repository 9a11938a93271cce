// Header text read as Kong and nginx read it.
import t from 'tap'
import { csvTokens, firstHeader, nameIs, strip } from '../../src/proxy/header-text.js'
import { asciiLower } from '../../src/util/ascii.js'

t.test("csvTokens is Kong's csv()", async (t) => {
  const rows: [string, string[]][] = [
    ['X-Foo, X-Bar', ['x-foo', 'x-bar']],
    ['keep-alive', []],
    ['Keep-Alive', []],
    ['CLOSE', []],
    ['upgrade', []],
    ['keep-alive, Upgrade', ['keep-alive', 'upgrade']],
    ['', []],
    [',, ,a,', ['a']],
    ['  a  ,\tb', ['a', '\tb']],
    [' \ta\t ', ['a']],
  ]
  for (const [value, tokens] of rows) t.same(csvTokens(value), tokens, JSON.stringify(value))
})

t.test('names and words compare ignoring the case of letters only', async (t) => {
  t.equal(nameIs('X-Forwarded-For', 'x-forwarded-for'), true)
  t.equal(nameIs('x-forwarded-fo', 'x-forwarded-for'), false)
  t.equal(nameIs('x^y', 'x~y'), false, 'symbols are not folded')
  t.equal(nameIs('WEBSOCKET', 'websocket'), true)
})

t.test('asciiLower folds ASCII only; strip trims Lua whitespace', async (t) => {
  t.equal(asciiLower('Host.EXAMPLE'), 'host.example')
  t.equal(asciiLower('\u00c9X'), '\u00c9x', 'Latin-1 bytes stay')
  const same = ['already', 'lower'].join('-')
  t.equal(Object.is(asciiLower(same), same), true, 'nothing to fold: the same string')
  t.equal(strip(' \t\r\n a b \v\f'), 'a b')
  t.equal(strip('\u00a0a'), '\u00a0a', 'a no-break space is not Lua whitespace')
})

t.test('firstHeader reads the first line of a header', async (t) => {
  t.equal(firstHeader(['Accept', 'a', 'accept', 'b'], 'accept'), 'a')
  t.equal(firstHeader(['Accept', 'a'], 'host'), undefined)
})
