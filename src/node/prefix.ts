/**
 * The prefix directory: pid file, the running node's settings, the node id kept across
 * restarts, the saved config and the snapshot files the workers read. The saved config holds
 * credentials, so the prefix is created 0700 and the files in it are written 0600.
 */
import { randomUUID } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Where `kong-dbless quit`, `reload` and `health` find the running node. */
export const pidPath = (prefix: string): string => join(prefix, 'pids', 'nginx.pid')
/** Exists while a node runs in the prefix (Kong's marker). */
export const envPath = (prefix: string): string => join(prefix, '.kong_env')
/** The last good config, kept so a restart without a file serves it. */
export const cachePath = (prefix: string): string => join(prefix, 'dbless.config.json')
/** Snapshot files handed from the loader to the processes that serve them. */
export const snapshotDir = (prefix: string): string => join(prefix, 'snapshots')

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

/** Why the prefix cannot be used (another live node holds it), without writing anything. */
export function prefixHeldBy(prefix: string): string | undefined {
  const other = readPid(prefix)
  if (other !== undefined && other !== process.pid && isAlive(other)) return `Kong is already running in ${prefix} (pid ${other})`
  return undefined
}

/** Claims the prefix for this process: creates it (0700) if needed, writes the pid and settings. */
export function claimPrefix(prefix: string, settings: Readonly<Record<string, unknown>>): void {
  const held = prefixHeldBy(prefix)
  if (held) throw new Error(held)
  if (!existsSync(prefix)) mkdirSync(prefix, { recursive: true, mode: 0o700 })
  mkdirSync(join(prefix, 'pids'), { recursive: true, mode: 0o700 })
  writeFileSync(pidPath(prefix), `${process.pid}\n`, { mode: 0o600 })
  writeFileSync(envPath(prefix), `${Object.entries(settings).map(([k, v]) => `${k} = ${String(v)}`).join('\n')}\n`, { mode: 0o600 })
  // A mode given to writeFileSync applies only to a file it creates; one left by an older run keeps its own.
  for (const path of [pidPath(prefix), envPath(prefix)]) chmodSync(path, 0o600)
  // Snapshots from an earlier run are never read again.
  rmSync(snapshotDir(prefix), { recursive: true, force: true })
  mkdirSync(snapshotDir(prefix), { mode: 0o700 })
  // A saved config written by an older release may be world-readable; it holds credentials.
  if (existsSync(cachePath(prefix))) chmodSync(cachePath(prefix), 0o600)
  for (const name of readdirSync(prefix)) if (name.startsWith('dbless.config.json.tmp')) rmSync(join(prefix, name), { force: true })
}

/** Releases the prefix (pid file, marker, snapshots) if this process holds it. */
export function releasePrefix(prefix: string): void {
  if (readPid(prefix) !== process.pid) return
  rmSync(pidPath(prefix), { force: true })
  rmSync(envPath(prefix), { force: true })
  rmSync(snapshotDir(prefix), { recursive: true, force: true })
}

/** The node id stored in the prefix, created on first use. */
export function nodeId(prefix: string): string {
  const path = join(prefix, 'node_id')
  if (existsSync(path)) {
    const id = readFileSync(path, 'utf8').trim()
    if (id !== '') return id
  }
  const id = randomUUID()
  writeFileSync(path, `${id}\n`, { mode: 0o600 })
  return id
}
