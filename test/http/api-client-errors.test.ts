import t from 'tap'
import { apiClientErrorResponse, apiClientErrorStatus, wellFormedRequestLine } from '../../src/http/api-client-errors.js'

t.test("the status for each of Node's parse failures", async (t) => {
  const line = Buffer.from('GEEEET / HTTP/1.1\r\n')
  const cases: [string | undefined, Buffer | undefined, number | undefined][] = [
    ['HPE_INVALID_METHOD', line, 405],
    ['HPE_INVALID_METHOD', Buffer.from('GEEEET / HTTP/1.1'), 400],
    ['HPE_INVALID_METHOD', undefined, 400],
    ['HPE_HEADER_OVERFLOW', line, 431],
    ['HPE_CHUNK_EXTENSIONS_OVERFLOW', line, 413],
    ['ERR_HTTP_REQUEST_TIMEOUT', undefined, 408],
    ['HPE_HEADERS_TIMEOUT', undefined, 408],
    ['ECONNRESET', undefined, undefined],
    ['EPIPE', undefined, undefined],
    ['HPE_INVALID_HEADER_TOKEN', line, 400],
    [undefined, undefined, 400],
  ]
  for (const [code, packet, status] of cases) t.equal(apiClientErrorStatus(code, packet), status, `${code ?? '(no code)'}`)
})

t.test('a well-formed request line is nginx-shaped', async (t) => {
  const cases: [string, boolean][] = [
    ['GEEEET / HTTP/1.1\r\n', true],
    ['GEEEET / HTTP/1.0\n', true],
    ['A-B_C /x?y=1 HTTP/1.1\r\n', true],
    ['GeEEET / HTTP/1.1\r\n', false],
    ['GEEEET / HTTP/1.1 \r\n', false],
    ['GEEEET\t/ HTTP/1.1\r\n', false],
    ['GEEEET / HTTP/1.1x\r\n', false],
    ['GEEEET HTTP/1.1\r\n', false],
  ]
  for (const [text, ok] of cases) t.equal(wellFormedRequestLine(Buffer.from(text)), ok, JSON.stringify(text))
})

t.test('only the 405 carries a body and the API headers', async (t) => {
  const r405 = apiClientErrorResponse(405, { admin: false, headers: [] })
  t.match(r405, /^HTTP\/1\.1 405 Method Not Allowed\r\n/)
  t.notMatch(r405, /Server:|Access-Control-Allow-Credentials/, 'no server_tokens, not admin')
  t.ok(r405.endsWith('\r\n\r\n{"message":"Method not allowed"}'))
  const r400 = apiClientErrorResponse(400, { admin: true, headers: ['server_tokens'] })
  t.match(r400, /^HTTP\/1\.1 400 Bad Request\r\nDate: .*\r\nConnection: close\r\n\r\n$/)
})
