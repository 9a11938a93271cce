/** Where CLI commands write, injected so tests can run them in-process too. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown }
  readonly stderr: { write(text: string): unknown }
  readonly cwd: string
}

/** Kong's CLI error form: `Error: <message>` on stderr, exit status 1. */
export function printError(io: CliIo, message: string): number {
  io.stderr.write(`Error: ${message}\n`)
  return 1
}
