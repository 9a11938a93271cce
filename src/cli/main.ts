/** Argument dispatch for the `kong-dbless` verbs. */
import { PRODUCT, VERSION } from '../version.js'
import { printError, type CliIo, type NodeRunner } from './io.js'
import { drainCommand, healthCommand, quitCommand, reloadCommand, startCommand } from './node-commands.js'
import { MAIN_USAGE, usageOf, wantsHelp } from './usage.js'

/** Runs one CLI invocation; resolves to the process exit status. */
export async function runCli(argv: readonly string[], io: CliIo, runNode: NodeRunner): Promise<number> {
  const [verb, ...rest] = argv
  // `VERB --help` prints VERB's usage on stderr and does nothing else, as Kong's commands do.
  const usage = verb === undefined ? undefined : usageOf(verb)
  if (usage !== undefined && wantsHelp(rest)) {
    io.stderr.write(usage)
    return 0
  }
  switch (verb) {
    case 'config':
      // Loaded by `config` only: the config code is most of the CLI, and the node's verbs
      // (reload, quit, health: run by orchestrators, often on a busy machine) start without it.
      return (await import('./config-commands.js')).configCommand(rest, io)
    case 'hybrid':
      return (await import('./hybrid-commands.js')).hybridCommand(rest, io)
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
      io.stderr.write(MAIN_USAGE)
      return verb === undefined ? 1 : 0
    default:
      printError(io, `unknown command '${verb}'`)
      io.stderr.write(`\n${MAIN_USAGE}`)
      return 1
  }
}
