// Reloads under a real load generator: autocannon keeps keep-alive connections busy on a route
// of a two-worker node while the config is replaced by `kong-dbless reload`, by SIGHUP and by
// POST /config. Every config still routes the path, so every request must answer 2xx, and every
// worker must report the new hash within SWITCH_BOUND_MS. Then `kong-dbless quit` while slow
// requests are in flight: they finish with 200, new connections are refused, the node exits 0.
import autocannon from 'autocannon'
import { writeFileSync } from 'node:fs'
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { runBin } from '../helpers/cli.js'
import { kongYml } from '../helpers/e2e.js'
import { load } from '../helpers/load.js'
import { eventually, http, startNode } from '../helpers/node.js'
import { echoUpstream } from '../helpers/upstreams.js'

/** How long after the node is asked for a reload every worker must serve the new config (README, "Running a node"). */
const SWITCH_BOUND_MS = 5000

/** An upstream that holds every request until `release()`, then answers each 200. */
async function heldUpstream(): Promise<{ port: number; held: () => number; arrived: (n: number) => Promise<void>; release: () => void; close: () => Promise<void> }> {
  const waiting: ServerResponse[] = []
  const wanted: { n: number; resolve: () => void }[] = []
  let released = false
  const answer = (res: ServerResponse): void => {
    res.writeHead(200, { 'Content-Type': 'text/plain' })
    res.end('released')
  }
  const server = createServer((req: IncomingMessage, res) => {
    req.resume()
    if (released) return answer(res)
    waiting.push(res)
    for (const w of wanted.filter((x) => waiting.length >= x.n)) w.resolve()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    held: () => waiting.length,
    arrived: (n) => (waiting.length >= n ? Promise.resolve() : new Promise((resolve) => wanted.push({ n, resolve }))),
    release: () => {
      released = true
      for (const res of waiting.splice(0)) answer(res)
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

const [upstream, slow] = await Promise.all([echoUpstream('load'), heldUpstream()])
t.teardown(() => Promise.all([upstream.close(), slow.close()]))

/**
 * A config routing /load to the echo upstream and /slow to the held one; `generation` (a tag,
 * and a service and route coming and going) makes each hash, and the router, differ.
 */
const configFor = (generation: number): string =>
  kongYml({
    services: [
      { name: 'svc', host: '127.0.0.1', port: upstream.port, tags: [`generation-${generation}`], routes: [{ name: 'load', paths: ['/load'] }] },
      { name: 'slow', host: '127.0.0.1', port: slow.port, read_timeout: 20_000, routes: [{ name: 'slow', paths: ['/slow'] }] },
      ...(generation % 2 === 1 ? [{ name: `extra-${generation}`, host: '127.0.0.1', port: upstream.port, routes: [{ name: `extra-${generation}`, paths: [`/extra-${generation}`] }] }] : []),
    ],
  })

let generation = 0
const node = await startNode({ config: configFor(generation), workers: 2, env: { KONG_PROXY_ACCESS_LOG: 'off' } })
t.teardown(() => node.stop())
const exited = new Promise<number | null>((resolve) => node.child.once('exit', resolve))
// The CLI runs as an operator runs it: without the test runner's instrumentation hooks.
const cliEnv: NodeJS.ProcessEnv = { ...process.env, KONG_PREFIX: node.prefix }
delete cliEnv.NODE_OPTIONS

interface Workers {
  readonly hash: string
  readonly processes: readonly { pid: number; configuration_hash: string | null }[]
}

async function workers(): Promise<Workers> {
  const { body } = await http(`${node.status}/status/config`)
  return { hash: body.configuration_hash as string, processes: body.workers.processes as Workers['processes'] }
}

/** How long it took (from `since`) until the node and both its workers run `hash`; -1 past the bound. */
async function switched(hash: string, since: number): Promise<number> {
  let at = -1
  await eventually(async () => {
    const w = await workers()
    const done = w.hash === hash && w.processes.length === 2 && w.processes.every((p) => p.configuration_hash === hash)
    if (done) at = performance.now() - since
    return done
  }, SWITCH_BOUND_MS + 1000)
  return at
}

/**
 * When the node took in the latest SIGHUP (its log line), on this process's performance clock:
 * the CLI's own start-up, on a machine the load keeps busy, is not the node's switch.
 */
async function sighupReceived(count: number): Promise<number> {
  const lines = (): Record<string, unknown>[] => node.logs.filter((l) => String(l.msg).startsWith('SIGHUP: reloading'))
  await eventually(async () => lines().length >= count, 20_000)
  const at = Date.parse(String(lines().at(-1)?.time))
  return performance.now() - (Date.now() - at)
}

let sighups = 0
const ways: { name: string; swaps: number; swap: (assert: Pick<typeof t, 'equal'>, config: string) => Promise<number> }[] = [
  {
    name: 'kong-dbless reload',
    swaps: 2,
    swap: async (t, config) => {
      writeFileSync(join(node.dir, 'kong.yml'), config)
      const res = await runBin(['reload'], node.dir, cliEnv)
      t.equal(res.code, 0, `reload exited 0 ${res.stderr}`)
      return sighupReceived(++sighups)
    },
  },
  {
    name: 'SIGHUP',
    swaps: 3,
    swap: async (_t, config) => {
      writeFileSync(join(node.dir, 'kong.yml'), config)
      process.kill(node.child.pid ?? 0, 'SIGHUP')
      return sighupReceived(++sighups)
    },
  },
  {
    name: 'POST /config',
    swaps: 3,
    swap: async (t, config) => {
      const sent = performance.now()
      const res = await http(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: config })
      t.equal(res.status, 201, 'POST /config accepted')
      return sent
    },
  },
]

const slowest: number[] = []
for (const way of ways) {
  await t.test(`${way.name} under load: no failed request, every worker switches within ${SWITCH_BOUND_MS} ms`, async (t) => {
    let answered = 0
    let cannon!: autocannon.Instance
    const result = new Promise<autocannon.Result>((resolve, reject) => {
      cannon = autocannon({ url: `${node.proxy}/load`, connections: 8, duration: 20, timeout: 5, sampleInt: 100 }, (err: Error | null, r) => (err ? reject(err) : resolve(r)))
    })
    cannon.on('response', () => answered++)
    // Warm: every connection open and serving before the first swap.
    t.ok(await eventually(async () => answered >= 200, 10_000), 'the load runs')
    const times: number[] = []
    for (let i = 0; i < way.swaps; i++) {
      const config = configFor(++generation)
      const hash = (await load(config)).hash
      const before = answered
      const asked = await way.swap(t, config)
      const took = await switched(hash, asked)
      t.ok(took >= 0 && took <= SWITCH_BOUND_MS, `swap ${i + 1}: both workers run ${hash} within ${SWITCH_BOUND_MS} ms of the request`)
      times.push(took)
      t.ok(answered > before, 'requests were answered while it switched')
      // Served on the new config, before the next swap.
      const target = answered + 100
      t.ok(await eventually(async () => answered >= target, 10_000), 'requests go on after the switch')
    }
    cannon.stop()
    const r = await result
    slowest.push(Math.max(...times))
    t.comment(`${way.name}: ${r.requests.total} requests, switches in ${times.map((ms) => Math.round(ms)).join(', ')} ms`)
    t.same(
      { errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx, resets: r.resets, mismatches: r.mismatches },
      { errors: 0, timeouts: 0, non2xx: 0, resets: 0, mismatches: 0 },
      `none of ${r.requests.total} requests failed`,
    )
    t.ok(r.requests.total >= 400, `the load ran through the swaps (${r.requests.total} requests)`)
    t.equal(r['2xx'], r.requests.total, 'every answer was a 2xx')
  })
}
t.comment(`slowest switch: ${Math.round(Math.max(...slowest))} ms`)

/** Whether a new TCP connection to `port` is refused (rather than accepted). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'))
  })
}

/** What one request through the proxy got: its status, body and Connection header, or the error code. */
interface Got {
  readonly status: number | undefined
  readonly body: string
  readonly connection?: string | undefined
  readonly error?: string
  /** The request went on a kept-alive connection. */
  readonly reused?: boolean
}

function get(path: string, agent: Agent | false): Promise<Got> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port: node.ports.proxy, path, agent }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode, body, connection: res.headers.connection }))
      res.on('error', (err) => resolve({ status: res.statusCode, body, error: err.message }))
    })
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: undefined, body: '', error: err.code ?? err.message, reused: req.reusedSocket }))
    req.end()
  })
}

t.test('kong-dbless quit drains in-flight requests, refuses new connections, exits 0', async (t) => {
  // Half on keep-alive connections, half on one-shot ones.
  const keepAlive = new Agent({ keepAlive: true })
  t.teardown(() => keepAlive.destroy())
  const IN_FLIGHT = 6
  const replies = Array.from({ length: IN_FLIGHT }, (_, i) => get('/slow', i % 2 === 0 ? keepAlive : false))
  await slow.arrived(IN_FLIGHT)
  // Busy keep-alive clients: their connections are never idle for long, so only the node's
  // `Connection: close` ends them (no retries here); they stop when the listener is gone.
  const busyAgent = new Agent({ keepAlive: true, maxSockets: 2 })
  t.teardown(() => busyAgent.destroy())
  const busy: Got[] = []
  const busyClients = Array.from({ length: 2 }, async () => {
    for (;;) {
      const got = await get('/load', busyAgent)
      busy.push(got)
      if (got.error !== undefined) break
    }
  })
  await eventually(async () => busy.length >= 20, 10_000)

  const quit = runBin(['quit'], node.dir, cliEnv)
  t.ok(await eventually(async () => node.logs.some((l) => String(l.msg).startsWith('stopping: no new connections')), 20_000), 'the node began to stop')
  t.ok(await eventually(() => refused(node.ports.proxy), 5000), 'new proxy connections are refused once quit began')
  t.ok(await refused(node.ports.proxy), 'and stay refused')
  await Promise.all(busyClients)
  const failed = busy.filter((g) => g.status !== 200)
  t.comment(`busy clients: ${busy.length} requests, ended by ${failed.map((g) => g.error).join(', ')}`)
  t.equal(failed.length, 2, 'each busy client went on until its connection was closed and a new one failed')
  // A new connection either finds the listener closed, or lands in its queue in the moment the
  // last worker has stopped accepting and the socket is not yet closed: nginx's quit has it too.
  t.same(failed.filter((g) => g.reused !== false || (g.error !== 'ECONNREFUSED' && g.error !== 'ECONNRESET')), [], 'no request failed on a connection the node served')
  t.equal(slow.held(), IN_FLIGHT, 'the slow requests are still in flight')
  t.equal(node.child.exitCode, null, 'the node waits for them')

  const released = performance.now()
  slow.release()
  const got = await Promise.all(replies)
  t.same(
    got.map((g) => ({ status: g.status, body: g.body })),
    Array(IN_FLIGHT).fill({ status: 200, body: 'released' }),
    'every in-flight request completed with 200',
  )
  t.same(
    got.map((g) => g.connection),
    Array(IN_FLIGHT).fill('close'),
    'each answer closes its connection, keep-alive or not',
  )
  t.equal(await exited, 0, 'the node exited 0 once they finished')
  const done = await quit
  t.equal(done.code, 0, `quit exited 0 ${done.stderr}`)
  t.equal(done.stdout, 'Kong stopped\n')
  t.ok(performance.now() - released < 5000, 'quit returned soon after the last request finished, with no deadline waited out')
})
