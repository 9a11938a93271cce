/**
 * Settings from the environment: `KONG_<NAME>`, or `KONG_<NAME>_FILE` naming a file that holds
 * the value (Docker and Kubernetes secrets), as docker-kong's entrypoint resolves them, but for
 * every way the node is started, in a container or not.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { resolve } from 'node:path'
import { KINDS } from '../util/files.js'

/** What each setting's environment says, and what could not be read. */
export interface EnvSettings {
  /** Setting name to its text, for the settings the environment sets. */
  readonly values: Readonly<Record<string, string>>
  /** One line per variable that could not be used, naming it. */
  readonly problems: readonly string[]
}

// Why a file could not be read, in words, for the codes a mounted secret usually fails with.
const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
}

/** The largest setting file read: an inline declarative config's bound. */
const MAX_FILE_BYTES = 256 * 1024 * 1024

/** Why a path that opened is no file to read a setting from. */
class NotReadable extends Error {}

/**
 * A regular file's text, or NotReadable: opened non-blocking and checked first, so a FIFO or a
 * device named by mistake cannot block the node (or `health`) or be read without end.
 */
function readRegularFileSync(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    const stat = fstatSync(fd)
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
    if (!stat.isFile()) throw new NotReadable(`not a regular file (${KINDS.find(([, test]) => test(stat))?.[0] ?? 'unknown type'})`)
    if (stat.size > MAX_FILE_BYTES) throw new NotReadable(`it is ${stat.size} bytes, over the limit of ${MAX_FILE_BYTES}`)
    const buffer = Buffer.alloc(stat.size)
    let length = 0
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, length)
      if (read === 0) break
      length += read
    }
    return buffer.toString('utf8', 0, length)
  } finally {
    closeSync(fd)
  }
}

/** `KONG_<NAME>` for a setting name. */
export const envName = (name: string): string => `KONG_${name.toUpperCase()}`

/**
 * The text of a `KONG_<NAME>_FILE` file. Trailing newlines are dropped, as the shell's `$(< file)`
 * in docker-kong drops them: a secret written by `echo` or an editor ends with one.
 */
function readSecret(variable: string, path: string, cwd: string): string | { problem: string } {
  try {
    return readRegularFileSync(resolve(cwd, path)).replace(/(?:\r?\n)+$/, '')
  } catch (err) {
    if (err instanceof NotReadable) return { problem: `${variable}: cannot read ${path}: ${err.message}` }
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO'
    return { problem: `${variable}: cannot read ${path}: ${REASONS[code] ?? (err as Error).message} (${code})` }
  }
}

/** Reads each named setting from `KONG_<NAME>` or `KONG_<NAME>_FILE` (relative paths from cwd). */
export function readEnvSettings(names: readonly string[], env: Readonly<Record<string, string | undefined>>, cwd: string): EnvSettings {
  const values: Record<string, string> = {}
  const problems: string[] = []
  for (const name of names) {
    const direct = envName(name)
    const viaFile = `${direct}_FILE`
    const text = env[direct]
    const path = env[viaFile]
    // As docker-kong's file_env: an empty _FILE is not set, and an empty variable yields to a
    // _FILE (compose files often write `KONG_X_FILE: ${X_FILE:-}`).
    if (path === undefined || path === '') {
      if (text !== undefined) values[name] = text
    } else if (text !== undefined && text !== '') {
      problems.push(`both ${direct} and ${viaFile} are set (but are exclusive)`)
    } else {
      const secret = readSecret(viaFile, path, cwd)
      if (typeof secret === 'string') values[name] = secret
      else problems.push(secret.problem)
    }
  }
  return { values, problems }
}
