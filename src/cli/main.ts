/** Argument dispatch for the `kong-dbless` verbs. */
import { PRODUCT, VERSION } from '../version.js'
import { configCommand } from './config-commands.js'
import { printError, type CliIo } from './io.js'
import { startCommand } from './start.js'

const USAGE = `Usage: ${PRODUCT} COMMAND [OPTIONS]

Commands:
  start                  serve KONG_DECLARATIVE_CONFIG on KONG_PROXY_LISTEN and KONG_STATUS_LISTEN
  config parse FILE      validate a declarative config; exit 1 with every error and where it is
  config hash FILE       print the configuration_hash a node started on FILE reports
  config init [FILE]     write a starter kong.yml (default ./kong.yml)
  config schema [FILE]   print (or write) the JSON Schema of kong.yml, for editors and linters
  version                print the version
`

/** Runs one CLI invocation; resolves to the process exit status. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = argv
  switch (verb) {
    case 'config':
      return configCommand(rest, io)
    case 'start':
      return startCommand(process.env, io)
    case 'version':
    case '--version':
    case '-v':
      io.stdout.write(`${PRODUCT} ${VERSION}\n`)
      return 0
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout.write(USAGE)
      return verb === undefined ? 1 : 0
    default:
      printError(io, `unknown command '${verb}'`)
      io.stderr.write(`\n${USAGE}`)
      return 1
  }
}
