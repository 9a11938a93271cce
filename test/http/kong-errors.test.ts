import t from 'tap'
import { ConfigParseError } from '../../src/declarative/errors.js'
import { ERROR_CODES, ERROR_PAGE_MESSAGES, KONG_BODIES, PROXY_MESSAGES, errorPageMessage, kongError, loadErrorBody, proxyErrorJson } from '../../src/http/kong-errors.js'
import { loadError } from '../helpers/load.js'

t.test("the catalogue holds Kong's codes 1 to 21, each once, with Kong's names", async (t) => {
  const entries = Object.entries(ERROR_CODES)
  t.same(
    entries.map(([, e]) => e.code),
    Array.from({ length: 21 }, (_, i) => i + 1),
    'codes are 1..21 in order, none missing or repeated',
  )
  t.equal(new Set(entries.map(([, e]) => e.name)).size, entries.length, 'every name is unique')
  for (const [key] of entries) t.match(key, /^[A-Z_]+$/, `${key} is a constant name`)
  t.equal(ERROR_CODES.SCHEMA_VIOLATION.name, 'schema violation')
  t.equal(ERROR_CODES.DECLARATIVE_CONFIG.name, 'invalid declarative configuration')
  t.equal(ERROR_CODES.OPERATION_UNSUPPORTED.code, 12)
  t.equal(ERROR_CODES.UNIQUE_VIOLATION.name, 'unique constraint violation')
})

t.test('DAO error bodies are {code, name, message} and carry fields only when given', async (t) => {
  t.same(kongError('NOT_FOUND', 'gone'), { code: 6, name: 'not found', message: 'gone' })
  t.same(kongError('INVALID_SIZE', 'bad', { size: 'x' }), { code: 9, name: 'invalid size', message: 'bad', fields: { size: 'x' } })
})

t.test("fixed bodies and the proxy's messages are Kong's words", async (t) => {
  t.same(KONG_BODIES.notFound, { message: 'Not found' })
  t.same(KONG_BODIES.loadBusy, { message: 'Currently loading previous configuration' })
  t.equal(PROXY_MESSAGES.noRoute, 'no Route matched with those values')
  t.equal(PROXY_MESSAGES.noService, 'no Service found with those values')
  t.equal(PROXY_MESSAGES.useHttps, 'Please use HTTPS protocol')
  t.same(
    [400, 404, 426, 502, 503, 504].map(errorPageMessage),
    [
      'Bad request',
      'Not found',
      'The upstream server responded with 426',
      'An invalid response was received from the upstream server',
      'The upstream server is currently unavailable',
      'The upstream server is timing out',
    ],
    'error pages by status, with the fallback for a status Kong has no page for',
  )
  t.equal(Object.keys(ERROR_PAGE_MESSAGES).length, 14, "Kong's fourteen error pages")
  t.equal(proxyErrorJson('oops', 'abc'), '{\n  "message":"oops",\n  "request_id":"abc"\n}', "Kong's JSON template, no trailing newline")
})

t.test('one function maps any load error to the 400 body', async (t) => {
  const parse = loadErrorBody(new ConfigParseError('expected an object', 'POST /config', 3, 7), false)
  t.same(parse, {
    code: 14,
    name: 'invalid declarative configuration',
    message: 'declarative config is invalid: {error="failed parsing declarative configuration: expected an object"}',
    fields: { error: 'failed parsing declarative configuration: expected an object' },
    details: [{ source: 'POST /config', line: 3, column: 7, path: '(document)', message: 'failed parsing declarative configuration: expected an object' }],
  })
  const err = await loadError('_format_version: "3.0"\nservices:\n- name: s\n')
  t.match(loadErrorBody(err, false), { code: 14, fields: { services: [{ host: 'required field missing' }] }, details: [{ line: 3, path: 'services[0].host' }] })
  t.match(loadErrorBody(err, true), { code: 14, flattened_errors: [{ entity_type: 'service', errors: [{ field: 'host' }] }] })
})
