// The proxy's error responses, after Kong's t/01-pdk/08-response/13-error.t (kong.response.error),
// spec/02-integration/05-proxy/13-error_handlers_spec.lua (error pages),
// spec/01-unit/05-utils_spec.lua get_mime_type, and kong/tools/http.lua get_response_type.
import t from 'tap'
import { errorPage, grpcStatus, grpcStatusName, kongError, responseFormat, type ErrorRequest } from '../../src/proxy/error-response.js'

const RID = '4f1c2a3b4c5d6e7f8091a2b3c4d5e6f7'

// The four templates written out here, not taken from the code under test.
const BODY = {
  json: (m: string): string => `{\n  "message":"${m}",\n  "request_id":"${RID}"\n}`,
  html: (m: string): string =>
    '<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Error</title>\n  </head>\n  <body>\n    <h1>Error</h1>\n' +
    `    <p>${m}.</p>\n    <p>request_id: ${RID}</p>\n  </body>\n</html>\n`,
  xml: (m: string): string => `<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>${m}</message>\n  <requestid>${RID}</requestid>\n</error>\n`,
  plain: (m: string): string => `${m}\nrequest_id: ${RID}\n`,
}
const TYPE = {
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  plain: 'text/plain; charset=utf-8',
}
type Format = keyof typeof BODY

const req = (headers: [string, string][] = [], over: Partial<ErrorRequest> = {}): ErrorRequest => ({ method: 'GET', rawHeaders: headers.flat(), httpVersionMajor: 1, ...over })

t.test('get_response_type: Accept to format', async (t) => {
  const rows: [string | undefined, string, string][] = [
    [undefined, 'json', 'no Accept: JSON'],
    ['', 'json', 'empty Accept'],
    ['application/json', 'json', ''],
    ['text/html', 'html', ''],
    ['application/xml', 'xml', ''],
    ['text/plain', 'plain', ''],
    ['text/*', 'plain', 'text/* (13-error.t TEST 10)'],
    ['application/*', 'json', ''],
    ['*/*', 'json', ''],
    ['audio/*', 'json', 'another type with *'],
    ['text/css', 'json', 'an unknown type'],
    ['json', 'json', 'not a media range (13-error.t TEST 3, #7746)'],
    ['Text/HTML', 'json', "a known type in another case (Kong's table is case-sensitive)"],
    ['x/y', 'json', 'one-letter tokens do not parse'],
    ['text/html;q=0', 'json', 'quality 0 never wins'],
    ['text/plain;q=0.5, text/html;q=0.5', 'plain', 'an equal quality later does not replace'],
    ['text/html;q=0.5, text/plain', 'plain', 'no q is 1'],
    ['text/plain;q=0.3, text/html;q=0.7, text/html;level=1, text/html;level=2;q=0.4, */*;q=0.5', 'html', 'priorities (13-error.t TEST 5)'],
    ['text/plain;q=0.2, text/*;q=0.1,text/css;q=0.7, text/html;q=0.9, */*;q=0.5,application/xml;q=0.2, application/json;q=0.3', 'html', 'three Accept lines joined (13-error.t TEST 15)'],
    ['text/html;q=0.9;level=1, application/xml;q=0.8', 'html', 'a parameter after q keeps q, as PCRE keeps the capture'],
    ['text/html;q=0.9, application/xml;q=2', 'xml', 'q=2 is no quality, so that entry counts as 1'],
    ['application/xml;q=1.5, text/html;q=0.9', 'xml', 'q=1.5 reads as 1.'],
    ['text/html ; q=0.1, application/xml;q=0.2', 'xml', 'spaces around ;'],
    ['text/html;q = 0.1, application/xml;q=0.2', 'html', 'spaces around = hide q, so the entry counts as 1'],
    ['  text/plain  ', 'plain', 'entries are stripped'],
    ['text/plain\u00a0;q=0.1, application/xml;q=0.2', 'plain', 'a no-break space is not whitespace to PCRE'],
    ['application/grpc', 'empty', 'application/grpc maps to an empty type'],
    ['text/html;q=0.1, application/grpc', 'empty', ''],
  ]
  for (const [accept, format, desc] of rows) t.equal(responseFormat(accept), format, `${String(accept)}${desc === '' ? '' : `: ${desc}`}`)
})

t.test('kong.response.error, by Accept only', async (t) => {
  const rows: { desc: string; status: number; message?: string; headers: [string, string][]; format: Format; text: string }[] = [
    { desc: 'TEST 1: Accept application/json', status: 502, headers: [['Accept', 'application/json']], format: 'json', text: 'An invalid response was received from the upstream server' },
    { desc: 'TEST 2: JSON by default', status: 400, headers: [], format: 'json', text: 'Bad request' },
    { desc: 'TEST 2: the request Content-Type does not count', status: 400, headers: [['Content-Type', 'text/html']], format: 'json', text: 'Bad request' },
    { desc: 'TEST 3: an unknown type', status: 400, headers: [['Accept', 'json']], format: 'json', text: 'Bad request' },
    { desc: 'TEST 5: priorities', status: 502, headers: [['Accept', 'text/plain;q=0.3, text/html;q=0.7, text/html;level=1, text/html;level=2;q=0.4, */*;q=0.5']], format: 'html', text: 'An invalid response was received from the upstream server' },
    { desc: 'TEST 7: a custom message', status: 419, message: "I'm not a teapot", headers: [['Accept', 'application/json']], format: 'json', text: "I'm not a teapot" },
    { desc: 'TEST 8: a message over the default', status: 500, message: 'oh no', headers: [['Accept', 'application/json']], format: 'json', text: 'oh no' },
    { desc: 'TEST 9: a table message, JSON-encoded by the caller', status: 502, message: JSON.stringify({ 'a field': 'not a default message' }), headers: [['Accept', 'application/xml']], format: 'xml', text: '{"a field":"not a default message"}' },
    { desc: 'TEST 10: text/*', status: 410, headers: [['Accept', 'text/*']], format: 'plain', text: 'Gone' },
    {
      desc: 'TEST 15: every Accept line counts',
      status: 502,
      headers: [['Accept', 'text/plain;q=0.2, text/*;q=0.1'], ['Accept', 'text/css;q=0.7, text/html;q=0.9, */*;q=0.5'], ['Accept', 'application/xml;q=0.2, application/json;q=0.3']],
      format: 'html',
      text: 'An invalid response was received from the upstream server',
    },
    { desc: 'no Route matched', status: 404, message: 'no Route matched with those values', headers: [], format: 'json', text: 'no Route matched with those values' },
    { desc: 'a default message outside the error pages', status: 401, headers: [['Accept', 'text/plain']], format: 'plain', text: 'Unauthorized' },
    { desc: 'a status with no default message', status: 599, headers: [], format: 'json', text: 'The upstream server responded with 599' },
    { desc: 'the message is not escaped', status: 400, message: 'say "hi" <b>', headers: [['Accept', 'text/html']], format: 'html', text: 'say "hi" <b>' },
  ]
  for (const row of rows) {
    const res = kongError(row.status, row.message, req(row.headers), RID)
    const body = BODY[row.format](row.text)
    t.same(res, { status: row.status, headers: { 'content-type': TYPE[row.format], 'content-length': String(Buffer.byteLength(body)) }, body }, row.desc)
  }
})

t.test('kong.response.error for gRPC requests (TESTS 11 to 14)', async (t) => {
  const grpc = (status: number): unknown => kongError(status, 'ignored', req([['Content-Type', 'application/grpc+proto']], { httpVersionMajor: 2 }), RID)
  const rows: [number, number, string][] = [
    [400, 3, 'InvalidArgument'],
    [401, 16, 'Unauthenticated'],
    [403, 7, 'PermissionDenied'],
    [429, 8, 'ResourceExhausted'],
    [404, 5, 'NotFound'],
    [499, 1, 'Canceled'],
    [503, 14, 'Unavailable'],
    [418, 3, 'InvalidArgument'],
    [599, 13, 'Internal'],
  ]
  for (const [status, code, name] of rows) {
    t.same(grpc(status), { status, headers: { 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': name, 'content-length': '0' }, body: '' }, `${status} → ${code} ${name}`)
  }
  const overHttp1 = kongError(400, undefined, req([['Content-Type', 'application/grpc']]), RID)
  t.equal(overHttp1.headers['content-type'], TYPE.json, 'not HTTP/2: not gRPC')
  t.same([grpcStatus(200), grpcStatus(302), grpcStatusName(2), grpcStatusName(99)], [0, 2, 'Unknown', 'Unknown'])
})

t.test('kong.response.error: HEAD and bad statuses', async (t) => {
  const head = kongError(404, 'no Route matched with those values', req([], { method: 'HEAD' }), RID)
  t.equal(head.body, '', 'no body')
  t.equal(head.headers['content-length'], String(BODY.json('no Route matched with those values').length), 'the length of the body not sent')
  t.throws(() => kongError(399, undefined, req(), RID), RangeError)
  t.throws(() => kongError(600, undefined, req(), RID), RangeError)
  const empty = kongError(500, undefined, req([['Accept', 'application/grpc']]), RID)
  t.same(empty, { status: 500, headers: { 'content-length': '0' }, body: '' }, 'Accept: application/grpc gives an empty body and no Content-Type')
})

t.test('error pages: every status with its exact body, in every format', async (t) => {
  const pages: [number, number, string][] = [
    [400, 400, 'Bad request'],
    [404, 404, 'Not found'],
    [405, 405, 'Method not allowed'],
    [408, 408, 'Request timeout'],
    [411, 411, 'Length required'],
    [412, 412, 'Precondition failed'],
    [413, 413, 'Payload too large'],
    [414, 414, 'URI too long'],
    [417, 417, 'Expectation failed'],
    [494, 400, 'Request header or cookie too large'],
    [500, 500, 'An unexpected error occurred'],
    [502, 502, 'An invalid response was received from the upstream server'],
    [503, 503, 'The upstream server is currently unavailable'],
    [504, 504, 'The upstream server is timing out'],
    [426, 426, 'The upstream server responded with 426'],
    [429, 429, 'The upstream server responded with 429'],
  ]
  const accepts: [Format, string][] = [['json', 'application/json'], ['html', 'text/html'], ['xml', 'application/xml'], ['plain', 'text/plain']]
  for (const [status, sent, text] of pages) {
    for (const [format, accept] of accepts) {
      const body = BODY[format](text)
      t.same(errorPage(status, req([['Accept', accept]]), RID), { status: sent, headers: { 'content-type': TYPE[format], 'content-length': String(body.length) }, body }, `${status} as ${format}`)
    }
  }
})

t.test('error pages: Accept, else the request Content-Type, else error_default_type', async (t) => {
  const rows: { desc: string; headers: [string, string][]; defaultType?: string; format: Format }[] = [
    { desc: 'nothing: error_default_type text/plain', headers: [], format: 'plain' },
    { desc: 'error_default_type text/html', headers: [], defaultType: 'text/html', format: 'html' },
    { desc: 'the request Content-Type', headers: [['Content-Type', 'application/json']], format: 'json' },
    { desc: 'a form body: an unknown type, JSON', headers: [['Content-Type', 'application/x-www-form-urlencoded']], format: 'json' },
    { desc: 'a Content-Type with parameters', headers: [['Content-Type', 'text/plain; charset=utf-8']], format: 'plain' },
    { desc: 'Accept over Content-Type', headers: [['Content-Type', 'application/json'], ['Accept', 'text/html']], format: 'html' },
    { desc: 'only the first Accept line', headers: [['Accept', 'text/html;q=0.1'], ['Accept', 'application/xml']], format: 'html' },
    { desc: 'an empty Accept is there: JSON', headers: [['Accept', '']], format: 'json' },
  ]
  for (const row of rows) {
    const res = errorPage(405, req(row.headers), RID, row.defaultType)
    t.equal(res.headers['content-type'], TYPE[row.format], row.desc)
    t.equal(res.body, BODY[row.format]('Method not allowed'), row.desc)
  }
})

t.test("error pages: Kong's own cases (13-error_handlers_spec)", async (t) => {
  const tooLarge = errorPage(494, req([['X-Large', 'a'.repeat(10240)]]), RID)
  t.equal(tooLarge.status, 400)
  t.match(tooLarge.body, /Request header or cookie too large/)
  const trace = errorPage(405, req([], { method: 'TRACE' }), RID)
  t.match(trace.body, /^Method not allowed\nrequest_id: [0-9a-f]+\n$/)
})

t.test('error pages for gRPC', async (t) => {
  const h2 = { httpVersionMajor: 2 }
  t.same(
    errorPage(503, req([['content-type', 'application/grpc']], h2), RID),
    { status: 503, headers: { 'grpc-status': '14', 'grpc-message': 'The upstream server is currently unavailable', 'content-length': '0' }, body: '' },
    'a gRPC request: the status, and the message as grpc-message',
  )
  t.same(
    errorPage(494, req([['accept', 'application/grpc'], ['content-type', 'application/grpc']], h2), RID),
    { status: 400, headers: { 'grpc-status': '3', 'grpc-message': 'Request header or cookie too large', 'content-length': '0' }, body: '' },
    '494 is answered as 400 with its own message',
  )
  t.same(
    errorPage(502, req([['Accept', 'application/grpc']]), RID),
    { status: 502, headers: { 'content-type': TYPE.json, 'content-length': '71' }, body: '{"message":"An invalid response was received from the upstream server"}' },
    'asked for gRPC over HTTP/1.1: the message as compact JSON',
  )
  t.equal(errorPage(502, req([['Accept', 'application/grpc']], { method: 'HEAD' }), RID).body, '', 'HEAD')
  t.equal(errorPage(502, req([['Accept', 'text/html, application/grpc']]), RID).headers['content-type'], TYPE.html, 'gRPC counts only first in the value')
  t.same(errorPage(502, req([['Accept', 'text/html;q=0.1, application/grpc']]), RID), { status: 502, headers: { 'content-length': '0' }, body: '' }, 'negotiated to gRPC: empty')
})

t.test('error pages: HEAD has no body but its length', async (t) => {
  const res = errorPage(504, req([], { method: 'HEAD' }), RID)
  t.equal(res.body, '')
  t.equal(res.headers['content-length'], String(BODY.plain('The upstream server is timing out').length))
})
