/** Starts a real node (primary + workers) on free ports in a temporary prefix, for tests. */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { CLI } from './cli.js'

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export interface RunningNode {
  readonly child: ChildProcess
  readonly dir: string
  readonly prefix: string
  readonly ports: { readonly proxy: number; readonly admin: number; readonly status: number }
  readonly proxy: string
  readonly admin: string
  readonly status: string
  /** Every JSON log line so far, from stdout and stderr. */
  readonly logs: Record<string, unknown>[]
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export interface NodeOptions {
  /** kong.yml text written into the node's directory and set as declarative_config. */
  readonly config?: string
  /** Extra environment (KONG_* settings). */
  readonly env?: Readonly<Record<string, string>>
  /** Reuse a directory (and its prefix) from an earlier node. */
  readonly dir?: string
  readonly workers?: number
  readonly args?: readonly string[]
  /** Where the node's stderr goes: read into `logs` (default), a pipe closed at once, or a file descriptor. */
  readonly stderr?: 'read' | 'closed' | number
  /** Where the node's stdout goes: read into `logs` (default), or a pipe closed at once (the node is then awaited by polling). */
  readonly stdout?: 'read' | 'closed'
  /** Listen on these ports instead of free ones. */
  readonly ports?: { readonly proxy: number; readonly admin: number; readonly status: number }
}

/**
 * Starts a node and resolves once it logged that it started. Free ports are probed, then bound
 * by the node: another test process may take one in between, so a node that finds one of the
 * ports it was given taken is started again on fresh ones.
 */
export async function startNode(options: NodeOptions = {}): Promise<RunningNode> {
  if (options.ports) return startOnce(options, options.ports)
  for (let attempt = 1; ; attempt++) {
    const ports = { proxy: await freePort(), admin: await freePort(), status: await freePort() }
    try {
      return await startOnce(options, ports)
    } catch (err) {
      if (attempt >= 3 || !(err instanceof PortTakenError)) throw err
    }
  }
}

/** The node stopped at start because a port the helper probed as free was taken meanwhile. */
class PortTakenError extends Error {}

/** Whether any of `ports` cannot be bound on loopback right now. */
async function anyTaken(ports: readonly number[]): Promise<boolean> {
  for (const port of ports) {
    const taken = await new Promise<boolean>((resolve) => {
      const server = createServer()
      server.once('error', () => resolve(true))
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)))
    })
    if (taken) return true
  }
  return false
}

async function startOnce(options: NodeOptions, ports: { readonly proxy: number; readonly admin: number; readonly status: number }): Promise<RunningNode> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'kong-dbless-node-'))
  const { proxy: proxyPort, admin: adminPort, status: statusPort } = ports
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    KONG_PREFIX: join(dir, 'prefix'),
    KONG_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    KONG_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    KONG_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
    KONG_NGINX_WORKER_PROCESSES: String(options.workers ?? 2),
    KONG_LOG_LEVEL: 'info',
    ...(options.env ?? {}),
  }
  if (options.config !== undefined) {
    writeFileSync(join(dir, 'kong.yml'), options.config)
    env.KONG_DECLARATIVE_CONFIG = 'kong.yml'
  }
  const stderr = options.stderr ?? 'read'
  const stdout = options.stdout ?? 'read'
  const child = spawn(process.execPath, [CLI, 'start', ...(options.args ?? [])], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', typeof stderr === 'number' ? stderr : 'pipe'],
  })
  if (stderr === 'closed') child.stderr?.destroy()
  if (stdout === 'closed') child.stdout?.destroy()
  const logs: Record<string, unknown>[] = []
  let exited: number | null | undefined
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve((exited = code))))
  let up = false
  const started = new Promise<void>((resolve, reject) => {
    const onLine = (line: string): void => {
      let entry: Record<string, unknown>
      try {
        entry = JSON.parse(line) as Record<string, unknown>
      } catch {
        entry = { raw: line }
      }
      logs.push(entry)
      if (entry.msg === 'kong-dbless started') resolve()
    }
    if (stdout === 'read') createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', onLine)
    else {
      // Started once every worker reports: the first config is loaded before they are forked.
      const workers = Number(env.KONG_NGINX_WORKER_PROCESSES)
      const ready = async (): Promise<boolean> => {
        const res = await fetch(`http://127.0.0.1:${statusPort}/status`).catch(() => undefined)
        return res?.status === 200 && ((await res.json()) as { memory: { workers_lua_vms: unknown[] } }).memory.workers_lua_vms.length === workers
      }
      void eventually(ready, 20_000).then((ok) => ok && resolve())
    }
    if (stderr === 'read') createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', onLine)
    void exit.then(async (code) => {
      const message = `node exited with ${code} before starting: ${JSON.stringify(logs)}`
      // With both pipes closed the node cannot say why; a port held by someone else now is the likely reason.
      const unheard = stdout === 'closed' && stderr !== 'read' && !up
      const taken = logs.some((l) => l.code === 'EADDRINUSE') || (unheard && (await anyTaken([proxyPort, adminPort, statusPort])))
      reject(taken ? new PortTakenError(message) : new Error(message))
    })
  })
  await started
  up = true
  return {
    child,
    dir,
    prefix: env.KONG_PREFIX,
    ports: { proxy: proxyPort, admin: adminPort, status: statusPort },
    proxy: `http://127.0.0.1:${proxyPort}`,
    admin: `http://127.0.0.1:${adminPort}`,
    status: `http://127.0.0.1:${statusPort}`,
    logs,
    stop: (signal = 'SIGTERM') => {
      if (exited !== undefined) return Promise.resolve(exited)
      child.kill(signal)
      return exit
    },
  }
}

/** GET (or another method) returning status, headers and parsed JSON (or text). */
// `any` so tests can read fields of a JSON body without casts at every step.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function http(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, init)
  const text = await res.text()
  let body: unknown = text
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  return { status: res.status, headers: res.headers, body: body as any }
}

/** Polls `check` until it returns true or `ms` pass. */
export async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

/** Opens `n` keep-alive connections to `origin`, one request each, and leaves them idle in the returned agent. */
export async function keepAliveConnections(origin: string, n: number): Promise<Agent> {
  const agent = new Agent({ keepAlive: true, maxSockets: n })
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve, reject) => {
          const req = request(`${origin}/anything`, { agent }, (res) => {
            res.resume()
            res.on('end', () => resolve())
          })
          req.on('error', reject)
          req.end()
        }),
    ),
  )
  return agent
}

/** `promise`'s value, or `late` once `ms` pass first; the timer is cleared either way, so it never holds the test process open. */
export async function within<T>(promise: Promise<T>, ms: number, late: string): Promise<T | string> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(late), ms)))
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}
