/** The prefix directory: pid file, the running node's settings, and the node id kept across restarts. */
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Where `kong-dbless quit`, `reload` and `health` find the running node. */
export const pidPath = (prefix: string): string => join(prefix, 'pids', 'nginx.pid')
/** Exists while a node runs in the prefix (Kong's marker). */
export const envPath = (prefix: string): string => join(prefix, '.kong_env')

/** The pid in the prefix, if any. */
export function readPid(prefix: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidPath(prefix), 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** Whether a process with this pid exists and has not exited (a zombie awaiting its parent has). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true
  }
}

/** Claims the prefix for this process; refuses when another live node holds it. */
export function claimPrefix(prefix: string, settings: Readonly<Record<string, unknown>>): void {
  mkdirSync(join(prefix, 'pids'), { recursive: true })
  const other = readPid(prefix)
  if (other !== undefined && other !== process.pid && isAlive(other)) {
    throw new Error(`Kong is already running in ${prefix} (pid ${other})`)
  }
  writeFileSync(pidPath(prefix), `${process.pid}\n`)
  writeFileSync(envPath(prefix), `${Object.entries(settings).map(([k, v]) => `${k} = ${String(v)}`).join('\n')}\n`)
}

/** Releases the prefix (pid file and marker) if this process holds it. */
export function releasePrefix(prefix: string): void {
  if (readPid(prefix) !== process.pid) return
  rmSync(pidPath(prefix), { force: true })
  rmSync(envPath(prefix), { force: true })
}

/** The node id stored in the prefix, created on first use. */
export function nodeId(prefix: string): string {
  const path = join(prefix, 'node_id')
  if (existsSync(path)) {
    const id = readFileSync(path, 'utf8').trim()
    if (id !== '') return id
  }
  const id = randomUUID()
  writeFileSync(path, `${id}\n`)
  return id
}
