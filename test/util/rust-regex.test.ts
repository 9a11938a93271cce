// What a translated pattern matches: Rust `regex` semantics, checked on the cases where JS or
// RE2 defaults would differ.
import t from 'tap'
import { compileRustRegex, isRegexError, translateRustRegex, type RustRegex } from '../../src/util/rust-regex.js'

function re(pattern: string): RustRegex {
  const r = compileRustRegex(pattern)
  if (isRegexError(r)) throw new Error(`${pattern}: ${r.reason}`)
  return r
}

const rows: [pattern: string, text: string, match: string | null][] = [
  ['^\\d+', '\u0663\u0664', '\u0663\u0664'],
  ['^\\w+', 'caf\u00e9!', 'caf\u00e9'],
  ['^\\w', '\u24b6', '\u24b6'],
  ['^\\s', '\u2003', '\u2003'],
  ['^(?i)k', '\u212a', '\u212a'],
  ['^(?i)\u00df', '\u1e9e', '\u1e9e'],
  ['^(?i)[a-c]+', 'AbC', 'AbC'],
  ['^(?i)\\p{Lu}', 'a', 'a'],
  ['^(?i)[^k]', '\u212a', null],
  ['^a(?i)b|c', 'C', 'C'],
  ['^(?:(?i)a)b', 'AB', null],
  ['^(?x) a b c # note', 'abc', 'abc'],
  ['^[a-z&&[^aeiou]]+', 'bcda', 'bcd'],
  ['^[a-f--c]+', 'abcd', 'ab'],
  ['^[[:digit:]x]+', '1x2y', '1x2'],
  ['^.', '\n', null],
  ['^(?s).', '\n', '\n'],
  ['^a$', 'a\n', null],
  ['^(?m)a$', 'a\nb', 'a'],
  ['^[^a]', '\u00e9', '\u00e9'],
  ['^(?U)a+', 'aaa', 'a'],
  ['^(?U)a+?', 'aaa', 'aaa'],
  ['^\\x{1F600}', '\u{1F600}', '\u{1F600}'],
  ['^\\p{Greek}+', '\u03b1\u03b2a', '\u03b1\u03b2'],
  ['^\\p{sc=Greek}', '\u03b1', '\u03b1'],
  ['^\\p{gc=Nd}', '5', '5'],
  ['^\\pL', '\u00e9', '\u00e9'],
  ['^\\P{L}', 'a', null],
  ['^(?-u:\\w)+', 'ab\u00e9', 'ab'],
  ['^(?i-u)k', '\u212a', null],
  ['^[\\d--[0-4]]+', '567\u0663', '567\u0663'],
]

t.test('Rust meaning of each construct', async (t) => {
  for (const [pattern, text, want] of rows) t.equal(re(pattern).exec(text)?.[0] ?? null, want, `${pattern} on ${JSON.stringify(text)}`)
})

t.test('captures: numbering, names, groups that took no part', async (t) => {
  const r = re('^/(?P<a>x)(y)?(?:z)(?<b>w)?')
  t.equal(r.groups, 3)
  t.same(r.names, [undefined, 'a', undefined, 'b'])
  t.same([...(r.exec('/xz') ?? [])], ['/xz', 'x', undefined, undefined])
  // Perl semantics in repetitions, where JS would clear the group on the last iteration.
  t.same([...(re('^(?:(a)|b)+').exec('ab') ?? [])], ['ab', 'a'])
})

t.test('linear time: the classic ReDoS pattern answers at once', async (t) => {
  const r = re('^(a+)+$')
  const start = performance.now()
  t.equal(r.test(`${'a'.repeat(5000)}!`), false)
  t.ok(performance.now() - start < 200, 'no backtracking blow-up')
})

t.test('refusals name who refuses', async (t) => {
  t.same(translateRustRegex('(?=a)'), { by: 'rust', reason: 'look-around, including look-ahead and look-behind, is not supported' })
  t.same(translateRustRegex('(?u)a', { pcre: true }), { by: 'pcre', reason: 'unrecognized character after (? or (?-' })
  t.notOk(isRegexError(translateRustRegex('(?u)a')), 'Rust alone accepts (?u)')
  t.same(translateRustRegex('(?-u).'), { by: 'rust', reason: 'pattern can match invalid UTF-8' })
  t.same(translateRustRegex('(?-u)\\pL'), { by: 'rust', reason: 'Unicode not allowed here' })
  t.same(translateRustRegex('(?mR)^a'), { by: 'engine', reason: 'multi-line anchors in CRLF mode ((?mR)) are not supported' })
  t.same(translateRustRegex('\\p{age=3.0}'), { by: 'engine', reason: "the Unicode property 'age=3.0' is not supported" })
  t.match(translateRustRegex(`${'('.repeat(251)}a${')'.repeat(251)}`), { by: 'rust', reason: /nested parentheses/ })
})
