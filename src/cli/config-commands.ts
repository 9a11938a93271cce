/** `config parse | hash | init | schema`: offline work on declarative config files. */
import { existsSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { ConfigParseError, DeclarativeConfigError } from '../declarative/errors.js'
import { STARTER_CONFIG } from '../declarative/init-template.js'
import { isConfigHash } from '../declarative/hash.js'
import { buildJsonSchema } from '../declarative/json-schema.js'
import { ConfigReadError, readConfigFiles as readDeclarativeFiles, type ConfigPath } from '../declarative/config-files.js'
import { loadDeclarativeFiles } from '../declarative/load.js'
import { DEFAULT_LIMITS } from '../declarative/parse.js'
import type { Snapshot } from '../declarative/snapshot.js'
import { BUNDLED_PLUGIN_SCHEMAS, bundledPluginSchema } from '../plugins/registry.js'
import { PRODUCT, VERSION } from '../version.js'
import { diffSnapshots, formatDiff, maskQuotedSecrets } from './config-diff.js'
import { printError, type CliIo } from './io.js'
import { CONFIG_USAGE } from './usage.js'

/** Where a DB-less node's configuration goes in and comes out instead. */
const DB_LESS_HINT = `${PRODUCT} has no database: load a file with POST /config on the admin API (or set declarative_config and run \`${PRODUCT} reload\`), and read the running configuration with GET /config.`

/** Dispatches `config <sub>`. */
export async function configCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, file] = args
  switch (sub) {
    case 'parse':
    case 'hash':
      return parseOrHash(sub, file, args.slice(2), io)
    case 'diff':
      return diffCommand(args.slice(1), io)
    case 'init': {
      const target = resolve(io.cwd, file ?? 'kong.yml')
      if (existsSync(target)) return printError(io, `${target} already exists.\nWill not overwrite it.`)
      writeFileSync(target, STARTER_CONFIG)
      io.stdout.write(`${target} written\n`)
      return 0
    }
    case 'schema': {
      const text = `${JSON.stringify(buildJsonSchema(BUNDLED_PLUGIN_SCHEMAS, `${PRODUCT}/${VERSION}/kong.yml.schema.json`), null, 2)}\n`
      if (file === undefined) io.stdout.write(text)
      else writeFileSync(resolve(io.cwd, file), text)
      return 0
    }
    case 'db_import':
    case 'db-import':
      // Kong's own words for a node with database=off, which is all this gateway ever is.
      return printError(io, "'kong config db_import' only works with a database.\nWhen using database=off, reload your declarative configuration\nusing the /config endpoint.\n" + DB_LESS_HINT)
    case 'db_export':
    case 'db-export':
      return printError(io, "'kong config db_export' only works with a database.\n" + DB_LESS_HINT)
    case '--help':
    case '-h':
    case 'help':
    case undefined:
      io.stderr.write(CONFIG_USAGE)
      return sub === undefined ? 1 : 0
    default:
      printError(io, `unknown config command '${sub}'`)
      io.stderr.write(`\n${CONFIG_USAGE}`)
      return 1
  }
}

/** Options of `config parse` and `config hash`. */
interface CheckOptions {
  /** FILE arguments after the first: more files or directories, merged in order. */
  readonly more: readonly string[]
  /** `--json`: one JSON document on stdout, for scripts, instead of text. */
  readonly json: boolean
  /** `--expect HASH` (hash only): exit 1 unless the file hashes to HASH, for drift checks in CI. */
  readonly expect?: string
}

/** Reads `--json`, `--expect HASH` and `--expect=HASH`. */
function checkOptions(sub: 'parse' | 'hash', options: readonly string[]): CheckOptions | { error: string } {
  let json = false
  let expect: string | undefined
  const more: string[] = []
  for (let i = 0; i < options.length; i++) {
    const option = options[i]
    if (!option.startsWith('-')) more.push(option)
    else if (option === '--json') json = true
    else if (sub === 'hash' && option === '--expect') expect = options[++i] ?? ''
    else if (sub === 'hash' && option.startsWith('--expect=')) expect = option.slice('--expect='.length)
    else return { error: `unknown option '${option}' for config ${sub}; see \`${PRODUCT} config --help\`` }
  }
  const given: string | undefined = expect
  if (given !== undefined && !isConfigHash(given)) return { error: `--expect takes a configuration hash: 32 lower-case hex digits, got '${String(expect)}'` }
  return { more, json, expect }
}

/** `config parse FILE...` and `config hash FILE...`: text for people, or one JSON document with `--json`. */
async function parseOrHash(sub: 'parse' | 'hash', file: string | undefined, rest: readonly string[], io: CliIo): Promise<number> {
  if (file === undefined) return printError(io, `expected a declarative configuration file; see \`${PRODUCT} config --help\``)
  const options = checkOptions(sub, rest)
  if ('error' in options) return printError(io, options.error)
  // A hash reads references as written, so it needs none of the secrets at hand.
  const files = [file, ...options.more]
  const loaded = await readConfigFiles(files.map((f) => ({ path: resolve(io.cwd, f), source: f })), sub === 'parse')
  if (options.json) {
    const body = 'snapshot' in loaded ? checkedJson(sub, loaded.snapshot, options.expect) : { valid: false, errors: loaded.errors }
    io.stdout.write(`${JSON.stringify(body, null, 2)}\n`)
    return 'snapshot' in loaded && (options.expect === undefined || options.expect === loaded.snapshot.hash) ? 0 : 1
  }
  if (!('snapshot' in loaded)) return printError(io, loaded.text)
  const { snapshot } = loaded
  for (const w of snapshot.warnings) {
    io.stderr.write(`${w.source}${w.line === undefined ? '' : `:${w.line}:${w.column}`}: warning: ${w.path}: ${w.message}\n`)
  }
  io.stdout.write(sub === 'parse' ? 'parse successful\n' : `${snapshot.hash}\n`)
  if (options.expect !== undefined && options.expect !== snapshot.hash) {
    return printError(io, `configuration hash ${snapshot.hash} of ${files.join(', ')} is not the expected ${options.expect}`)
  }
  return 0
}

/** The `--json` document of a file that loads. */
function checkedJson(sub: 'parse' | 'hash', snapshot: Snapshot, expect: string | undefined): Record<string, unknown> {
  const base = { valid: true, configuration_hash: snapshot.hash, warnings: snapshot.warnings }
  if (sub === 'parse') return base
  return { ...base, hashes: snapshot.hashes, ...(expect === undefined ? {} : { expected: expect, matches: expect === snapshot.hash }) }
}

/**
 * `config diff A B [--json]`: exits as diff(1) does, 0 when the configuration hashes are equal,
 * 1 when they differ, 2 on trouble (a bad option, a file that does not load).
 */
async function diffCommand(args: readonly string[], io: CliIo): Promise<number> {
  const json = args.includes('--json')
  const files = args.filter((a) => a !== '--json')
  const trouble = (message: string): number => (printError(io, message), 2)
  if (files.some((f) => f.startsWith('-'))) return trouble(`unknown option '${files.find((f) => f.startsWith('-')) ?? ''}' for config diff; see \`${PRODUCT} config --help\``)
  if (files.length !== 2) return trouble(`config diff takes two declarative configuration files; see \`${PRODUCT} config --help\``)
  // Like a hash, a diff reads vault references as written: no secret needs to be at hand.
  const paths = files.map((f) => resolve(io.cwd, f))
  const loaded = await Promise.all(files.map((f, i) => readConfigFile(paths[i], f, false)))
  const [from, to] = loaded
  if (!('snapshot' in from) || !('snapshot' in to)) {
    // A and B naming one file that does not load: its errors once.
    const failed = loaded.flatMap((l, i) => ('snapshot' in l || (i === 1 && paths[1] === paths[0]) ? [] : [l]))
    // The diff prints no secret, not even one its errors would quote.
    if (json) io.stdout.write(`${JSON.stringify({ valid: false, errors: failed.flatMap((l) => l.errors.map((e) => ({ ...e, message: maskQuotedSecrets(e.message) }))) }, null, 2)}\n`)
    else for (const l of failed) printError(io, maskQuotedSecrets(l.text))
    return 2
  }
  const diff = diffSnapshots(from.snapshot, to.snapshot, bundledPluginSchema)
  io.stdout.write(json ? `${JSON.stringify(diff, null, 2)}\n` : formatDiff(diff))
  return diff.equal ? 0 : 1
}

/** A problem that stops a file from loading, as `--json` lists it. */
interface FileProblem {
  readonly source: string
  readonly line?: number
  readonly column?: number
  readonly path?: string
  readonly message: string
  readonly explanation?: string
}

/** A config file loaded, or why not: as text for people and as a list for `--json`. */
type ReadOutcome = { readonly snapshot: Snapshot } | { readonly text: string; readonly errors: readonly FileProblem[] }

/**
 * Reads and loads a config file (or a directory) the way `declarative_config` is read; vault
 * references are resolved from the environment unless `resolveVaultReferences` is false.
 */
export async function readConfigFile(path: string, shown: string, resolveVaultReferences: boolean): Promise<ReadOutcome> {
  return readConfigFiles([{ path, source: shown }], resolveVaultReferences)
}

/** Reads and loads several files and directories as one config, merged as `declarative_config` merges them. */
async function readConfigFiles(paths: readonly ConfigPath[], resolveVaultReferences: boolean): Promise<ReadOutcome> {
  try {
    const texts = await readDeclarativeFiles(paths, DEFAULT_LIMITS)
    return { snapshot: await loadDeclarativeFiles(texts, { pluginSchemas: bundledPluginSchema, resolveVaultReferences }) }
  } catch (err) {
    if (err instanceof ConfigReadError) return { text: err.reason, errors: [{ source: err.source, message: err.reason }] }
    if (err instanceof ConfigParseError) {
      const where = err.line === undefined ? {} : { line: err.line, column: err.column ?? 1 }
      return { text: `Failed parsing:\n${err.location}: ${err.message}`, errors: [{ source: err.source, ...where, message: err.message }] }
    }
    if (err instanceof DeclarativeConfigError) {
      const located = err.located()
      const lines = located.map((l) => `${l.source}${l.line === undefined ? '' : `:${l.line}:${l.column}`}: ${l.path}: ${l.message}${l.explanation === undefined ? '' : ` (${l.explanation})`}`)
      const count = err.issues.length
      return { text: `Failed parsing: ${count} error${count === 1 ? '' : 's'}\n${lines.join('\n')}\n\n${err.pretty()}`, errors: located }
    }
    throw err
  }
}
