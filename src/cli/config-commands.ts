/** `config parse | hash | init | schema`: offline work on declarative config files. */
import { existsSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { ConfigParseError, DeclarativeConfigError } from '../declarative/errors.js'
import { STARTER_CONFIG } from '../declarative/init-template.js'
import { buildJsonSchema } from '../declarative/json-schema.js'
import { loadDeclarative } from '../declarative/load.js'
import { DEFAULT_LIMITS, decodeText, formatOfFile } from '../declarative/parse.js'
import type { Snapshot } from '../declarative/snapshot.js'
import { BUNDLED_PLUGIN_SCHEMAS, bundledPluginSchema } from '../plugins/registry.js'
import { PRODUCT, VERSION } from '../version.js'
import { FileReadError, readRegularFile } from '../util/files.js'
import { printError, type CliIo } from './io.js'
import { CONFIG_USAGE } from './usage.js'

/** `config hash`'s options: `--expect HASH` (or `--expect=HASH`), for drift checks in CI. */
function expectedHash(options: readonly string[]): { hash: string | undefined } | { error: string } {
  let hash: string | undefined
  for (let i = 0; i < options.length; i++) {
    const option = options[i]
    if (option === '--expect') hash = options[++i] ?? ''
    else if (option.startsWith('--expect=')) hash = option.slice('--expect='.length)
    else return { error: `unknown option '${option}' for config hash; see \`${PRODUCT} config --help\`` }
  }
  if (hash !== undefined && !/^[0-9a-f]{32}$/.test(hash)) return { error: `--expect takes a configuration hash: 32 lower-case hex digits, got '${hash}'` }
  return { hash }
}

/** Where a DB-less node's configuration goes in and comes out instead. */
const DB_LESS_HINT = `${PRODUCT} has no database: load a file with POST /config on the admin API (or set declarative_config and run \`${PRODUCT} reload\`), and read the running configuration with GET /config.`

/** Dispatches `config <sub>`. */
export async function configCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, file] = args
  switch (sub) {
    case 'parse':
    case 'hash': {
      if (file === undefined) {
        return printError(io, `expected a declarative configuration file; see \`${PRODUCT} config --help\``)
      }
      const expect = sub === 'hash' ? expectedHash(args.slice(2)) : { hash: undefined }
      if ('error' in expect) return printError(io, expect.error)
      // A hash reads references as written, so it needs none of the secrets at hand.
      const loaded = await loadFile(resolve(io.cwd, file), file, io, sub === 'parse')
      if (loaded === undefined) return 1
      for (const w of loaded.warnings) {
        io.stderr.write(`${w.source}${w.line === undefined ? '' : `:${w.line}:${w.column}`}: warning: ${w.path}: ${w.message}\n`)
      }
      io.stdout.write(sub === 'parse' ? 'parse successful\n' : `${loaded.hash}\n`)
      if (expect.hash !== undefined && expect.hash !== loaded.hash) {
        return printError(io, `configuration hash ${loaded.hash} of ${file} is not the expected ${expect.hash}`)
      }
      return 0
    }
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

/**
 * Reads, parses and validates a config file, printing what is wrong and where on failure;
 * vault references are resolved from the environment unless `resolveVaultReferences` is false.
 */
export async function loadFile(path: string, shown: string, io: CliIo, resolveVaultReferences = true): Promise<Snapshot | undefined> {
  try {
    const format = formatOfFile(shown)
    let bytes: Buffer
    try {
      bytes = await readRegularFile(path, DEFAULT_LIMITS.maxBytes)
    } catch (err) {
      if (err instanceof FileReadError) return void printError(io, `cannot read ${shown}: ${err.reason}`)
      throw err
    }
    const text = decodeText(bytes, shown)
    return await loadDeclarative(text, { source: shown, format, pluginSchemas: bundledPluginSchema, resolveVaultReferences })
  } catch (err) {
    if (err instanceof ConfigParseError) return void printError(io, `Failed parsing:\n${err.location}: ${err.message}`)
    if (err instanceof DeclarativeConfigError) {
      const lines = err.located().map((l) => `${l.source}${l.line === undefined ? '' : `:${l.line}:${l.column}`}: ${l.path}: ${l.message}${l.explanation === undefined ? '' : ` (${l.explanation})`}`)
      const count = err.issues.length
      return void printError(io, `Failed parsing: ${count} error${count === 1 ? '' : 's'}\n${lines.join('\n')}\n\n${err.pretty()}`)
    }
    throw err
  }
}
