// Route regexes are accepted and refused as Kong 3.x does: its PCRE dry run and its router's Rust
// `regex` crate must both accept a regex path; `~*` header values need the Rust crate only.
import t from 'tap'
import { load, loadError, yml } from '../helpers/load.js'

const path = (re: string): string => yml(`routes:\n- paths: [${JSON.stringify(`~${re}`)}]\n`)

const accepted = [
  '/users/(?P<name>[^/]+)',
  '/users/(?<name>[^/]+)',
  '/(?i)api',
  '/(?i:v)1',
  '/\\p{L}+/\\p{Greek}',
  '/\\pN',
  '/\\d+\\w*\\s?',
  '/[[:alpha:]]+',
  '/[a-z&&[^aeiou]]',
  '/\\/escaped/\\%',
  '/a{2,3}?b*?',
  '/x(?x) a b # comment',
  '/\\bword\\b',
  '/\\x41\\x{42}',
  '/(?s).$',
  '/(?m)^x$',
  '/a**',
  '/a++',
]

const refused: [string, RegExp][] = [
  ['/regex.+(', /^invalid regex: '\/regex\.\+\(' \(PCRE returned: pcre2_compile\(\) failed: missing closing parenthesis in "\/regex\.\+\("\)$/],
  ['/a)', /PCRE returned: pcre2_compile\(\) failed: unmatched closing parenthesis/],
  ['/[a', /missing terminating \] for character class/],
  ['/a{3,2}', /numbers out of order in \{\} quantifier/],
  ['/(?<a>x)(?<a>y)', /two named subpatterns have the same name/],
  ['/(?=x)', /^Router Expression failed validation: invalid regex '\/\(\?=x\)': look-around, including look-ahead and look-behind, is not supported$/],
  ['/(?!x)', /look-around/],
  ['/(?<=x)', /invalid capture group character/],
  ['/(a)\\1', /backreferences are not supported/],
  ['/\\j', /^invalid regex: '\/\\j' \(PCRE returned: pcre2_compile\(\) failed: unrecognized character follows \\ in "\/\\j"\)$/],
  ['/\\Qa\\E', /unrecognized escape sequence/],
  ['/(?>a)', /unrecognized flag/],
  ['/\\u0041', /PCRE2 does not support \\F, \\L, \\l, \\N\{name\}, \\U, or \\u/],
  ['/\\x{263A}', /character code point value in \\x\{\} or \\o\{\} is too large/],
  ['/(?u)a', /unrecognized character after \(\? or \(\?-/],
  ['/(?P<a.b>x)', /syntax error in subpattern name/],
  ['/\\p{NotAProperty}', /Unicode property not found/],
  ['/a{1001}', /^invalid regex: '\/a\{1001\}' \(not supported by kong-dbless: a counted repetition above 1000 is not supported\)$/],
  ['/\\b{start}x', /not supported by kong-dbless: special word boundaries/],
  ['/\\<x', /not supported by kong-dbless/],
  ['/[z-a]', /range out of order in character class/],
  ['/x{', /unclosed counted repetition/],
]

t.test('regex paths Kong accepts load', async (t) => {
  for (const re of accepted) {
    const s = await load(path(re))
    t.same(s.entities.routes?.[0]?.paths, [`~${re}`], re)
  }
})

t.test('regex paths Kong refuses are refused at the path, with the reason', async (t) => {
  for (const [re, message] of refused) {
    const err = await loadError(path(re))
    t.match(err.fields(), { routes: [{ paths: [message] }] }, re)
  }
})

t.test('~* header values must compile as the Rust crate reads them (lower-cased)', async (t) => {
  const ok = await load(yml('routes:\n- headers: {x: ["~*^V\\\\d+$", plain]}\n'))
  t.same(ok.entities.routes?.[0]?.headers, { x: ['~*^V\\d+$', 'plain'] })
  const err = await loadError(yml('routes:\n- headers: {x: ["~*(?=a)"]}\n'))
  t.match(err.fields(), { routes: [{ headers: { x: [/^Router Expression failed validation: invalid regex '\(\?=a\)': look-around/] } }] })
  // No PCRE dry run for header values: \u escapes are Rust's.
  await load(yml('routes:\n- headers: {x: ["~*\\\\u0041"]}\n'))
})
