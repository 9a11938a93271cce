// Config swaps under load: four keep-alive clients keep asking a route while the config is
// replaced 20 times by POST /config, then by SIGHUP reloads, then while a worker is SIGKILLed.
// Both configs route the path to a live upstream (A or B), so every answer must be a 200; only
// requests on the killed worker's own connections may fail, and never with an HTTP status.
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { kongYml } from '../helpers/e2e.js'
import { eventually, startNode } from '../helpers/node.js'
import { echoUpstream } from '../helpers/upstreams.js'

const [upA, upB] = await Promise.all([echoUpstream('A'), echoUpstream('B')])
t.teardown(() => Promise.all([upA.close(), upB.close()]))

const configFor = (port: number, name: string): string =>
  kongYml({ services: [{ name: `svc-${name}`, host: '127.0.0.1', port, routes: [{ name: `route-${name}`, paths: ['/swap'] }] }] })
const CONFIG_A = configFor(upA.port, 'a')
const CONFIG_B = configFor(upB.port, 'b')

// Two workers: a killed one leaves one serving while it is replaced.
const node = await startNode({ config: CONFIG_A, workers: 2, env: { KONG_PROXY_ACCESS_LOG: 'off' } })
t.teardown(() => node.stop())
const port = node.ports.proxy

interface Outcome {
  readonly phase: string
  /** The HTTP status, or undefined when the request got no response. */
  readonly status: number | undefined
  readonly error: string | undefined
  /** Which upstream answered (A or B). */
  readonly server: string | undefined
  /** When the connection the request went on was opened (performance.now()). */
  readonly connectionOpened: number
  /** The client port of that connection (undefined if it never connected). */
  readonly localPort: number | undefined
  /** When the request ended, answered or not. */
  readonly ended: number
}

interface Connection {
  readonly opened: number
  localPort: number | undefined
}

/**
 * `clients` sequential keep-alive clients, each on its own connection, until stopped. With
 * `oneShot`, each request asks for its connection to be closed, so every request after it opens
 * a new one.
 */
class Load {
  readonly outcomes: Outcome[] = []
  phase = 'warm-up'
  oneShot = false
  #running = true
  readonly #clients: Promise<void>[] = []

  constructor(clients: number) {
    for (let i = 0; i < clients; i++) this.#clients.push(this.#client())
  }

  count(phase: string): number {
    return this.outcomes.filter((o) => o.phase === phase).length
  }

  stop(): Promise<void> {
    this.#running = false
    return Promise.all(this.#clients).then(() => undefined)
  }

  async #client(): Promise<void> {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const connections = new WeakMap<Socket, Connection>()
    while (this.#running) this.outcomes.push(await this.#one(agent, connections))
    agent.destroy()
  }

  #one(agent: Agent, connections: WeakMap<Socket, Connection>): Promise<Outcome> {
    const phase = this.phase
    const started = performance.now()
    let connection: Connection = { opened: started, localPort: undefined }
    return new Promise((resolve) => {
      const done = (status: number | undefined, error: string | undefined, server: string | undefined): void =>
        resolve({ phase, status, error, server, connectionOpened: connection.opened, localPort: connection.localPort, ended: performance.now() })
      const req = httpRequest({ host: '127.0.0.1', port, path: '/swap', agent, headers: this.oneShot ? { Connection: 'close' } : {} }, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (text += c))
        res.on('end', () => {
          let server: string | undefined
          try {
            server = (JSON.parse(text) as { server?: string }).server
          } catch {
            server = undefined
          }
          done(res.statusCode, undefined, server)
        })
        res.on('error', (err) => done(undefined, err.message, undefined))
      })
      req.on('socket', (socket: Socket) => {
        const known = connections.get(socket)
        if (known) {
          connection = known
          return
        }
        connections.set(socket, connection)
        const own = connection
        socket.once('connect', () => (own.localPort = socket.localPort))
      })
      req.on('error', (err: NodeJS.ErrnoException) => done(undefined, err.code ?? err.message, undefined))
      req.end()
    })
  }
}

/** The client ports of the proxy connections process `pid` holds (its socket fds, matched in /proc/net/tcp). */
function clientPortsOf(pid: number): Set<number> {
  const inodes = new Set<string>()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (m) inodes.add(m[1])
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f.length < 10 || !inodes.has(f[9])) continue
      const local = parseInt(f[1].split(':')[1], 16)
      const remote = parseInt(f[2].split(':')[1], 16)
      if (local === port && remote !== 0) ports.add(remote)
    }
  }
  return ports
}

/** Outcomes of a phase that are not a 2xx response. */
const failures = (load: Load, phase: string): Outcome[] => load.outcomes.filter((o) => o.phase === phase && !(o.status !== undefined && o.status >= 200 && o.status < 300))
const servers = (load: Load, phase: string): string[] => [...new Set(load.outcomes.filter((o) => o.phase === phase && o.server !== undefined).map((o) => String(o.server)))].sort()

async function status(): Promise<{ hash: string; ready: number; pids: number[] }> {
  const body = (await (await fetch(`${node.status}/status`)).json()) as { configuration_hash: string; memory: { workers_lua_vms: { pid: number }[] } }
  const ready = (await fetch(`${node.status}/status/ready`)).status
  return { hash: body.configuration_hash, ready, pids: body.memory.workers_lua_vms.map((w) => w.pid) }
}

async function post(config: string): Promise<{ status: number; hash: string | null }> {
  const res = await fetch(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: config })
  await res.arrayBuffer()
  return { status: res.status, hash: res.headers.get('x-kong-configuration-hash') }
}

/** Waits until the node runs `hash` everywhere (the primary has it and every worker reports it applied). */
const runs = (hash: string): Promise<boolean> =>
  eventually(async () => {
    const s = await status()
    return s.hash === hash && s.ready === 200
  }, 15_000)

const load = new Load(4)
t.teardown(() => load.stop())
const hashA = (await status()).hash
// Some requests before the first swap, so the clients are connected and warm.
await eventually(async () => load.count('warm-up') >= 40, 10_000)

t.test('20 swaps by POST /config under load: no failed request', async (t) => {
  load.phase = 'post'
  const answers: number[] = []
  let hashB = ''
  // Ten back to back (a worker may skip to the newest), then ten each served before the next.
  for (let i = 0; i < 20; i++) {
    const r = await post(i % 2 === 0 ? CONFIG_B : CONFIG_A)
    answers.push(r.status)
    if (i === 0) hashB = r.hash ?? ''
    if (i >= 10) {
      t.ok(await runs(r.hash ?? ''), `swap ${i + 1} runs everywhere`)
      const upTo = load.outcomes.length + 8
      await eventually(async () => load.outcomes.length >= upTo, 10_000)
    }
  }
  t.same(answers, Array(20).fill(201), 'every swap was applied')
  t.ok(await runs(hashA), 'the last config (A) runs in every worker')
  t.not(hashB, hashA)
  // A few more requests once it does, all of them on the final config.
  const settled = load.outcomes.length
  await eventually(async () => load.outcomes.length >= settled + 40, 10_000)
  load.phase = 'post-settled'
  await eventually(async () => load.count('post-settled') >= 40, 10_000)
  t.same(failures(load, 'post'), [], `none of ${load.count('post')} requests failed`)
  t.same(servers(load, 'post'), ['A', 'B'], 'both configs served while they swapped')
  t.same(failures(load, 'post-settled'), [])
  t.same(servers(load, 'post-settled'), ['A'], 'then only the last one')
  t.ok(load.count('post') >= 40, `the load ran through the swaps (${load.count('post')} requests)`)
})

t.test('SIGHUP reloads under load: no failed request', async (t) => {
  load.phase = 'sighup'
  const file = join(node.dir, 'kong.yml')
  const hashB = (await post(CONFIG_B)).hash ?? ''
  t.ok(await runs(hashB), 'B runs')
  for (let i = 0; i < 6; i++) {
    const [config, hash] = i % 2 === 0 ? [CONFIG_A, hashA] : [CONFIG_B, hashB]
    writeFileSync(file, config)
    process.kill(node.child.pid ?? 0, 'SIGHUP')
    t.ok(await runs(hash), `reload ${i + 1} runs everywhere`)
  }
  t.same(failures(load, 'sighup'), [], `none of ${load.count('sighup')} requests failed`)
  t.same(servers(load, 'sighup'), ['A', 'B'])
})

t.test('a worker killed under load: only its own connections fail, never with a status', async (t) => {
  load.phase = 'before-kill'
  await eventually(async () => load.count('before-kill') >= 40, 10_000)
  const before = await status()
  t.equal(before.pids.length, 2)
  // The victim: the worker holding the most of the clients' connections (the kernel chose).
  const held = before.pids.map((pid) => ({ pid, ports: clientPortsOf(pid) })).sort((x, y) => y.ports.size - x.ports.size)
  const victim = held[0]
  t.ok(victim.ports.size > 0, `the victim holds ${victim.ports.size} of the 4 client connections`)
  load.phase = 'kill'
  const killedAt = performance.now()
  process.kill(victim.pid, 'SIGKILL')
  // From now on every request opens a new connection: none may fail, whichever worker takes it.
  load.oneShot = true
  const replaced = await eventually(async () => {
    const s = await status()
    return s.ready === 200 && s.pids.length === 2 && !s.pids.includes(victim.pid)
  }, 15_000)
  t.ok(replaced, 'the worker was replaced and runs the live config')
  load.phase = 'after-kill'
  const upTo = load.outcomes.length + 200
  await eventually(async () => load.outcomes.length >= upTo, 10_000)
  await load.stop()

  const all = ['before-kill', 'kill', 'after-kill'].flatMap((phase) => failures(load, phase))
  t.same(all.filter((o) => o.ended < killedAt), [], 'nothing failed before the kill')
  t.same(all.filter((o) => o.status !== undefined), [], 'no failure is an HTTP status (no 404 from a worker without config)')
  t.same(all.filter((o) => o.localPort === undefined || !victim.ports.has(o.localPort)), [], 'every failure was on a connection the killed worker held')
  t.ok(all.length <= victim.ports.size, `at most one failure per connection it held (${all.length}: ${all.map((o) => o.error).join(', ')})`)
  const fresh = load.outcomes.filter((o) => o.connectionOpened >= killedAt)
  t.ok(fresh.length >= 100, `${fresh.length} requests on connections opened after the kill`)
  t.same(fresh.filter((o) => o.status !== 200), [], 'all of them answered 200')
})
