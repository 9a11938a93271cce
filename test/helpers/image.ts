/**
 * The container image without a Docker engine: the Dockerfile read as docker reads it, and a
 * temporary root laid out like the image (the app under usr/local/kong-dbless, `kong` and
 * `kong-dbless` first on PATH, the Dockerfile's own ENV with free ports) to run
 * docker-entrypoint.sh in as the image runs it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { runProcess, type CliResult } from './cli.js'
import { eventually, freePort } from './node.js'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const ENTRYPOINT = join(ROOT, 'docker-entrypoint.sh')
const APP = '/usr/local/kong-dbless'

/** One Dockerfile instruction and the build stage it is in (0 for the first FROM). */
export interface Instruction {
  readonly stage: number
  readonly keyword: string
  readonly args: string
}

/** Instructions in order, continuation lines joined, comments dropped, each with its stage. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = []
  let stage = -1
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line)
    if (!m) continue
    const keyword = (m[1] ?? '').toUpperCase()
    if (keyword === 'FROM') stage++
    out.push({ stage, keyword, args: (m[2] ?? '').replace(/\s+/g, ' ').trim() })
  }
  return out
}

/** `K=V` pairs of an ENV instruction, double quotes removed. */
function envPairs(args: string): [string, string][] {
  return [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)].map((m) => [m[1] ?? '', m[3] ?? m[2] ?? ''])
}

/** The repository's Dockerfile. */
export const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))
/** The runtime stage's number. */
export const lastStage = Math.max(...dockerfile.map((i) => i.stage))
/** The runtime stage's instructions. */
export const runtime = dockerfile.filter((i) => i.stage === lastStage)
/** The runtime stage's one instruction of a kind. */
export const only = (keyword: string): string => {
  const found = runtime.filter((i) => i.keyword === keyword)
  if (found.length !== 1) throw new Error(`the runtime stage has ${found.length} ${keyword} instructions`)
  return found[0]?.args ?? ''
}
/** The environment the image sets. */
export const IMAGE_ENV: Readonly<Record<string, string>> = Object.fromEntries(runtime.filter((i) => i.keyword === 'ENV').flatMap((i) => envPairs(i.args)))

/** The `kong-dbless` command the image writes (its RUN's printf), app paths as in the image. */
export const KONG_DBLESS_SHIM = (/printf '([^']*)' > \/usr\/local\/bin\/kong-dbless/.exec(runtime.map((i) => i.args).join('\n'))?.[1] ?? '').replaceAll('\\n', '\n')

/** A root laid out like the image. */
export interface ImageRoot {
  readonly dir: string
  readonly prefix: string
  readonly env: Record<string, string>
  readonly status: string
}

/** A temporary root with the app, the shims on PATH, the prefix, and the image's ENV on free ports. */
export async function imageRoot(): Promise<ImageRoot> {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-image-'))
  mkdirSync(join(dir, APP), { recursive: true })
  for (const name of ['dist', 'node_modules', 'package.json']) symlinkSync(join(ROOT, name), join(dir, APP, name))
  const bin = join(dir, 'usr/local/bin')
  mkdirSync(bin, { recursive: true })
  writeFileSync(join(bin, 'kong-dbless'), KONG_DBLESS_SHIM.replaceAll(APP, join(dir, APP)), { mode: 0o755 })
  symlinkSync('kong-dbless', join(bin, 'kong'))
  const prefix = join(dir, IMAGE_ENV.KONG_PREFIX ?? '')
  mkdirSync(prefix, { recursive: true, mode: 0o700 })
  const ports = new Map<string, number>()
  const env: Record<string, string> = { PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` }
  for (const [name, value] of Object.entries(IMAGE_ENV)) {
    if (!name.endsWith('_LISTEN')) {
      env[name] = value
      continue
    }
    let listen = value
    for (const [, port] of value.matchAll(/:(\d+)/g)) {
      if (!ports.has(port ?? '')) ports.set(port ?? '', await freePort())
      listen = listen.replace(`:${port}`, `:${ports.get(port ?? '')}`)
    }
    env[name] = listen
  }
  env.KONG_PREFIX = prefix
  // One worker: the machine is shared; the image's default (`auto`) is one per CPU.
  env.KONG_NGINX_WORKER_PROCESSES = '1'
  return { dir, prefix, env, status: `http://127.0.0.1:${ports.get('8100')}` }
}

/** Runs a command to its end. */
export function run(command: string, args: readonly string[], env: Readonly<Record<string, string>>, cwd = '/'): Promise<CliResult> {
  return runProcess(command, args, cwd, env)
}

/** A running node started through the entrypoint. */
export interface Started {
  readonly child: ChildProcess
  readonly logs: Record<string, unknown>[]
  readonly stderr: () => string
  readonly exit: Promise<number | null>
}

/** Starts a long-running command and resolves once the node in it logged that it started. */
export async function startImage(command: string, args: readonly string[], env: Readonly<Record<string, string>>): Promise<Started> {
  const child = spawn(command, args, { env, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] })
  const logs: Record<string, unknown>[] = []
  let stderr = ''
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  const parse = (line: string): void => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>)
    } catch {
      stderr += `${line}\n`
    }
  }
  createInterface({ input: child.stdout }).on('line', parse)
  createInterface({ input: child.stderr }).on('line', parse)
  const started = await Promise.race([
    eventually(async () => logs.some((l) => l.msg === 'kong-dbless started'), 30_000),
    exit.then(() => false),
  ])
  if (!started) throw new Error(`the node did not start: ${stderr} ${JSON.stringify(logs)}`)
  return { child, logs, stderr: () => stderr, exit }
}

/** Two valid configs that differ in one route's path. */
export const CONFIG_A = '_format_version: "3.0"\nservices:\n  - name: a\n    url: http://127.0.0.1:9/\n    routes: [{ name: a, paths: [/a] }]\n'
export const CONFIG_B = CONFIG_A.replace('paths: [/a]', 'paths: [/b]')

/** The configuration_hash /status reports, or undefined while it does not answer. */
export async function statusHash(status: string): Promise<string | undefined> {
  const res = await fetch(`${status}/status`).catch(() => undefined)
  return res?.status === 200 ? ((await res.json()) as { configuration_hash: string }).configuration_hash : undefined
}

