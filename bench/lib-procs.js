// Processes of the pinned benches (bench/proxy.js, bench/tls.js): each started in its own process
// group, optionally pinned with taskset, stopped as a group; their CPU seconds and RSS from /proc;
// and the clean-up that stops them and removes temp folders on exit, SIGINT and SIGTERM.
import { spawn, spawnSync } from 'node:child_process'
import { createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The checkout's root, where children run unless told otherwise. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

const STOP_GRACE_MS = 5_000

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Is `tool` on the PATH? */
export const has = (tool) => spawnSync('bash', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0

/** A TCP port free on 127.0.0.1 at the time of asking. */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })

/** The environment of a child: ours without KONG_* (they would override what is measured). */
export function cleanEnv(extra) {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KONG_')) env[k] = v
  return { ...env, ...extra }
}

/** Process groups started here (pgid -> group), and temp folders to remove. */
const groups = new Map()
const tempDirs = new Set()

/** A temp folder removed by the clean-up of withCleanup(). */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  tempDirs.add(dir)
  return dir
}

function killAllSync() {
  for (const pgid of groups.keys()) {
    try {
      process.kill(-pgid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  groups.clear()
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
  tempDirs.clear()
}

/**
 * Runs `fn(tmp)` with a fresh temp folder; whatever way it ends (return, throw, SIGINT, SIGTERM,
 * exit), every group started meanwhile is stopped and every temp folder removed.
 */
export async function withCleanup(name, fn) {
  const tmp = tempDir(`kong-dbless-${name}-bench-`)
  const onSignal = (signal) => {
    console.log(`${name}: ${signal}: stopping every process started here`)
    killAllSync()
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.on('exit', killAllSync)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    return await fn(tmp)
  } finally {
    for (const g of [...groups.values()]) await stopGroup(g)
    killAllSync()
    process.removeListener('exit', killAllSync)
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
}

/**
 * Starts `argv` in a new process group (pinned to `cpu` when pinning), output to `log`. A
 * detached child calls setsid() before exec, and taskset execs in place, so its pid is the group's id.
 */
export function startGroup(argv, { cpu, pin, env, log, cwd = ROOT, stdio }) {
  const full = pin && cpu !== undefined ? ['taskset', '-c', String(cpu), ...argv] : argv
  const out = log ? createWriteStream(log) : undefined
  const child = spawn(full[0], full.slice(1), { cwd, env, detached: true, stdio: stdio ?? ['ignore', 'pipe', 'pipe'] })
  if (out) {
    out.on('error', () => {}) // a lost log line is no reason to stop a measurement
    child.stdout?.pipe(out, { end: false })
    child.stderr?.pipe(out, { end: false })
    child.once('close', () => out.end())
  }
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
    child.once('error', (err) => resolve({ code: null, signal: null, error: err.message })) // could not start
  })
  const g = { pgid: child.pid, child, exited, log, done: false }
  exited.then(() => (g.done = true))
  if (child.pid !== undefined) groups.set(child.pid, g)
  return g
}

/** Forgets a group that has exited by itself (a finished load run, a one-off command). */
export const forgetGroup = (g) => groups.delete(g.pgid)

/** Does any process of the group still run? */
export const groupAlive = (pgid) => {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

/** TERM to the whole group, KILL after STOP_GRACE_MS; waits for the leader to be reaped. */
export async function stopGroup(g) {
  if (!g || g.pgid === undefined) return
  try {
    process.kill(-g.pgid, 'SIGTERM')
  } catch {
    // already gone
  }
  const until = performance.now() + STOP_GRACE_MS
  while (performance.now() < until && (groupAlive(g.pgid) || !g.done)) await sleep(50)
  if (groupAlive(g.pgid)) {
    try {
      process.kill(-g.pgid, 'SIGKILL')
    } catch {
      // gone meanwhile
    }
  }
  await Promise.race([g.exited, sleep(2_000)])
  groups.delete(g.pgid)
}

/** The last lines of a log, indented for a report. */
export const logTail = (path, lines = 15) => {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `    | ${l}`).join('\n')
  } catch {
    return '    | (no log)'
  }
}

/**
 * Waits until `probe()` resolves true (it may throw: not ready yet, the message is kept as the
 * last answer) or the group exits or `timeoutS` pass; then stops the group and returns { error }.
 */
export async function waitReady(g, probe, timeoutS) {
  const t0 = performance.now()
  const deadline = t0 + timeoutS * 1000
  let last
  for (;;) {
    if (g.done) {
      await stopGroup(g)
      return { error: `exited before it was ready (${JSON.stringify(await g.exited)}); log tail:\n${logTail(g.log)}` }
    }
    try {
      const r = await probe()
      if (r === true) return { readyMs: performance.now() - t0 }
      last = r
    } catch (err) {
      last = err.code ?? err.message
    }
    if (performance.now() > deadline) {
      await stopGroup(g)
      return { error: `not ready after ${timeoutS} s (last: ${last}); log tail:\n${logTail(g.log)}` }
    }
    await sleep(50)
  }
}

// ---------------------------------------------------------------------------------------------
// /proc

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100
const PAGE_KB = (Number(spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).stdout.trim()) || 4096) / 1024

/** CPU ticks (user + system) and RSS (KiB) summed over every process of a process group. */
function groupUsage(pgid) {
  let ticks = 0
  let rssKb = 0
  let processes = 0
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    let stat
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8')
    } catch {
      continue // exited meanwhile
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // f[0] is field 3 (state)
    if (Number(f[2]) !== pgid) continue // field 5: pgrp
    ticks += Number(f[11]) + Number(f[12]) // fields 14, 15: utime, stime
    rssKb += Number(f[21]) * PAGE_KB // field 24: rss in pages
    processes++
  }
  return { ticks, rssKb, processes }
}

/** Busy and total ticks of each CPU, from /proc/stat. */
function cpuTicks() {
  const cpus = []
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line)
    if (!m) continue
    const [user, nice, system, idle, iowait, irq, softirq, steal] = m[2].split(/\s+/).map(Number)
    const busy = user + nice + system + irq + softirq + (steal || 0)
    cpus[Number(m[1])] = { busy, total: busy + idle + iowait }
  }
  return cpus
}

/** The group's CPU ticks and RSS and every CPU's ticks, now. */
export const snapshot = (pgid) => ({ at: performance.now(), group: groupUsage(pgid), cpus: cpuTicks() })

/** What happened between two snapshots: the group's CPU seconds and each CPU's busy share. */
export function window(a, b, { pin, proxyCpu, loadCpu }) {
  const proxyCpuS = (b.group.ticks - a.group.ticks) / CLK_TCK
  const busy = (i) => {
    const x = a.cpus[i]
    const y = b.cpus[i]
    if (!x || !y || y.total === x.total) return { share: NaN, busyS: NaN, totalS: NaN }
    return { share: (y.busy - x.busy) / (y.total - x.total), busyS: (y.busy - x.busy) / CLK_TCK, totalS: (y.total - x.total) / CLK_TCK }
  }
  const p = busy(Number(proxyCpu))
  const l = busy(Number(loadCpu))
  const wallS = (b.at - a.at) / 1000
  return {
    wallS,
    proxyCpuS,
    // How much of one CPU the proxy used: near 100% when it is the bottleneck.
    proxyBusy: proxyCpuS / wallS,
    rssKb: b.group.rssKb,
    processes: b.group.processes,
    loadCpuBusy: pin ? l.share : NaN,
    // Whatever ran on the proxy's CPU but the proxy, as a share of that CPU.
    proxyCpuOthers: pin ? Math.max(0, (p.busyS - proxyCpuS) / p.totalS) : NaN,
  }
}
