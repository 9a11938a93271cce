import { connect } from 'node:net'
import t from 'tap'
import { compareEndpoints } from '../../src/admin/endpoints-route.js'
import { http, startNode, type RunningNode } from '../helpers/node.js'

const CONFIG = `_format_version: "3.0"
services:
- name: svc-a
  host: a.example
  routes:
  - name: route-a
    paths: [/a]
`

let node: RunningNode
t.before(async () => {
  node = await startNode({ config: CONFIG, workers: 1 })
})
t.teardown(() => node.stop())

/** Writes `text` on a fresh connection, half-closes it, and resolves with everything the server sent before closing. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text))
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', reject)
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
  })
}

/** Status, lower-cased headers and body of a raw response. */
function parse(response: string): { status: number; headers: Record<string, string>; body: string } {
  const [head = '', body = ''] = response.split('\r\n\r\n')
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const i = line.indexOf(':')
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim()
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body }
}

t.test('GET /endpoints lists the served paths in Kong notation and order', async (t) => {
  const res = await http(`${node.admin}/endpoints`)
  t.equal(res.status, 200)
  const data = res.body.data as string[]
  t.same(Object.keys(res.body), ['data'])
  t.same([...data].sort(compareEndpoints), data, 'sorted segment by segment')
  t.equal(new Set(data).size, data.length, 'no duplicates')
  for (const path of [
    '/',
    '/endpoints',
    '/config',
    '/status',
    '/services',
    '/services/{services}',
    '/services/{services}/routes',
    '/services/{services}/routes/{routes}',
    '/routes/{routes}/service',
    '/snis/{snis}/certificate',
    '/key-auths/{keyauth_credentials}/consumer',
    '/consumers/{consumers}/key-auth/{keyauth_credentials}',
    '/key-auths/{keyauth_credentials}',
    '/upstreams/{upstreams}/targets/{targets}',
    '/certificates/{certificates}/snis',
  ]) {
    t.ok(data.includes(path), `lists ${path}`)
  }
  t.notOk(data.some((p) => p.includes(':')), 'no router-style parameters')
  // Segment order: a path's children come before a sibling that extends its last segment.
  t.ok(data.indexOf('/services/{services}/routes/{routes}') < data.indexOf('/snis'))
  t.ok(data.indexOf('/routes/{routes}/service') < data.indexOf('/services'))
  // Every listed path is one the app answers (OPTIONS is 204 on served paths, 404 elsewhere).
  for (const path of data) {
    const concrete = path.replace(/\{\w+\}/g, (m) => (m === '{services}' ? 'svc-a' : m === '{routes}' ? 'route-a' : 'x'))
    t.equal((await http(`${node.admin}${concrete}`, { method: 'OPTIONS' })).status, 204, `OPTIONS ${concrete}`)
  }
})

t.test('compareEndpoints sorts segment by segment', async (t) => {
  t.same(['/ab/a', '/a/z', '/ab', '/a'].sort(compareEndpoints), ['/a', '/a/z', '/ab', '/ab/a'])
  t.equal(compareEndpoints('/a', '/a'), 0)
})

/** Kong's 415 carries no JSON body (nginx's own page); ours is Koa's reason phrase. */
const NO_JSON = 'Unsupported Media Type'

t.test('an unsupported Content-Type is 415 before anything else', async (t) => {
  const cases: [string, string, string | undefined, string, number, unknown][] = [
    ['POST', '/services', 'text/plain', 'x', 415, NO_JSON],
    ['PUT', '/services/svc-a', 'text/plain', 'x', 415, NO_JSON],
    ['PATCH', '/routes/route-a', 'text/plain', 'x', 415, NO_JSON],
    ['PATCH', '/services/svc-a/routes/route-a', 'application/xml', '<x/>', 415, NO_JSON],
    ['POST', '/services', undefined, 'x', 415, NO_JSON],
    ['POST', '/services/', 'text/plain', 'x', 415, NO_JSON],
    ['POST', '/', 'text/plain', 'x', 415, NO_JSON],
    ['POST', '/services', 'application/json', '{}', 405, { code: 12, name: 'operation unsupported', message: "cannot create 'services' entities when not using a database" }],
    ['POST', '/services', 'application/x-www-form-urlencoded', 'name=x', 405, { code: 12, name: 'operation unsupported', message: "cannot create 'services' entities when not using a database" }],
    ['POST', '/', 'application/json', '{}', 405, { message: 'Method not allowed' }],
    ['POST', '/nope', 'text/plain', 'x', 404, { message: 'Not found' }],
    ['DELETE', '/services/nope', 'text/plain', 'x', 204, undefined],
  ]
  for (const [method, path, type, body, status, expected] of cases) {
    const headers: Record<string, string> = type ? { 'Content-Type': type } : {}
    const res = await http(`${node.admin}${path}`, { method, headers, body: type === undefined ? new Blob([body]).stream() : body, ...(type === undefined ? { duplex: 'half' } : {}) })
    t.equal(res.status, status, `${method} ${path} ${type ?? '(no type)'}`)
    t.same(res.body, expected, `${method} ${path} body`)
  }
  // /config keeps its own gate, which takes YAML.
  const yaml = await http(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'text/yaml' }, body: CONFIG })
  t.not(yaml.status, 415, 'POST /config takes text/yaml')
  t.equal((await http(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' })).status, 415)
})

t.test('an unknown method is 405 with JSON on the admin and status listeners', async (t) => {
  const cases: [string, number, string | undefined][] = [
    ['GEEEET / HTTP/1.1\r\nHost: x\r\n\r\n', 405, '{"message":"Method not allowed"}'],
    ['GEEEET /services?size=1 HTTP/1.0\r\n\r\n', 405, '{"message":"Method not allowed"}'],
    ['FOO_BAR-BAZ /nope HTTP/1.1\r\nHost: x\r\n\r\n', 405, '{"message":"Method not allowed"}'],
    ['GEEEET  / HTTP/1.1\r\nHost: x\r\n\r\n', 400, ''],
    ['geeeet / HTTP/1.1\r\nHost: x\r\n\r\n', 400, ''],
    ['GEEEET / HTTP/2.0\r\nHost: x\r\n\r\n', 400, ''],
    ['GEEEET /\r\n\r\n', 400, ''],
    ['GEEEET / HTTP/1.1', 400, ''],
    ['GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', 400, ''],
  ]
  for (const [listener, port] of [['admin', node.ports.admin], ['status', node.ports.status]] as const) {
    for (const [request, status, body] of cases) {
      // Half-closed after writing: a request without its line end is refused once the peer stops sending.
      const res = parse(await raw(port, request))
      t.equal(res.status, status, `${listener}: ${JSON.stringify(request)}`)
      t.equal(res.body, body, `${listener}: body`)
      t.equal(res.headers.connection, 'close')
      if (status === 405) {
        t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
        t.equal(res.headers['content-length'], String(body?.length))
        t.match(res.headers.server, /^kong-dbless\//)
        t.equal(res.headers['access-control-allow-origin'], '*')
        t.equal(res.headers['access-control-allow-credentials'], listener === 'admin' ? 'true' : undefined)
        t.ok(res.headers.date, 'Date header')
      }
    }
    t.equal((await http(`http://127.0.0.1:${port}/status`)).status, 200, `${listener} still answers`)
  }
})
