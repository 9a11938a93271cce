#!/usr/bin/env node
/** The `kong-dbless` command: hands argv to the CLI, with the node to run for `start`, and exits with its status. */
import type { NodeRunner } from './cli/io.js'
import { runCli } from './cli/main.js'

// `kong-dbless config schema | head` closes our stdout early; that is not an error. A running
// node is another matter: its logs handle their own write errors and it goes on serving.
if (process.argv[2] !== 'start') {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw err
  })
}

// The node's code is loaded only by `start`: the other verbs stay quick to start.
const runNode: NodeRunner = async (conf, opts) => (await import('./server/primary.js')).runNode(conf, opts)

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }, runNode)
