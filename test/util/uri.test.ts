import t from 'tap'
import { decodeUnreserved, escapeUri, normalizePath, removeDotSegments } from '../../src/util/uri.js'
import { load, loadError, yml } from '../helpers/load.js'

/** Each case: a path and the form Kong's `normalize(path, true)` gives, bytes read as UTF-8. */
const cases: { desc: string; path: string; normalized: string }[] = [
  { desc: 'empty path', path: '', normalized: '' },
  { desc: 'root', path: '/', normalized: '/' },
  { desc: 'plain path', path: '/api/v1/users', normalized: '/api/v1/users' },
  { desc: 'plain path with dots inside segments', path: '/v1.0/index.html/..a/...', normalized: '/v1.0/index.html/..a/...' },
  { desc: 'unreserved escape decoded', path: '/h%65llo', normalized: '/hello' },
  { desc: 'lower-case hex of an unreserved escape', path: '/%7euser', normalized: '/~user' },
  { desc: 'space decoded', path: '/my%20file', normalized: '/my file' },
  { desc: 'reserved escape kept and upper-cased', path: '/a%2fb', normalized: '/a%2Fb' },
  { desc: 'reserved escape already upper-case', path: '/a%2Fb', normalized: '/a%2Fb' },
  { desc: 'escaped percent kept, not decoded twice', path: '/%252e', normalized: '/%252e' },
  { desc: 'two-byte UTF-8', path: '/caf%C3%A9', normalized: '/café' },
  { desc: 'two-byte UTF-8 in lower-case hex', path: '/caf%c3%a9', normalized: '/café' },
  { desc: 'two-byte UTF-8 in mixed-case hex', path: '/caf%C3%a9', normalized: '/café' },
  { desc: 'three-byte UTF-8', path: '/%E2%82%AC', normalized: '/€' },
  { desc: 'four-byte UTF-8', path: '/%F0%9F%98%80', normalized: '/😀' },
  { desc: 'highest code point', path: '/%F4%8F%BF%BF', normalized: '/\u{10FFFF}' },
  { desc: 'escaped U+FFFD is a character like any other', path: '/%EF%BF%BD', normalized: '/\uFFFD' },
  { desc: 'literal non-ASCII kept', path: '/café/menü', normalized: '/café/menü' },
  { desc: 'literal non-ASCII next to escapes', path: '/é%C3%A9ü%20😀%F0%9F%98%80', normalized: '/ééü 😀😀' },
  { desc: 'lone invalid byte stays escaped', path: '/%FF', normalized: '/%FF' },
  { desc: 'lone invalid byte in lower-case hex is upper-cased', path: '/%ff', normalized: '/%FF' },
  { desc: 'truncated two-byte sequence', path: '/caf%C3', normalized: '/caf%C3' },
  { desc: 'truncated sequence before a literal character', path: '/%c3é', normalized: '/%C3é' },
  { desc: 'lead byte before a reserved escape', path: '/%C3%28', normalized: '/%C3%28' },
  { desc: 'lead byte before an unreserved ASCII escape', path: '/%c3%41', normalized: '/%C3A' },
  { desc: 'truncated three-byte sequence', path: '/%E2%82', normalized: '/%E2%82' },
  { desc: 'truncated sequence followed by a valid one', path: '/%E2%C3%A9', normalized: '/%E2é' },
  { desc: 'lone continuation byte', path: '/%A9', normalized: '/%A9' },
  { desc: 'continuation byte after a literal character', path: '/é%a9', normalized: '/é%A9' },
  { desc: 'overlong slash', path: '/%C0%AF', normalized: '/%C0%AF' },
  { desc: 'overlong three-byte form', path: '/%E0%80%AF', normalized: '/%E0%80%AF' },
  { desc: 'overlong four-byte form', path: '/%F0%80%80%AF', normalized: '/%F0%80%80%AF' },
  { desc: 'encoded surrogate', path: '/%ED%A0%80', normalized: '/%ED%A0%80' },
  { desc: 'last code point before the surrogates', path: '/%ED%9F%BF', normalized: '/\uD7FF' },
  { desc: 'code point past U+10FFFF', path: '/%F4%90%80%80', normalized: '/%F4%90%80%80' },
  { desc: 'escaped byte next to a reserved escape', path: '/%C3%A9%2f%41%3a', normalized: '/é%2FA%3A' },
  { desc: 'percent that starts no escape stays as written', path: '/100%/%zz/%4', normalized: '/100%/%zz/%4' },
  { desc: 'parent segment', path: '/a/../b', normalized: '/b' },
  { desc: 'current segment', path: '/a/./b', normalized: '/a/b' },
  { desc: 'bare current segment', path: '/./', normalized: '/' },
  { desc: 'trailing current segment', path: '/a/.', normalized: '/a/' },
  { desc: 'trailing parent segment', path: '/a/..', normalized: '/' },
  { desc: 'parent of the root', path: '/..', normalized: '/' },
  { desc: 'parents past the root', path: '/a/../../../b', normalized: '/b' },
  { desc: 'merged slashes', path: '//a///b//', normalized: '/a/b/' },
  { desc: 'merged slashes and dot segments', path: '/a/.//../b', normalized: '/b' },
  { desc: 'escaped dots are dot segments', path: '/a/%2e%2e/b', normalized: '/b' },
  { desc: 'half-escaped dots are dot segments', path: '/a/%2e./b', normalized: '/b' },
  { desc: 'escaped slash is not a separator', path: '/a%2f..%2fb', normalized: '/a%2F..%2Fb' },
  { desc: 'trailing slash kept', path: '/a/b/', normalized: '/a/b/' },
  { desc: 'relative path, as Kong leaves it', path: 'a/./b', normalized: 'a/b' },
  { desc: 'leading dot segments of a relative path dropped', path: '../a', normalized: 'a' },
]

t.test('normalizePath matches Kong\'s normalize, reading decoded bytes as UTF-8', async (t) => {
  for (const c of cases) t.equal(normalizePath(c.path), c.normalized, c.desc)
})

t.test('a normalized path normalizes to itself', async (t) => {
  for (const c of cases) t.equal(normalizePath(c.normalized), c.normalized, c.desc)
})

t.test('every reserved escape is kept with upper-case hex', async (t) => {
  for (const ch of "!*'();:@&=+$,/?%#[]") {
    const hex = ch.charCodeAt(0).toString(16)
    t.equal(decodeUnreserved(`/x%${hex.toLowerCase()}y`), `/x%${hex.toUpperCase()}y`, `reserved ${ch}`)
  }
})

t.test('every other ASCII escape is decoded', async (t) => {
  for (let b = 0; b < 0x80; b++) {
    const ch = String.fromCharCode(b)
    if ("!*'();:@&=+$,/?%#[]".includes(ch)) continue
    const hex = b.toString(16).padStart(2, '0')
    t.equal(decodeUnreserved(`/%${hex}`), `/${ch}`, `byte 0x${hex}`)
  }
})

t.test('paths with nothing to change come back as the very same string', async (t) => {
  const paths = ['/api/v1/users', '/café', '/a/b/', '/a%2Fb', '/%FF']
  for (const path of paths) {
    // A string built at run time, so identity is not just interning of the literal.
    const input = [...path].join('')
    t.equal(Object.is(normalizePath(input), input), true, `normalizePath(${path})`)
    t.equal(Object.is(decodeUnreserved(input), input), true, `decodeUnreserved(${path})`)
  }
})

t.test('removeDotSegments does not decode', async (t) => {
  t.equal(removeDotSegments('/a/%2e%2e/b'), '/a/%2e%2e/b', 'escaped dots are not segments before decoding')
  t.equal(removeDotSegments('/a/b/../c'), '/a/c', 'plain dot segments are removed')
})

t.test('3.0 route paths must be in normalized form', async (t) => {
  const accepted = [
    { desc: 'literal UTF-8', path: '/café' },
    { desc: 'reserved escape in upper case', path: '/a%2Fb' },
    { desc: 'invalid UTF-8 byte in its escaped form', path: '/%FF' },
  ]
  for (const c of accepted) {
    const s = await load(yml(`routes:\n- paths: ["${c.path}"]\n`))
    t.same(s.entities.routes?.[0]?.paths, [c.path], c.desc)
  }
  const refused = [
    { desc: 'escaped UTF-8 is suggested decoded', path: '/caf%C3%A9', normalized: '/café' },
    { desc: 'escaped UTF-8 in mixed-case hex', path: '/caf%C3%a9', normalized: '/café' },
    { desc: 'reserved escape in lower case', path: '/a%2fb', normalized: '/a%2Fb' },
    { desc: 'invalid UTF-8 byte in lower case', path: '/%ff', normalized: '/%FF' },
    { desc: 'escaped dot segment', path: '/a/%2e%2e/b', normalized: '/b' },
  ]
  for (const c of refused) {
    const err = await loadError(yml(`routes:\n- paths: ["${c.path}"]\n`))
    t.same(err.fields(), { routes: [{ paths: [`non-normalized path, consider use '${c.normalized}' instead`] }] }, c.desc)
  }
})

t.test('1.1 route paths migrate to their normalized form', async (t) => {
  const s = await load('_format_version: "1.1"\nroutes:\n- paths: ["/caf%C3%A9", "/caf%c3%a9/x", "/%FF", "/a/%2e%2e/b%2f"]\n')
  t.same(s.entities.routes?.[0]?.paths, ['/café', '/café/x', '/%FF', '/b%2F'], 'decoded as UTF-8, invalid bytes escaped')
})

/** Kong's escape() byte by byte over the UTF-8 form: the reference escapeUri must agree with. */
function referenceEscape(s: string): string {
  let out = ''
  for (const b of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(b)
    out += b < 0x80 && /[!#$&'()*+,/:;=?@[\]A-Za-z0-9\-_.~%]/.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

t.test("escapeUri is Kong's escape()", async (t) => {
  const kept = "/!#$%&'()*+,/:;=?@[]ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
  t.equal(escapeUri(kept), kept, 'reserved, unreserved and % are kept (Kong: tools_uri_spec)')
  t.equal(escapeUri('/a b/c d'), '/a%20b/c%20d', 'spaces (Kong: tools_uri_spec)')
  t.equal(escapeUri('/a😀'), '/a%F0%9F%98%80', 'four-byte UTF-8 (Kong: tools_uri_spec)')
  t.equal(escapeUri('/endeløst'), '/endel%C3%B8st', 'two-byte UTF-8 (Kong: tools_uri_spec)')
  t.equal(escapeUri('/€"<>\\^`{|}'), '/%E2%82%AC%22%3C%3E%5C%5E%60%7B%7C%7D', 'three-byte UTF-8 and ASCII outside the set')
  t.equal(escapeUri('/%2F%FF'), '/%2F%FF', 'escapes kept from normalization pass through')
  t.equal(escapeUri('/\n\t\0\x7f'), '/%0A%09%00%7F', 'control characters')
  t.equal(escapeUri('/x\uD800y'), '/x%EF%BF%BDy', 'a lone high surrogate is U+FFFD')
  t.equal(escapeUri('/x\uDC00'), '/x%EF%BF%BD', 'a lone low surrogate at the end is U+FFFD')
  t.equal(escapeUri('/\uD800'), '/%EF%BF%BD', 'a high surrogate at the end is U+FFFD')
})

t.test('escapeUri agrees with the byte-wise reference on every ASCII byte and on mixed text', async (t) => {
  for (let b = 0; b < 0x80; b++) {
    const s = `/a${String.fromCharCode(b)}b`
    t.equal(escapeUri(s), referenceEscape(s), `byte 0x${b.toString(16)}`)
  }
  for (const s of ['/café au lait/ü', 'é', '/a b c', '😀😀/x', '/\u00ff\u0100\u07ff\u0800\uffff', '/\u{10FFFF}'])
    t.equal(escapeUri(s), referenceEscape(s), JSON.stringify(s))
})

t.test('escapeUri returns a path with nothing to escape as the very same string', async (t) => {
  const input = ['/api', 'v1', 'users?x=1'].join('/')
  t.equal(Object.is(escapeUri(input), input), true)
})
