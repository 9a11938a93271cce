/** `hybrid gen_cert`: the shared certificate and key a control plane and its data planes trust, as Kong's. */
import { chmodSync, lstatSync, rmSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { generateSelfSigned, SERVER_AND_CLIENT_AUTH } from '../tls/self-signed.js'
import { printError, type CliIo } from './io.js'
import { HYBRID_USAGE } from './usage.js'

/** Kong's default file names, in the current directory. */
const CERT_FILENAME = './cluster.crt'
const KEY_FILENAME = './cluster.key'
/** Kong's default validity: 3 years of 365 days. */
const DEFAULT_DAYS = 3 * 365
const DAY_SECONDS = 86_400
/** The last moment X.509 can express (GeneralizedTime has four year digits). */
const LAST_EXPRESSIBLE_MS = Date.UTC(9999, 11, 31, 23, 59, 59)

/** Dispatches `hybrid <sub>`; as Kong's, a missing sub-command prints the usage and exits 1. */
export async function hybridCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args
  if (sub === undefined) {
    io.stderr.write(HYBRID_USAGE)
    return 1
  }
  if (sub !== 'gen_cert') {
    printError(io, `No such command for hybrid: ${sub}`)
    io.stderr.write(`\n${HYBRID_USAGE}`)
    return 1
  }
  return genCert(rest, io)
}

/** `gen_cert [-d DAYS] [<cert> <key>]`: Kong's argument rules, messages and file modes. */
async function genCert(args: readonly string[], io: CliIo): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: [...args], options: { days: { type: 'string', short: 'd' } }, allowPositionals: true })
  } catch (err) {
    return printError(io, (err as Error).message)
  }
  const { values, positionals } = parsed
  const seconds = validitySeconds(values.days)
  if (typeof seconds === 'string') return printError(io, seconds)
  if (positionals.length !== 0 && positionals.length !== 2) return printError(io, 'both cert and key path needs to be provided')
  const certFile = resolve(io.cwd, positionals[0] ?? CERT_FILENAME)
  const keyFile = resolve(io.cwd, positionals[1] ?? KEY_FILENAME)
  // ngx.time() in Kong: whole seconds, so the validity is exactly the days asked for.
  const notBefore = Math.floor(Date.now() / 1000) * 1000
  const notAfter = notBefore + seconds * 1000
  if (notAfter > LAST_EXPRESSIBLE_MS) return printError(io, `--days ${values.days ?? ''} ends the validity after the year 9999`)
  for (const file of [certFile, keyFile]) {
    if (exists(file)) return printError(io, `${file} already exists.\nWill not overwrite it.`)
  }
  const pair = await generateSelfSigned({
    key: { type: 'ec', curve: 'P-384' },
    subject: 'CN=kong_clustering',
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    extendedKeyUsage: SERVER_AND_CLIENT_AUTH,
  })
  const written: string[] = []
  try {
    for (const [file, text, mode] of [[certFile, pair.cert, 0o644], [keyFile, pair.key, 0o600]] as const) {
      // 'wx' fails on anything that appeared since the check, a dangling symlink included.
      writeFileSync(file, text, { flag: 'wx', mode })
      written.push(file)
      // The umask may have taken bits off; Kong chmods to exactly these modes.
      chmodSync(file, mode)
    }
  } catch (err) {
    // Half a pair is no use and would block the next try: take back what was written.
    for (const file of written) rmSync(file, { force: true })
    const e = err as NodeJS.ErrnoException
    return printError(io, e.code === 'EEXIST' ? `${e.path ?? ''} already exists.\nWill not overwrite it.` : `could not write ${e.path ?? ''}: ${e.message}`)
  }
  io.stdout.write(`Successfully generated certificate/key pairs, they have been written to: '${certFile}' and '${keyFile}'.\n`)
  return 0
}

/** `--days` in whole seconds (Kong's default when absent), or why it is refused. */
function validitySeconds(days: string | undefined): number | string {
  if (days === undefined) return DEFAULT_DAYS * DAY_SECONDS
  // Lua's tonumber, as Kong's option parser uses it: spaces around and hex taken, '' and infinities not.
  const n = days.trim() === '' ? Number.NaN : Number(days)
  if (!Number.isFinite(n)) return `unable to convert to number: ${days}`
  const seconds = Math.floor(n * DAY_SECONDS)
  if (seconds < 1) return `--days must be a positive number of days, got ${days}`
  return seconds
}

/** True when anything, even a dangling symlink, is at the path. */
function exists(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}
