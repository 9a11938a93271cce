import t from 'tap'
import { loadDeclarativeObject } from '../../src/declarative/load.js'
import { ConfigParseError } from '../../src/declarative/errors.js'
import { decodeText, formatOfFile, parseConfigText, type ParseLimits } from '../../src/declarative/parse.js'
import { bundledPluginSchema } from '../../src/plugins/registry.js'

const parseError = (fn: () => unknown): ConfigParseError => {
  try {
    fn()
  } catch (err) {
    if (err instanceof ConfigParseError) return err
    throw err
  }
  throw new Error('expected a ConfigParseError')
}

t.test('hostile inputs give a clear error, never a crash', async (t) => {
  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
  for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`)
  const cases: { desc: string; text: string; format: 'yaml' | 'json' | 'auto'; reason: RegExp; line?: number }[] = [
    { desc: 'truncated YAML', text: '_format_version: "3.0"\nservices:\n- name: "unterminated\n', format: 'yaml', reason: /unexpected end|missing|indentation/i, line: 4 },
    { desc: 'truncated JSON', text: '{"_format_version": "3.0", "services": [', format: 'json', reason: /Unexpected end of JSON input/ },
    { desc: 'bad JSON token with a position', text: '{\n  "a": 1,\n  }', format: 'json', reason: /Unexpected token|Expected double-quoted property name/, line: 3 },
    { desc: 'deep nesting (JSON)', text: `{"a": ${deep}}`, format: 'json', reason: /nesting is deeper than 64 levels|too deep/ },
    { desc: 'deep nesting (YAML)', text: `a: ${deep}`, format: 'yaml', reason: /depth|deep|nest/i },
    { desc: 'alias bomb', text: bomb.join('\n'), format: 'yaml', reason: /expands to more than/ },
    { desc: 'duplicate keys', text: 'a: 1\na: 2\n', format: 'yaml', reason: /duplicated mapping key/, line: 2 },
    { desc: 'a scalar document', text: 'just a string\n', format: 'yaml', reason: /expected an object/ },
    { desc: 'an array document', text: '[1, 2]', format: 'auto', reason: /expected an object/ },
    { desc: 'an empty document', text: '', format: 'yaml', reason: /expected an object|empty/ },
    { desc: 'two documents', text: 'a: 1\n---\nb: 2\n', format: 'yaml', reason: /single document/ },
    { desc: 'an unknown tag', text: 'a: !!js/function "x"\n', format: 'yaml', reason: /unknown/ },
    { desc: 'a NUL byte', text: 'a: 1\n\u0000', format: 'yaml', reason: /not UTF-8 text/, line: 2 },
  ]
  for (const c of cases) {
    const err = parseError(() => parseConfigText(c.text, 'kong.yml', c.format))
    t.match(err.reason, c.reason, c.desc)
    t.match(err.message, /^failed parsing declarative configuration: /, `${c.desc}: Kong's prefix`)
    if (c.line !== undefined) t.equal(err.line, c.line, `${c.desc}: line`)
  }
})

t.test('huge inputs are refused by size before parsing', async (t) => {
  const limits: ParseLimits = { maxBytes: 1000, maxDepth: 64, maxAliases: 10, maxNodes: 1000 }
  t.match(parseError(() => parseConfigText(`a: "${'x'.repeat(2000)}"`, 'k.yml', 'yaml', limits)).reason, /over the limit of 1000/)
  t.match(parseError(() => decodeText(Buffer.alloc(2000, 0x61), 'k.yml', limits)).reason, /over the limit/)
  const aliases = `a: &a 1\nb: [${Array(20).fill('*a').join(',')}]\n`
  t.match(parseError(() => parseConfigText(aliases, 'k.yml', 'yaml', limits)).reason, /alias/i, 'alias count is capped')
})

t.test('binary bytes are refused with their offset', async (t) => {
  const err = parseError(() => decodeText(Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]), 'k.yml'))
  t.match(err.reason, /binary data at byte 3/)
  t.equal(decodeText(Buffer.from('a: é\n'), 'k.yml'), 'a: é\n', 'UTF-8 text decodes')
})

t.test('a __proto__ key is refused in every text form, with where it is', async (t) => {
  const yaml = parseError(() => parseConfigText('_format_version: "3.0"\nservices:\n- host: x\n  __proto__: {polluted: true}\n', 'k.yml', 'yaml'))
  t.equal(yaml.reason, "the key '__proto__' is not allowed (at services[0].__proto__)")
  t.equal(yaml.location, 'k.yml:4:3', 'line and column of the key')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched')
  const json = parseError(() => parseConfigText('{"_format_version": "3.0", "services": [{"host": "x", "__proto__": {"port": 1}}]}', 'x.json', 'json'))
  t.equal(json.reason, "the key '__proto__' is not allowed (at services[0].__proto__)", 'JSON too')
  const escaped = parseError(() => parseConfigText('{"_format_version": "3.0", "\\u005f_proto__": {}}', 's', 'auto'))
  t.match(escaped.reason, "the key '__proto__' is not allowed", 'also when spelled with an escape')
  const quoted = parseError(() => parseConfigText('_format_version: "3.0"\n"\\x5f_proto__": 1\n', 'k.yml', 'yaml'))
  t.match(quoted.reason, "the key '__proto__' is not allowed", 'and in a double-quoted YAML key')
  const aliased = parseError(() => parseConfigText('a: &x {__proto__: 1}\nb: *x\n', 'k.yml', 'yaml'))
  t.match(aliased.reason, "the key '__proto__' is not allowed", 'and behind an alias')
  await t.rejects(
    loadDeclarativeObject(JSON.parse('{"_format_version": "3.0", "__proto__": {"services": [{"host": "x"}]}}'), { source: 'POST /config', pluginSchemas: bundledPluginSchema }),
    /the key '__proto__' is not allowed \(at __proto__\)/,
    'an already-parsed body is checked the same way',
  )
})

t.test("YAML reads as Kong's loader does: yes/no/on/off booleans and merge keys", async (t) => {
  const value = parseConfigText('a: yes\nb: Off\nc: y\nn: 1\nbase: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n', 'k.yml', 'yaml')
  t.same(value, { a: true, b: false, c: 'y', n: 1, base: { x: 1 }, m: { x: 1, y: 2 } })
})

t.test('strings try JSON first, then YAML; files go by extension', async (t) => {
  t.same(parseConfigText('{"a": 1}', 's', 'auto'), { a: 1 })
  t.same(parseConfigText('a: 1', 's', 'auto'), { a: 1 })
  t.equal(formatOfFile('x.json'), 'json')
  t.equal(formatOfFile('x.yaml'), 'yaml')
  t.equal(formatOfFile('x.yml'), 'yaml')
  t.match(parseError(() => formatOfFile('x.txt')).reason, 'unknown file type: x.txt. (Accepted types: json, yaml)')
})
