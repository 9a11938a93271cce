// One forwarding try over real sockets: a front server forwards to real upstreams through the
// pools; what arrives, what a failure means (502/504, retryable or not), and pool keys.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable, Writable } from 'node:stream'
import t from 'tap'
import { classifyFailure, forwardTryAsync as forwardTry, type TryOutcome } from '../../src/proxy/forward.js'
import { poolKey, UpstreamPools, type UpstreamAddress } from '../../src/proxy/upstream-pools.js'
import { closedPort, echoUpstream, garbageUpstream, resetUpstream, silentUpstream, truncatingUpstream, type Echoed } from '../helpers/upstreams.js'

const pools = new UpstreamPools({ poolSize: 16, maxRequests: 0, idleTimeoutMs: 60_000 })
t.teardown(() => pools.close())

const address = (port: number, connectTimeoutMs = 2000): UpstreamAddress => ({ scheme: 'http', ip: '127.0.0.1', port, connectTimeoutMs })

/** A front server that forwards every request to `port` once and reports the outcome. */
async function front(port: number, readTimeoutMs = 2000): Promise<{ url: string; outcomes: TryOutcome[]; server: Server }> {
  const outcomes: TryOutcome[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = chunks.length > 0 ? Buffer.concat(chunks) : null
      const headers: string[] = ['host', `127.0.0.1:${port}`]
      if (body) headers.push('content-length', String(body.length))
      void forwardTry(pools.get(address(port)), { method: req.method ?? 'GET', path: req.url ?? '/', headers, body, readTimeoutMs }, (status, upstreamHeaders) => {
        for (const [name, value] of Object.entries(upstreamHeaders)) if (value !== undefined) res.setHeader(name, value)
        res.statusCode = status
        return res
      }).then((outcome) => {
        outcomes.push(outcome)
        if (outcome.kind === 'failed') {
          res.statusCode = outcome.failure.status
          res.end(outcome.failure.reason)
        }
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, outcomes, server }
}

function send(url: string, method = 'GET', body?: string): Promise<{ status: number; body: string; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, res }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

t.test('a request and its body reach the upstream; the answer comes back', async (t) => {
  const up = await echoUpstream()
  t.teardown(() => up.close())
  const { url, outcomes } = await front(up.port)
  const res = await send(`${url}/a/b?x=1&y`, 'POST', 'hello')
  t.equal(res.status, 200)
  const echoed = JSON.parse(res.body) as Echoed
  t.equal(echoed.method, 'POST')
  t.equal(echoed.url, '/a/b?x=1&y')
  t.equal(echoed.body, 'hello')
  t.same(outcomes, [{ kind: 'responded' }])
  const second = await send(`${url}/again`)
  t.equal(second.status, 200)
  t.equal(up.connections(), 1, 'the second request reused the kept-alive connection')
})

t.test('an upstream status is passed through, never a failure', async (t) => {
  const up = await echoUpstream()
  t.teardown(() => up.close())
  let status = 0
  let bytes = 0
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      bytes += chunk.length
      done()
    },
  })
  const outcome = await forwardTry(pools.get(address(up.port)), { method: 'GET', path: '/', headers: ['x-respond-status', '503'], body: null, readTimeoutMs: 1000 }, (s) => {
    status = s
    return sink
  })
  t.equal(status, 503)
  t.ok(bytes > 0, 'its body was streamed')
  t.same(outcome, { kind: 'responded' })
})

t.test('refused: 502, retryable whatever the method', async (t) => {
  const port = await closedPort()
  const { url, outcomes } = await front(port)
  const res = await send(`${url}/`, 'POST', 'x')
  t.equal(res.status, 502)
  const [outcome] = outcomes
  t.equal(outcome?.kind, 'failed')
  if (outcome?.kind === 'failed') {
    t.equal(outcome.failure.retryable, true)
    t.match(outcome.failure.reason, /ECONNREFUSED/)
  }
})

t.test('reset after the request was sent: 502, retryable only when idempotent', async (t) => {
  const up = await resetUpstream()
  t.teardown(() => up.close())
  const { url, outcomes } = await front(up.port)
  t.equal((await send(`${url}/`, 'GET')).status, 502)
  t.equal((await send(`${url}/`, 'POST', 'x')).status, 502)
  const [get, post] = outcomes
  t.ok(get?.kind === 'failed' && get.failure.retryable, 'GET may be tried again')
  t.ok(post?.kind === 'failed' && !post.failure.retryable, 'POST may not')
})

t.test('no response head within read_timeout: 504', async (t) => {
  const up = await silentUpstream()
  t.teardown(() => up.close())
  const { url, outcomes } = await front(up.port, 200)
  const res = await send(`${url}/`)
  t.equal(res.status, 504)
  const [outcome] = outcomes
  t.ok(outcome?.kind === 'failed' && outcome.failure.status === 504 && outcome.failure.retryable)
})

t.test('garbage instead of HTTP: 502, not retried', async (t) => {
  const up = await garbageUpstream()
  t.teardown(() => up.close())
  const { url, outcomes } = await front(up.port)
  const res = await send(`${url}/`)
  t.equal(res.status, 502)
  const [outcome] = outcomes
  t.ok(outcome?.kind === 'failed' && !outcome.failure.retryable)
})

t.test('a body cut short after the head: the client stream is aborted, the outcome says why', async (t) => {
  const up = await truncatingUpstream()
  t.teardown(() => up.close())
  const { url, outcomes } = await front(up.port)
  await t.rejects(send(`${url}/`), 'the client sees the response cut short')
  await new Promise<void>((resolve) => {
    const wait = (): void => void (outcomes.length > 0 ? resolve() : setImmediate(wait))
    wait()
  })
  const [outcome] = outcomes
  t.equal(outcome?.kind, 'responded')
  t.ok(outcome?.kind === 'responded' && outcome.error !== undefined)
})

t.test('failures are classified from where they happened', async (t) => {
  const err = (code: string): Error & { code: string } => Object.assign(new Error(code), { code })
  const stream = Readable.from(['x'])
  t.same(classifyFailure(err('ECONNREFUSED'), 'POST', null), { status: 502, retryable: true, reason: 'ECONNREFUSED: ECONNREFUSED' })
  t.equal(classifyFailure(err('UND_ERR_CONNECT_TIMEOUT'), 'POST', null).status, 504)
  t.equal(classifyFailure(err('UND_ERR_CONNECT_TIMEOUT'), 'POST', null).retryable, true)
  t.equal(classifyFailure(err('UND_ERR_HEADERS_TIMEOUT'), 'GET', null).retryable, true)
  t.equal(classifyFailure(err('UND_ERR_HEADERS_TIMEOUT'), 'PATCH', null).retryable, false)
  t.equal(classifyFailure(err('ECONNREFUSED'), 'GET', stream).retryable, false, 'a streamed body cannot be sent twice')
  t.equal(classifyFailure(new Error('odd'), 'GET', null).status, 502)
})

t.test('pool keys: http by address; https by every TLS parameter', async (t) => {
  const http = address(80)
  t.equal(poolKey(http), '127.0.0.1|80|2000')
  const tls = { servername: 'a.test', verify: true, verifyDepth: 2, ca: 'PEM', caIds: 'c1,c2', clientCert: { id: 'k1', cert: 'C', key: 'K' } }
  const https: UpstreamAddress = { scheme: 'https', ip: '127.0.0.1', port: 443, connectTimeoutMs: 2000, tls }
  t.equal(poolKey(https), '127.0.0.1|443|2000|a.test|1|2|c1,c2|k1')
  t.not(poolKey(https), poolKey({ ...https, tls: { ...tls, verify: false } }))
  t.not(poolKey(https), poolKey({ ...https, tls: { ...tls, servername: 'b.test' } }))
})

t.test('retain closes the pools a new config no longer uses', async (t) => {
  const own = new UpstreamPools({ poolSize: 4, maxRequests: 0, idleTimeoutMs: 1000 })
  const a = own.get(address(1001))
  own.get(address(1002))
  t.equal(own.size, 2)
  await own.retain((key) => key === poolKey(address(1001)))
  t.equal(own.size, 1)
  t.equal(own.get(address(1001)), a, 'the kept pool is the same pool')
  await own.close()
  t.equal(own.size, 0)
})

t.test('a sweep closes the pools no request used since the previous sweep', async (t) => {
  const own = new UpstreamPools({ poolSize: 4, maxRequests: 0, idleTimeoutMs: 1000 })
  const busy = own.get(address(2001))
  own.get(address(2002))
  await own.sweep()
  t.equal(own.size, 2, 'both were used in the period that ended')
  own.get(address(2001))
  await own.sweep()
  t.equal(own.size, 1, 'the one not used since is closed')
  t.equal(own.get(address(2001)), busy, 'the one in use stays the same pool')
  await own.close()
})
