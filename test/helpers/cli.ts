/** Runs the built `kong-dbless` binary as a real process and captures what it prints. */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Spawns `command args` in `cwd` with `env` (stdin closed) and collects its exit code and output. */
export function runProcess(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Spawns `node dist/cli.js ...args` in `cwd` and waits for it to exit. */
export function runBin(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return runProcess(process.execPath, [CLI, ...args], cwd, env)
}

/** Runs one CLI invocation in this process through `runCli`, with its output captured; `start` fails the call instead of running a node. */
export async function runInProcess(args: readonly string[], cwd: string): Promise<CliResult & { readonly started: boolean }> {
  // Imported here, not at the top: the node tests that use this file for CLI and runBin need not load the CLI.
  const { runCli } = await import('../../src/cli/main.js')
  let stdout = ''
  let stderr = ''
  let started = false
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd }
  const code = await runCli(args, io, () => {
    started = true
    return Promise.resolve(1)
  })
  return { code, stdout, stderr, started }
}
