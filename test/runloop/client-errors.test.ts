// Requests nginx refuses before Kong sees them, over raw sockets to a real node: over-long
// request lines and headers, unparseable requests and bodies over the limit get nginx's error
// pages, and the worker goes on serving.
import { connect } from 'node:net'
import t from 'tap'
import { clientErrorStatus } from '../../src/runloop/client-errors.js'
import { eventually, startNode } from '../helpers/node.js'
import { echoUpstream } from '../helpers/upstreams.js'

/** Sends raw bytes and resolves with everything the node sent back before closing (or after `ms` of quiet). */
function raw(port: number, bytes: string | Buffer, ms = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let got = ''
    let timer = setTimeout(() => socket.destroy(), ms)
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1')
      clearTimeout(timer)
      timer = setTimeout(() => socket.destroy(), 200)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(got)
    })
    socket.on('error', reject)
    socket.write(bytes)
  })
}

t.test('the status a parse failure gets', async (t) => {
  t.equal(clientErrorStatus('HPE_HEADER_OVERFLOW', Buffer.from(`GET /${'a'.repeat(9000)}`), 8192), 414, 'a request line over one buffer')
  t.equal(clientErrorStatus('HPE_HEADER_OVERFLOW', Buffer.from('GET / HTTP/1.1\r\nX: yyy'), 8192), 494, 'headers over the whole')
  t.equal(clientErrorStatus('HPE_INVALID_METHOD', undefined, 8192), 400)
  t.equal(clientErrorStatus('ERR_HTTP_REQUEST_TIMEOUT', undefined, 8192), 408)
  t.equal(clientErrorStatus('ECONNRESET', undefined, 8192), undefined, 'a reset gets no answer')
})

t.test('nginx refusals, then the worker serves on', async (t) => {
  const up = await echoUpstream()
  t.teardown(() => up.close())
  const node = await startNode({
    workers: 1,
    env: { KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE: '1k' },
    config: `_format_version: "3.0"\nservices:\n- url: http://127.0.0.1:${up.port}\n  routes: [{paths: [/]}]\n`,
  })
  t.teardown(() => node.stop())
  const port = node.ports.proxy

  const longLine = await raw(port, `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`)
  t.match(longLine, /^HTTP\/1\.1 414 /, 'a request line over 8k: 414')
  t.match(longLine, /\r\n\r\nURI too long\nrequest_id: [0-9a-f]{32}\n$/, 'the plain-text error page')
  const veryLong = await raw(port, `GET /${'a'.repeat(40_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)
  t.match(veryLong, /^HTTP\/1\.1 414 /, 'one over every buffer too')
  t.match(veryLong, /connection: close/i)

  const bigHeader = await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(9000)}\r\n\r\n`)
  t.match(bigHeader, /^HTTP\/1\.1 400 /, 'one header over 8k: 400')
  t.match(bigHeader, /Request header or cookie too large/)
  const manyHeaders = await raw(port, `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 6 }, (_, i) => `X-H${i}: ${'c'.repeat(7000)}\r\n`).join('')}\r\n`)
  t.match(manyHeaders, /^HTTP\/1\.1 400 /, 'headers over all the buffers: 400')
  t.match(manyHeaders, /Request header or cookie too large/)

  const garbage = await raw(port, 'THIS IS NOT HTTP\r\n\r\n')
  t.match(garbage, /^HTTP\/1\.1 400 /, 'an unparseable request: 400')
  t.match(garbage, /Bad request/)

  const declared = await raw(port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\nConnection: close\r\n\r\n${'d'.repeat(2048)}`)
  t.match(declared, /^HTTP\/1\.1 413 /, 'a Content-Length over the limit: 413')
  t.match(declared, /Payload too large|Request Entity Too Large/i)
  const chunk = 'e'.repeat(600)
  const chunked = await raw(port, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`)
  t.match(chunked, /^HTTP\/1\.1 413 /, 'a chunked body that grows over the limit: 413')

  // A client that leaves before its (buffered) body is in.
  await new Promise<void>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b', () => socket.destroy())
    })
    socket.on('close', () => resolve())
  })
  t.ok(await eventually(async () => node.logs.some((l) => l.msg === 'the client closed the connection')), 'logged as the client leaving, not as a failure')

  const fine = await raw(port, 'GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  t.match(fine, /^HTTP\/1\.1 200 /, 'the worker serves on')
})
