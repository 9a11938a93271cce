import t from 'tap'
import { DEFAULT_LIMITS } from '../../src/declarative/parse.js'
import { decodeConfigRequest, RequestError } from '../../src/loader/config-request.js'

const LIMIT = 10 * 1024 * 1024
const decode = (raw: string | Buffer, contentType: string, query: Record<string, string> = {}) =>
  decodeConfigRequest({ raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw), contentType, query }, LIMIT, DEFAULT_LIMITS)

/** The RequestError a request is refused with. */
async function refusal(promise: Promise<unknown>): Promise<RequestError> {
  try {
    await promise
  } catch (err) {
    if (err instanceof RequestError) return err
    throw err
  }
  throw new Error('expected the request to be refused')
}

function multipart(parts: [string, Buffer | string][]): { body: Buffer; type: string } {
  const boundary = 'xYzZy'
  const chunks: Buffer[] = []
  for (const [name, value] of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`), Buffer.from(value), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` }
}

t.test("Kong's body forms: the params themselves, a config field, or the raw body", async (t) => {
  const object = await decode('{"_format_version":"3.0","services":[]}', 'application/json', { flatten_errors: 'yes' })
  t.same(object, { flatten: true, checkHash: false, config: { kind: 'object', value: { _format_version: '3.0', services: [] }, text: '{"_format_version":"3.0","services":[]}' } })
  const field = await decode(JSON.stringify({ config: 'a: 1', check_hash: 1 }), 'application/json')
  t.same(field, { flatten: false, checkHash: true, config: { kind: 'text', text: 'a: 1' } }, 'check_hash=1 as a number counts')
  t.equal((await decode('{"config":"a: 1"}', 'application/json', { check_hash: 'true' })).checkHash, false, 'only "1" turns check_hash on')
})

t.test('form and multipart fields, YAML bodies, and what is refused', async (t) => {
  t.same((await decode('config=a%3A+1&flatten_errors=true', 'application/x-www-form-urlencoded')).config, { kind: 'text', text: 'a: 1' })
  const mp = multipart([['config', 'b: 2'], ['check_hash', '1']])
  t.same(await decode(mp.body, mp.type), { flatten: false, checkHash: true, config: { kind: 'text', text: 'b: 2' } })
  t.same((await decode('c: 3\n', 'application/yaml')).config, { kind: 'text', text: 'c: 3\n' })
  t.same((await refusal(decode('x', 'text/plain'))).status, 415, 'an unknown media type')
  t.equal((await refusal(decode('x', ''))).status, 415, 'a body without a Content-Type')
  t.same((await refusal(decode('', ''))).body, { message: 'expected a declarative configuration' })
  t.same((await refusal(decode('{nope', 'application/json'))).body, { message: 'Cannot parse JSON body' })
  const big = multipart([['config', 'x'.repeat(2 * 1024 * 1024)]])
  t.equal((await decode(big.body, big.type)).config.kind, 'text', 'a multipart field over 1 MiB is read whole, not cut')
  const cut = '--b\r\nContent-Disposition: form-data; name="config"; filename="kong.yml"\r\n\r\nservices: []'
  t.same((await refusal(decode(cut, 'multipart/form-data; boundary=b'))).body, { message: 'Cannot parse multipart body' }, 'a body that ends inside a file part')
})

t.test('invalid UTF-8 is refused in every form, with the byte where it starts', async (t) => {
  const bad = Buffer.concat([Buffer.from('services:\n- name: k'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')])
  const raw = await refusal(decode(bad, 'application/yaml'))
  t.equal(raw.status, 400)
  t.match(raw.body, { code: 14, fields: { error: 'failed parsing declarative configuration: the body: input is not UTF-8 text (binary data at byte 19)' }, details: [{ line: 2 }] })
  const json = await refusal(decode(Buffer.concat([Buffer.from('{"config":"k'), Buffer.from([0xff]), Buffer.from('"}')]), 'application/json'))
  t.match(json.body, { fields: { error: /the JSON body: input is not UTF-8 text \(binary data at byte 12\)/ } })
  const form = await refusal(decode('config=k%FF%FE', 'application/x-www-form-urlencoded'))
  t.match(form.body, { fields: { error: /form field 'config': input is not UTF-8 text \(binary data at byte 1\)/ } }, 'a percent-escaped bad byte')
  const mp = multipart([['config', Buffer.concat([Buffer.from('ab'), Buffer.from([0xc3, 0x28])])]])
  const at = mp.body.indexOf(Buffer.from([0xc3, 0x28]))
  t.match((await refusal(decode(mp.body, mp.type))).body, { fields: { error: `failed parsing declarative configuration: the multipart body: input is not UTF-8 text (binary data at byte ${at})` } })
  const replacement = multipart([['config', 'name: \uFFFD'], ['note', 'application/json; charset=utf-8']])
  t.same((await decode(replacement.body, replacement.type)).config, { kind: 'text', text: 'name: \uFFFD' }, 'a real U+FFFD, and a value that mentions a charset, are fine')
  t.same((await decode('config=caf%C3%A9', 'application/x-www-form-urlencoded')).config, { kind: 'text', text: 'café' }, 'valid UTF-8 escapes decode')
})

t.test('__proto__ never reaches a prototype, and JSON nesting is bounded, in every form', async (t) => {
  const smuggled = await refusal(decode('{"_format_version":"3.0","__proto__":{"services":[{"host":"x"}]}}', 'application/json'))
  t.match(smuggled.body, { code: 14, fields: { error: "failed parsing declarative configuration: the key '__proto__' is not allowed (at __proto__)" } })
  t.match((await refusal(decode('{"__proto__":{"_format_version":"3.0"}}', 'application/json'))).body, { fields: { error: /__proto__/ } }, 'a body that is only __proto__')
  t.match((await refusal(decode('__proto__=x&config=a', 'application/x-www-form-urlencoded'))).body, { fields: { error: /the parameter '__proto__' is not allowed/ } })
  const query = JSON.parse('{"__proto__": "x"}') as Record<string, string>
  t.match((await refusal(decode('', 'application/json', query))).body, { code: 14 }, 'nor as a query argument')
  const deep = `{"_format_version":"3.0","x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`
  t.match((await refusal(decode(deep, 'application/json'))).body, { code: 14, fields: { error: 'failed parsing declarative configuration: nesting is deeper than 64 levels' } })
})
