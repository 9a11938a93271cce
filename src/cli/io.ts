import type { NodeConf } from '../conf/settings.js'

/** Where CLI commands write, injected so tests can run them in-process too. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown }
  readonly stderr: { write(text: string): unknown }
  readonly cwd: string
}

/** Runs a node until it stops; resolves to its exit status. Given by the entry point, so the CLI never imports the composition root. */
export type NodeRunner = (conf: NodeConf, opts: { cwd: string }) => Promise<number>

/** Kong's CLI error form: `Error: <message>` on stderr, exit status 1. */
export function printError(io: CliIo, message: string): number {
  io.stderr.write(`Error: ${message}\n`)
  return 1
}
