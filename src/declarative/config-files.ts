/**
 * Reading what `declarative_config` names: one path or several, comma-separated, each a file
 * or a directory whose `.yml`, `.yaml` and `.json` files are read in name order. What cannot be
 * read is one ConfigParseError naming the path and why, in words.
 */
import { readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { FileReadError, readRegularFile } from '../util/files.js'
import { ConfigParseError } from './errors.js'
import type { ConfigText } from './merge-files.js'
import { DEFAULT_LIMITS, decodeText, formatOfFile, type ParseLimits } from './parse.js'

/** A path to read, and how errors name it (as the user wrote it). */
export interface ConfigPath {
  readonly path: string
  readonly source: string
}

/** The paths a `declarative_config` value names: split at commas, trimmed, resolved against `cwd`. */
export function configPaths(value: string, cwd: string): ConfigPath[] {
  return value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((source) => ({ path: resolve(cwd, source), source }))
}

/** The extensions a directory's config files have; anything else in it is left alone. */
const CONFIG_FILE = /^[^.].*\.(ya?ml|json)$/

/** What an errno code means, for one-line messages (`ENOENT: no such file or directory`). */
const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
}

/** `ENOENT: no such file or directory` from a code, else the reason as it came. */
function inWords(reason: string): string {
  const words = ERRNO_WORDS[reason]
  return words === undefined ? reason : `${reason}: ${words}`
}

/** A path that could not be read at all (as opposed to text that does not parse). */
export class ConfigReadError extends ConfigParseError {
  constructor(reason: string, source: string) {
    super(reason, source)
    this.name = 'ConfigReadError'
  }
}

/** True when a link leads to a directory (a dangling link is not: reading it says why it fails). */
async function linksToDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

/** Which file a path leads to, links followed; undefined when it cannot be told (the read says why). */
async function fileIdentity(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path, { bigint: true })
    return `${s.dev}:${s.ino}`
  } catch {
    return undefined
  }
}

function unreadable(source: string, reason: string): ConfigReadError {
  return new ConfigReadError(`cannot read ${source}: ${inWords(reason)}`, source)
}

/**
 * Reads every file the paths name, in order: a directory gives its config files (not hidden,
 * not recursive) sorted by name, and must hold at least one. Together they are at most
 * `limits.maxBytes`. Throws ConfigParseError for the first path that cannot be read, is of an
 * unknown type, or is not UTF-8 text.
 */
export async function readConfigFiles(paths: readonly ConfigPath[], limits: ParseLimits = DEFAULT_LIMITS): Promise<ConfigText[]> {
  if (paths.length === 0) throw new ConfigReadError('no declarative configuration file named', '(none)')
  const files: ConfigPath[] = []
  for (const p of paths) {
    let isDirectory: boolean
    try {
      isDirectory = (await stat(p.path)).isDirectory()
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      throw unreadable(p.source, e.code ?? e.message)
    }
    if (!isDirectory) {
      files.push(p)
      continue
    }
    let names: string[]
    try {
      // Symbolic links are followed (a Kubernetes ConfigMap mounts its files as links); subdirectories are not read.
      const entries = (await readdir(p.path, { withFileTypes: true })).filter((e) => !e.isDirectory() && CONFIG_FILE.test(e.name))
      names = []
      for (const e of entries) if (!(e.isSymbolicLink() && (await linksToDirectory(join(p.path, e.name))))) names.push(e.name)
      names.sort()
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      throw unreadable(p.source, e.code ?? e.message)
    }
    if (names.length === 0) throw new ConfigReadError(`cannot read ${p.source}: it is a directory with no .yml, .yaml or .json file`, p.source)
    for (const name of names) files.push({ path: join(p.path, name), source: join(p.source, name) })
  }
  const texts: ConfigText[] = []
  // A file reached twice (a directory named twice, a file named and in its directory, a link)
  // would declare every entity in it twice: said once, by both names, instead.
  const seen = new Map<string, string>()
  // The files together are one config, within one config's bound (and the saved copy within its).
  let total = 0
  for (const f of files) {
    const format = formatOfFile(f.source)
    const identity = await fileIdentity(f.path)
    const first = identity === undefined ? undefined : seen.get(identity)
    if (first !== undefined) throw unreadable(f.source, `it was already read as ${first} (name each file once)`)
    if (identity !== undefined) seen.set(identity, f.source)
    let bytes: Buffer
    try {
      bytes = await readRegularFile(f.path, limits.maxBytes - total)
    } catch (err) {
      if (!(err instanceof FileReadError)) throw err
      if (total > 0 && /over the limit/.test(err.reason)) throw unreadable(f.source, `it brings the files over the limit of ${limits.maxBytes} bytes in all`)
      throw unreadable(f.source, err.reason)
    }
    total += bytes.length
    texts.push({ source: f.source, format, text: decodeText(bytes, f.source, limits) })
  }
  return texts
}
