/** `start`, `quit`, `reload`, `health` and `drain`: running and steering a node in a prefix. */
import { parseArgs } from 'node:util'
import { ConfError, loadConf, type NodeConf } from '../conf/settings.js'
import { envPath, isAlive, readPid } from '../node/prefix.js'
import { existsSync } from 'node:fs'
import { printError, type CliIo, type NodeRunner } from './io.js'

const OPTIONS = {
  conf: { type: 'string', short: 'c' },
  prefix: { type: 'string', short: 'p' },
  timeout: { type: 'string', short: 't' },
  wait: { type: 'string', short: 'w' },
} as const

interface Parsed {
  readonly conf: NodeConf
  readonly timeout: number
  readonly wait: number
}

function settings(args: readonly string[], io: CliIo, env: NodeJS.ProcessEnv): Parsed | number {
  let values
  try {
    ;({ values } = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: false }))
  } catch (err) {
    return printError(io, (err as Error).message)
  }
  if (values.prefix !== undefined) env.KONG_PREFIX = values.prefix
  try {
    const conf = loadConf({ env, cwd: io.cwd, ...(values.conf !== undefined ? { confPath: values.conf } : {}) })
    return {
      conf,
      timeout: Number(values.timeout ?? '10'),
      wait: Number(values.wait ?? '0'),
    }
  } catch (err) {
    if (err instanceof ConfError) return printError(io, err.message)
    throw err
  }
}

/** `start`: runs the node in the foreground until it is stopped. */
export async function startCommand(args: readonly string[], io: CliIo, env: NodeJS.ProcessEnv, runNode: NodeRunner): Promise<number> {
  const parsed = settings(args, io, env)
  if (typeof parsed === 'number') return parsed
  return runNode(parsed.conf, { cwd: io.cwd })
}

function runningPid(conf: NodeConf, io: CliIo): number | undefined {
  if (!existsSync(conf.prefix)) {
    printError(io, `no such prefix: ${conf.prefix}`)
    return undefined
  }
  const pid = readPid(conf.prefix)
  if (pid === undefined || !existsSync(envPath(conf.prefix)) || !isAlive(pid)) {
    printError(io, `Kong is not running at ${conf.prefix}`)
    return undefined
  }
  return pid
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** `quit`: graceful stop (SIGQUIT), then SIGTERM if it outlives the timeout. */
export async function quitCommand(args: readonly string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = settings(args, io, env)
  if (typeof parsed === 'number') return parsed
  const pid = runningPid(parsed.conf, io)
  if (pid === undefined) return 1
  if (parsed.wait > 0) await sleep(parsed.wait * 1000)
  process.kill(pid, 'SIGQUIT')
  const deadline = Date.now() + parsed.timeout * 1000
  while (isAlive(pid) && Date.now() < deadline) await sleep(100)
  if (isAlive(pid)) {
    process.kill(pid, 'SIGTERM')
    while (isAlive(pid)) await sleep(100)
  }
  io.stdout.write('Kong stopped\n')
  return 0
}

/** `reload`: re-reads declarative_config (SIGHUP). */
export function reloadCommand(args: readonly string[], io: CliIo, env: NodeJS.ProcessEnv): number {
  const parsed = settings(args, io, env)
  if (typeof parsed === 'number') return parsed
  const pid = runningPid(parsed.conf, io)
  if (pid === undefined) return 1
  process.kill(pid, 'SIGHUP')
  io.stdout.write('Kong reloaded\n')
  return 0
}

/** `health`: is the node in the prefix alive (a pid check, no HTTP). */
export function healthCommand(args: readonly string[], io: CliIo, env: NodeJS.ProcessEnv): number {
  const parsed = settings(args, io, env)
  if (typeof parsed === 'number') return parsed
  const { prefix } = parsed.conf
  if (!existsSync(prefix)) return printError(io, `no such prefix: ${prefix}`)
  if (!existsSync(envPath(prefix))) return printError(io, `Kong is not running at ${prefix}`)
  const pid = readPid(prefix)
  const alive = pid !== undefined && isAlive(pid)
  io.stdout.write(`${'nginx'.padEnd(12, '.')}${alive ? 'running' : 'not running'}\n\n`)
  if (!alive) return printError(io, `Kong is not running at ${prefix}`)
  io.stdout.write(`Kong is healthy at ${prefix}\n`)
  return 0
}

/** `drain`: asks the status listener to answer not-ready from now on. */
export async function drainCommand(args: readonly string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = settings(args, io, env)
  if (typeof parsed === 'number') return parsed
  const listener = parsed.conf.status_listen[0]
  if (!listener) {
    io.stdout.write('No status listeners found in configuration.\n')
    return 0
  }
  const host = listener.host === '0.0.0.0' ? '127.0.0.1' : listener.host === '::' ? '[::1]' : listener.host.includes(':') ? `[${listener.host}]` : listener.host
  const url = `${listener.ssl ? 'https' : 'http'}://${host}:${listener.port}/status/ready`
  let res: { status: number }
  try {
    // Loaded by `drain` only: the HTTP client would slow every other verb's start.
    const { Agent, fetch: undiciFetch } = await import('undici')
    // The node's own listener on this machine, often with its self-signed default certificate: not verified, as Kong's drain does not.
    const dispatcher = listener.ssl ? new Agent({ connect: { rejectUnauthorized: false } }) : undefined
    res = await undiciFetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"status":"draining"}', signal: AbortSignal.timeout(1000), ...(dispatcher ? { dispatcher } : {}) })
    await dispatcher?.close()
  } catch (err) {
    return printError(io, `Failed to send request to ${url}: ${(err as Error).message}`)
  }
  if (res.status !== 204) return printError(io, `Unexpected response status from ${url}: ${res.status}`)
  io.stdout.write("Kong's status successfully changed to 'draining'\n")
  return 0
}
