/** Argument dispatch for the `kong-dbless` verbs. */
import { PRODUCT, VERSION } from '../version.js'
import { configCommand } from './config-commands.js'
import { printError, type CliIo, type NodeRunner } from './io.js'
import { drainCommand, healthCommand, quitCommand, reloadCommand, startCommand } from './node-commands.js'

const USAGE = `Usage: ${PRODUCT} COMMAND [OPTIONS]

Commands:
  start [-c CONF] [-p PREFIX]   run the node (KONG_* env > -c kong.conf > defaults)
  quit [-p PREFIX] [-t SECS]    stop gracefully (SIGQUIT), then SIGTERM after the timeout
  reload [-p PREFIX]            re-read declarative_config (SIGHUP)
  health [-p PREFIX]            exit 0 when the node in the prefix is running
  drain [-c CONF]               make /status/ready answer 503 from now on
  config parse FILE      validate a declarative config; exit 1 with every error and where it is
  config hash FILE       print the configuration_hash a node started on FILE reports
  config init [FILE]     write a starter kong.yml (default ./kong.yml)
  config schema [FILE]   print (or write) the JSON Schema of kong.yml, for editors and linters
  version                print the version
`

/** Runs one CLI invocation; resolves to the process exit status. */
export async function runCli(argv: readonly string[], io: CliIo, runNode: NodeRunner): Promise<number> {
  const [verb, ...rest] = argv
  switch (verb) {
    case 'config':
      return configCommand(rest, io)
    case 'start':
      return startCommand(rest, io, process.env, runNode)
    case 'quit':
      return quitCommand(rest, io, process.env)
    case 'reload':
      return reloadCommand(rest, io, process.env)
    case 'health':
      return healthCommand(rest, io, process.env)
    case 'drain':
      return drainCommand(rest, io, process.env)
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
