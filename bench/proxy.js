// bench/proxy: requests through the node to a local upstream, against a minimal node:http +
// undici Pool.stream proxy (bench/baseline-proxy.js, the shared harness's `node-undici-stream`)
// measured in the same run. Targets: requests per proxy CPU-second >= 0.9 x the baseline's with
// 10 routes and >= 0.85 x with 20,000 routes; p99 at 1 connection <= 1.5 ms.
//
//   npm run build && node bench/proxy.js        (or: import('./proxy.js').then((m) => m.run()))
//
// Layout (as ../shared/bench/proxy-bench.sh): the proxy under test alone on CPU 1, the load
// generator and the upstream on CPU 0 (taskset; without it, or with fewer than 2 CPUs, nothing is
// pinned and a note says so). Each proxy starts in its own process group; the node runs with
// KONG_NGINX_WORKER_PROCESSES=1, the admin API off, the status API on a free port (to wait for
// /status/ready), a temp prefix, and a generated kong.yml: 10 routes, then 20,000 routes (mixed
// plain and wildcard hosts, prefixes, 5% regex `~` paths) in which the route the load hits sits
// mid-file among routes that also match it (a wildcard host, a shorter prefix, a path-only route)
// and routes that outrank it but do not match (a regex with regex_priority, a twin with a header
// more, a POST-only twin, and thousands with a host, GET and a longer /api/vN/... prefix). Inherited KONG_* variables are dropped so they cannot change what is measured.
//
// For each of baseline, node with 10 routes, node with 20k routes: after a warm-up at 50
// connections, a run at 50 connections (req/s, p50/p99) and one at 1 connection (p50/p99: the
// latency a proxy adds with no queueing); the proxy group's CPU seconds during the 50-connection
// run (/proc/<pid>/stat of every process in the group: the node's primary and worker), requests
// per proxy CPU-second, RSS of the group. req/s only means something when the proxy CPU is the
// bottleneck; when the load CPU is busy near 100% req per proxy CPU-s is the fair comparison.
// "CPU 1 others" is the share of the proxy's CPU used by processes outside the bench: on a quiet
// machine a few percent, and figures taken beside busy neighbours should not be trusted.
//
// Before measuring a node it is checked to forward: GET /api/v1/hit/items with Host
// svc-hit.bench.test must answer the upstream's 200 "ok". When it does not (the node answered
// Kong's 404 "no Route matched" until routing landed), a line says so, that node's measurements
// are skipped, the baseline is still measured, and run() returns false.
//
// Load generator: wrk (apt package `wrk`), else autocannon (devDependency, run as a child by
// bench/proxy-autocannon.js). Upstream: nginx `return 200 'ok'` (1 worker) when nginx is
// installed, as the shared harness, else bench/proxy-upstream.js (node:http answering 200 "ok").
// A Node upstream and autocannon on one CPU saturate it sooner than nginx and wrk: req/s are then
// the load side's limit, while req per proxy CPU-s stays comparable.
//
// Environment (all optional):
//   PROXY_BENCH_SECONDS=10       seconds of each measured run
//   PROXY_BENCH_WARMUP=3         seconds of unmeasured load at 50 connections before them
//   PROXY_BENCH_CONNECTIONS=50   connections of the throughput run
//   PROXY_BENCH_ROUNDS=1         rounds; the order of the three targets rotates; medians reported
//   PROXY_BENCH_ROUTES=20000     routes of the big config
//   PROXY_BENCH_PROXY_CPU=1, PROXY_BENCH_LOAD_CPU=0
//   PROXY_BENCH_LOADGEN=wrk|autocannon, PROXY_BENCH_UPSTREAM=nginx|node (default: as found)
//   PROXY_BENCH_READY_TIMEOUT=120  seconds a proxy may take to be ready (a 20k config loads first)
//   PROXY_BENCH_MAX_OTHER=10, PROXY_BENCH_RETRIES=3  measure a target again (at most RETRIES more
//                                times, 5 s apart) when other processes used more than MAX_OTHER %
//                                of the proxy's CPU during its runs, as the shared harness does
//   PROXY_BENCH_NODE_CMD='...'   run this instead of the node in the node slots, under bash -c,
//                                with the shared harness's contract: PROXY_PORT, UPSTREAM_HOST,
//                                UPSTREAM_PORT, UPSTREAM_URL, BENCH_KONG_YML (the slot's config),
//                                BENCH_TMP. Ready when it answers any HTTP. For testing this
//                                harness, e.g. PROXY_BENCH_NODE_CMD='exec node bench/baseline-proxy.js'
//                                (run from the checkout) must give ratios near 1 and targets OK.
//   PROXY_BENCH_SHARED=1         then also run ../shared/bench/proxy-bench.sh from a copy in a temp
//                                folder (npm ci there; needs wrk, nginx, taskset, setsid, curl) with
//                                --proxy pointing at the node (or PROXY_BENCH_NODE_CMD) as its
//                                README shows, and print its report path. Its arguments:
//                                PROXY_BENCH_SHARED_ARGS (default "--builtin nginx,node-undici-stream
//                                --rounds 2"); its results folder, kept: PROXY_BENCH_SHARED_OUT
//                                (default $TMPDIR/kong-dbless-proxy-bench-shared-<time>). Its
//                                figures are printed, not judged.
//   PROXY_BENCH_SHARED_DIR=../shared/bench  where the shared harness is (read only: it is copied)
//
// Every process started here runs in its own process group and is stopped (TERM, KILL after 5 s)
// when its measurement ends, on error, on SIGINT/SIGTERM and at exit; temp folders are removed.
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '..')
const CLI = join(ROOT, 'dist', 'cli.js')
const BASELINE = join(HERE, 'baseline-proxy.js')
const UPSTREAM = join(HERE, 'proxy-upstream.js')
const AUTOCANNON = join(HERE, 'proxy-autocannon.js')

/** A number from the environment: positive, or also 0 when `zero` allows it. */
const envNum = (name, dflt, { zero = false } = {}) => {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return dflt
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zero)) throw new Error(`${name}=${raw}: want a ${zero ? 'non-negative' : 'positive'} number`)
  return n
}

const TARGETS = { tenRoutes: 0.9, bigRoutes: 0.85, p99c1Ms: 1.5 }
const HIT = { host: 'svc-hit.bench.test', path: '/api/v1/hit/items' }
const MISS = { host: 'nothing.bench.test', path: '/no/route/here' }
const STOP_GRACE_MS = 5_000

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const has = (tool) => spawnSync('bash', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })

/** One exchange on a fresh connection; resolves with status, headers and body, rejects on error. */
function http(url, { host, timeout = 2_000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: host ? { host } : {} }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }))
    })
    req.setTimeout(timeout, () => req.destroy(new Error(`no answer in ${timeout} ms`)))
    req.on('error', reject)
    req.end()
  })
}

// ---------------------------------------------------------------------------------------------
// Configs

const q = (s) => JSON.stringify(s) // a YAML double-quoted scalar (JSON escapes are YAML's)

/**
 * A kong.yml of `count` routes, every service pointing at the upstream. The route the load hits
 * (`hit`: Host svc-hit.bench.test, prefix /api/v1/hit, GET) sits a little past the middle of the file, among:
 * routes that match the same request but rank lower (a wildcard host, a shorter prefix on the
 * same host, the same prefix without a host) and routes that rank higher or as high but do not
 * match (a longer prefix, a regex with regex_priority 10, the same route for POST only, the same
 * route plus a header; and a quarter of the rest: host + longer /api/vN/... prefix + GET). The
 * rest: plain hosts, wildcard hosts, prefixes, and 5% regex paths.
 */
export function routesConfig(count, upstreamUrl) {
  const special = [
    { name: 'decoy-wildcard', hosts: ['*.bench.test'], paths: ['/api'] },
    { name: 'decoy-short-prefix', hosts: [HIT.host], paths: ['/api/v1'] },
    { name: 'decoy-longer-prefix', hosts: [HIT.host], paths: ['/api/v1/hit/items-archive'] },
    { name: 'decoy-regex', hosts: [HIT.host], paths: ['~/api/v1/hit/items/\\d+$'], regex_priority: 10 },
    { name: 'hit', hosts: [HIT.host], paths: ['/api/v1/hit'], methods: ['GET'] },
    { name: 'decoy-no-host', paths: ['/api/v1/hit'] },
    { name: 'decoy-post', hosts: [HIT.host], paths: ['/api/v1/hit'], methods: ['POST'] },
    { name: 'decoy-header', hosts: [HIT.host], paths: ['/api/v1/hit'], methods: ['GET'], headers: { 'x-tenant': ['gold'] } },
  ]
  if (count < special.length + 2) throw new Error(`a config needs at least ${special.length + 2} routes`)
  // Spread over the file in this order: the hit a little past the middle, decoys on both sides.
  const at = new Map(special.map((r, k) => [Math.floor(((k + 1) * count) / (special.length + 1)), r]))
  if (at.size !== special.length) throw new Error('special routes collide')
  const filler = (i) => {
    if (i % 20 === 7) return { name: `r-${i}`, hosts: i % 40 === 7 ? [`h${i % 500}.bench.test`] : undefined, paths: [`~/r${i}/items/(?<id>\\d+)$`], regex_priority: i % 3 }
    switch (i % 4) {
      case 0:
        return { name: `r-${i}`, hosts: [`h${i}.bench.test`], paths: [`/p${i}`] }
      case 1:
        return { name: `r-${i}`, hosts: [`*.w${i % 200}.bench.test`], paths: [`/w${i}`] }
      case 2:
        return { name: `r-${i}`, paths: [`/p${i}/items`, `/q${i}`], methods: ['GET', 'POST'] }
      default:
        return { name: `r-${i}`, hosts: [`h${i % 500}.bench.test`, `alt-${i % 97}.bench.test`], paths: [`/api/v${i % 7}/x${i}`], methods: ['GET'] }
    }
  }
  const perService = count <= 100 ? 2 : 20
  const out = ['_format_version: "3.0"', 'services:']
  for (let i = 0; i < count; i++) {
    if (i % perService === 0) out.push(`  - name: svc-${i / perService}`, `    url: ${q(upstreamUrl)}`, '    routes:')
    const r = at.get(i) ?? filler(i)
    out.push(`      - name: ${q(r.name)}`)
    if (r.hosts) out.push(`        hosts: [${r.hosts.map(q).join(', ')}]`)
    out.push(`        paths: [${r.paths.map(q).join(', ')}]`)
    if (r.methods) out.push(`        methods: [${r.methods.join(', ')}]`)
    if (r.headers) out.push(`        headers: {${Object.entries(r.headers).map(([k, v]) => `${q(k)}: [${v.map(q).join(', ')}]`).join(', ')}}`)
    if (r.regex_priority) out.push(`        regex_priority: ${r.regex_priority}`)
  }
  return `${out.join('\n')}\n`
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Process groups started here (pgid -> { child, exited }), and temp folders to remove. */
const groups = new Map()
const tempDirs = new Set()

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
 * Starts `argv` in a new process group (pinned to `cpu` when pinning), output to `log`. A
 * detached child calls setsid() before exec, and taskset execs in place, so its pid is the group's id.
 */
function startGroup(argv, { cpu, pin, env, log, cwd = ROOT, stdio }) {
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

const groupAlive = (pgid) => {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

/** TERM to the whole group, KILL after STOP_GRACE_MS; waits for the leader to be reaped. */
async function stopGroup(g) {
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

const logTail = (path, lines = 15) => {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `    | ${l}`).join('\n')
  } catch {
    return '    | (no log)'
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

const snapshot = (pgid) => ({ at: performance.now(), group: groupUsage(pgid), cpus: cpuTicks() })

/** What happened between two snapshots: the group's CPU seconds and each CPU's busy share. */
function window(a, b, { pin, proxyCpu, loadCpu }) {
  const proxyCpuS = (b.group.ticks - a.group.ticks) / CLK_TCK
  const busy = (i) => {
    const x = a.cpus[i]
    const y = b.cpus[i]
    if (!x || !y || y.total === x.total) return { share: NaN, busyS: NaN, totalS: NaN }
    return { share: (y.busy - x.busy) / (y.total - x.total), busyS: (y.busy - x.busy) / CLK_TCK, totalS: (y.total - x.total) / CLK_TCK }
  }
  const p = busy(Number(proxyCpu))
  const l = busy(Number(loadCpu))
  return {
    wallS: (b.at - a.at) / 1000,
    proxyCpuS,
    rssKb: b.group.rssKb,
    processes: b.group.processes,
    loadCpuBusy: pin ? l.share : NaN,
    // Whatever ran on the proxy's CPU but the proxy, as a share of that CPU.
    proxyCpuOthers: pin ? Math.max(0, (p.busyS - proxyCpuS) / p.totalS) : NaN,
  }
}

// ---------------------------------------------------------------------------------------------
// Load

const WRK_LUA = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,' ..
    '"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,"p999_us":%.0f,"max_us":%.0f,"mean_us":%.1f}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
`

/** One load run against `url` (Host: HIT.host); the BENCH_JSON figures, and errors summed. */
async function load(ctx, url, connections, seconds) {
  const secs = Math.max(1, Math.round(seconds))
  const argv =
    ctx.loadgen === 'wrk'
      ? ['wrk', '-t1', `-c${connections}`, `-d${secs}s`, '--latency', '-s', ctx.wrkLua, '-H', `Host: ${HIT.host}`, url]
      : [process.execPath, AUTOCANNON, JSON.stringify({ url, connections, duration: secs, headers: { host: HIT.host } })]
  const g = startGroup(argv, { cpu: ctx.loadCpu, pin: ctx.pin, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  g.child.stdout.on('data', (c) => (out += c))
  g.child.stderr.on('data', (c) => (out += c))
  const timer = setTimeout(() => stopGroup(g), (secs + 30) * 1000)
  const { code, signal } = await g.exited
  clearTimeout(timer)
  groups.delete(g.pgid)
  const m = /^BENCH_JSON (.*)$/m.exec(out)
  if (!m) throw new Error(`${ctx.loadgen} gave no result (exit ${code ?? signal}):\n${out.slice(-2000)}`)
  const r = JSON.parse(m[1])
  r.errors = r.err_connect + r.err_read + r.err_write + r.err_status + r.err_timeout
  r.rps = r.requests / (r.duration_us / 1e6)
  return r
}

// ---------------------------------------------------------------------------------------------
// Targets

/** The environment of a child: ours without KONG_* (they would override what is measured). */
function cleanEnv(extra) {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KONG_')) env[k] = v
  return { ...env, ...extra }
}

/** Starts a target and waits until it is ready; returns { g, port, readyMs } or { error }. */
async function startTarget(ctx, t) {
  const port = await freePort()
  const log = join(ctx.tmp, `${t.key}.r${ctx.round}.log`)
  const common = { UPSTREAM_HOST: '127.0.0.1', UPSTREAM_PORT: String(ctx.upstreamPort), UPSTREAM_URL: ctx.upstreamUrl, PROXY_PORT: String(port) }
  let argv
  let env
  let statusPort
  if (t.kind === 'baseline') {
    argv = [process.execPath, BASELINE]
    env = cleanEnv(common)
  } else if (ctx.nodeCmd) {
    argv = ['bash', '-c', ctx.nodeCmd]
    env = cleanEnv({ ...common, BENCH_KONG_YML: t.config, BENCH_TMP: ctx.tmp })
  } else {
    statusPort = await freePort()
    const prefix = join(ctx.tmp, `prefix-${t.key}-r${ctx.round}`)
    argv = [process.execPath, CLI, 'start']
    env = cleanEnv({
      KONG_DATABASE: 'off',
      KONG_PREFIX: prefix,
      KONG_DECLARATIVE_CONFIG: t.config,
      KONG_PROXY_LISTEN: `127.0.0.1:${port}`,
      KONG_ADMIN_LISTEN: 'off',
      KONG_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      KONG_NGINX_WORKER_PROCESSES: '1',
      KONG_LOG_LEVEL: 'warn',
    })
  }
  const t0 = performance.now()
  const g = startGroup(argv, { cpu: ctx.proxyCpu, pin: ctx.pin, env, log, cwd: t.kind === 'node' && !ctx.nodeCmd ? ctx.tmp : ROOT })
  const deadline = t0 + ctx.readyTimeoutS * 1000
  let last
  for (;;) {
    if (g.done) {
      await stopGroup(g)
      return { error: `exited before it was ready (${JSON.stringify(await g.exited)}); log tail:\n${logTail(log)}` }
    }
    try {
      if (statusPort !== undefined) {
        const r = await http(`http://127.0.0.1:${statusPort}/status/ready`)
        last = `/status/ready ${r.status} ${r.body.slice(0, 300)}`
        if (r.status === 200) break
      } else {
        // Baseline or PROXY_BENCH_NODE_CMD: ready once the proxy answers at all.
        await http(`http://127.0.0.1:${port}${HIT.path}`, { host: HIT.host })
        break
      }
    } catch (err) {
      last = err.code ?? err.message
    }
    if (performance.now() > deadline) {
      await stopGroup(g)
      return { error: `not ready after ${ctx.readyTimeoutS} s (last: ${last}); log tail:\n${logTail(log)}` }
    }
    await sleep(50)
  }
  return { g, port, log, readyMs: performance.now() - t0 }
}

/** Does the proxy forward the hit request to the upstream? Returns undefined if so, else why not. */
async function checkForwards(ctx, port) {
  let r
  try {
    r = await http(`http://127.0.0.1:${port}${HIT.path}`, { host: HIT.host })
  } catch (err) {
    return `GET ${HIT.path} (Host ${HIT.host}) failed: ${err.code ?? err.message}`
  }
  if (r.status === 200 && r.body === ctx.upstreamBody) return undefined
  let body = r.body.slice(0, 200)
  try {
    body = JSON.stringify(JSON.parse(r.body).message) // Kong's errors: {"message": ..., "request_id": ...}
  } catch {
    body = JSON.stringify(body)
  }
  const noRoute = r.status === 404 && /no Route matched/.test(r.body)
  return `GET ${HIT.path} (Host ${HIT.host}) answered ${r.status} ${body}${noRoute ? ': the node does not route yet' : `, not the upstream's 200 ${JSON.stringify(ctx.upstreamBody)}`}`
}

async function measureTarget(ctx, t) {
  const started = await startTarget(ctx, t)
  if (started.error) return { failed: started.error }
  const { g, port, readyMs } = started
  try {
    const notForwarding = await checkForwards(ctx, port)
    if (notForwarding) return { notForwarding: `${notForwarding} (it was ready after ${readyMs.toFixed(0)} ms)` }
    let missForwarded = false
    if (t.kind === 'node') {
      // No route matches this one; a proxy that forwards it anyway is not routing by the config.
      const miss = await http(`http://127.0.0.1:${port}${MISS.path}`, { host: MISS.host }).catch(() => undefined)
      missForwarded = miss?.status === 200
    }
    const url = `http://127.0.0.1:${port}${HIT.path}`
    let tp, lat, tpw, latw
    for (let attempt = 1; ; attempt++) {
      if (ctx.warmupS > 0) await load(ctx, url, ctx.connections, ctx.warmupS)
      const s0 = snapshot(g.pgid)
      tp = await load(ctx, url, ctx.connections, ctx.seconds)
      const s1 = snapshot(g.pgid)
      lat = await load(ctx, url, 1, ctx.seconds)
      const s2 = snapshot(g.pgid)
      if (g.done || !groupAlive(g.pgid)) return { failed: `exited during the measurement; log tail:\n${logTail(started.log)}` }
      tpw = window(s0, s1, ctx)
      latw = window(s1, s2, ctx)
      const others = Math.max(tpw.proxyCpuOthers, latw.proxyCpuOthers)
      if (!(others > ctx.maxOther) || attempt > ctx.retries) break
      console.log(`  [round ${ctx.round}] ${t.label}: other processes used ${pctS(others)} of CPU ${ctx.proxyCpu} (over ${pctS(ctx.maxOther)}): measuring again`)
      await sleep(5_000)
    }
    return {
      readyMs,
      missForwarded,
      tp,
      lat,
      tpw,
      latw,
      reqPerCpuS: tp.requests / tpw.proxyCpuS,
      rssMiB: tpw.rssKb / 1024,
      processes: tpw.processes,
    }
  } finally {
    await stopGroup(g)
  }
}

// ---------------------------------------------------------------------------------------------
// Upstream

async function startUpstream(ctx) {
  const port = await freePort()
  const log = join(ctx.tmp, 'upstream.log')
  let argv
  if (ctx.upstream === 'nginx') {
    const dir = join(ctx.tmp, 'upstream-nginx')
    mkdirSync(join(dir, 'logs'), { recursive: true })
    writeFileSync(
      join(dir, 'nginx.conf'),
      `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  default_type text/plain;
  keepalive_timeout 75s;
  keepalive_requests 10000000;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / { return 200 'ok'; }
  }
}
`,
    )
    argv = ['nginx', '-p', dir, '-e', join(dir, 'logs', 'error.log'), '-c', join(dir, 'nginx.conf')]
  } else {
    argv = [process.execPath, UPSTREAM]
  }
  const g = startGroup(argv, { cpu: ctx.loadCpu, pin: ctx.pin, env: cleanEnv({ UPSTREAM_HOST: '127.0.0.1', UPSTREAM_PORT: String(port) }), log })
  const deadline = performance.now() + 10_000
  for (;;) {
    if (g.done) throw new Error(`the upstream (${ctx.upstream}) exited:\n${logTail(log)}`)
    try {
      const r = await http(`http://127.0.0.1:${port}/`)
      if (r.status === 200) return { g, port, body: r.body }
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`the upstream (${ctx.upstream}) did not answer 200 in 10 s:\n${logTail(log)}`)
    await sleep(20)
  }
}

// ---------------------------------------------------------------------------------------------
// The shared harness, optionally

async function runShared(ctx) {
  const src = resolve(process.env.PROXY_BENCH_SHARED_DIR ?? join(ROOT, '..', 'shared', 'bench'))
  const missing = ['wrk', 'nginx', 'taskset', 'setsid', 'curl'].filter((t) => !has(t))
  if (missing.length) {
    console.log(`  shared harness: not run, missing ${missing.join(', ')} (see ${join(src, 'README.md')})`)
    return
  }
  const copy = mkdtempSync(join(tmpdir(), 'kong-dbless-shared-bench-'))
  tempDirs.add(copy)
  cpSync(src, copy, { recursive: true, filter: (p) => !/[/\\](node_modules|results)([/\\]|$)/.test(p.slice(src.length)) })
  const outDir = resolve(process.env.PROXY_BENCH_SHARED_OUT ?? join(tmpdir(), `kong-dbless-proxy-bench-shared-${new Date().toISOString().replace(/[:.]/g, '-')}`))
  console.log(`  shared harness: npm ci in a copy (${copy}) ...`)
  const ci = startGroup(['npm', 'ci', '--no-audit', '--no-fund'], { env: cleanEnv({}), cwd: copy, log: join(ctx.tmp, 'shared-npm-ci.log') })
  const ciExit = await ci.exited
  groups.delete(ci.pgid)
  if (ciExit.code !== 0) {
    console.log(`  shared harness: npm ci failed (${JSON.stringify(ciExit)}):\n${logTail(join(ctx.tmp, 'shared-npm-ci.log'))}`)
    return
  }
  // PROXY_BENCH_NODE_CMD runs in the checkout's root here too, as in the node slots above.
  const command = ctx.nodeCmd
    ? `cd ${JSON.stringify(ROOT)} && ${ctx.nodeCmd}`
    : `KONG_DATABASE=off KONG_DECLARATIVE_CONFIG=$BENCH_KONG_YML KONG_PROXY_LISTEN=127.0.0.1:$PROXY_PORT KONG_ADMIN_LISTEN=off KONG_STATUS_LISTEN=off KONG_NGINX_WORKER_PROCESSES=1 KONG_PREFIX=$BENCH_TMP/kong exec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} start`
  const extra = (process.env.PROXY_BENCH_SHARED_ARGS ?? '--builtin nginx,node-undici-stream --rounds 2').split(/\s+/).filter(Boolean)
  const argv = ['bash', './proxy-bench.sh', ...extra, '--proxy', `kong-dbless:18100:${command}`, '--out', outDir]
  console.log(`  shared harness: ${argv.slice(1).map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}`)
  const run = startGroup(argv, { env: cleanEnv({}), cwd: copy, stdio: ['ignore', 'inherit', 'inherit'] })
  const exit = await run.exited
  groups.delete(run.pgid)
  console.log(`  shared harness: exit ${exit.code ?? exit.signal}; report: ${join(outDir, 'report.md')} (raw output and logs beside it)`)
}

// ---------------------------------------------------------------------------------------------
// Report

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-')
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-')
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-')
const pctS = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : '-')

/** Medians over rounds of the figures a table row shows. */
function summarize(results) {
  const ok = results.filter((r) => r && r.tp)
  if (ok.length === 0) return undefined
  const m = (f) => median(ok.map(f))
  return {
    rounds: ok.length,
    rps: m((r) => r.tp.rps),
    p50: m((r) => r.tp.p50_us / 1000),
    p99: m((r) => r.tp.p99_us / 1000),
    c1rps: m((r) => r.lat.rps),
    c1p50: m((r) => r.lat.p50_us / 1000),
    c1p99: m((r) => r.lat.p99_us / 1000),
    cpuS: m((r) => r.tpw.proxyCpuS),
    c1CpuS: m((r) => r.latw.proxyCpuS),
    reqPerCpuS: m((r) => r.reqPerCpuS),
    rss: m((r) => r.rssMiB),
    processes: m((r) => r.processes),
    readyMs: m((r) => r.readyMs),
    loadBusy: m((r) => r.tpw.loadCpuBusy),
    others: ok.flatMap((r) => [r.tpw.proxyCpuOthers, r.latw.proxyCpuOthers]).filter(Number.isFinite).reduce((a, b) => Math.max(a, b), -Infinity),
    errors: ok.reduce((n, r) => n + r.tp.errors + r.lat.errors, 0),
    missForwarded: ok.some((r) => r.missForwarded),
  }
}

export async function run() {
  const env = process.env
  const tmp = mkdtempSync(join(tmpdir(), 'kong-dbless-proxy-bench-'))
  tempDirs.add(tmp)
  const onSignal = (signal) => {
    console.log(`proxy: ${signal}: stopping every process started here`)
    killAllSync()
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.on('exit', killAllSync)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    return await runIn(tmp, env)
  } finally {
    for (const g of [...groups.values()]) await stopGroup(g)
    killAllSync()
    process.removeListener('exit', killAllSync)
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
}

async function runIn(tmp, env) {
  const proxyCpu = env.PROXY_BENCH_PROXY_CPU || '1'
  const loadCpu = env.PROXY_BENCH_LOAD_CPU || '0'
  for (const [name, v] of [['PROXY_BENCH_PROXY_CPU', proxyCpu], ['PROXY_BENCH_LOAD_CPU', loadCpu]]) if (!/^\d+$/.test(v)) throw new Error(`${name}=${v}: want a CPU number`)
  const notes = []
  let pin = has('taskset')
  if (!pin) notes.push('taskset not found: nothing is pinned (apt-get install util-linux); figures mix proxy and load on every CPU')
  else if (spawnSync('taskset', ['-c', `${proxyCpu},${loadCpu}`, 'true'], { stdio: 'ignore' }).status !== 0 || proxyCpu === loadCpu) {
    pin = false
    notes.push(`cannot pin to CPUs ${proxyCpu} and ${loadCpu} (${availableParallelism()} CPUs available): nothing is pinned`)
  }
  const loadgen = env.PROXY_BENCH_LOADGEN ?? (has('wrk') ? 'wrk' : 'autocannon')
  if (loadgen !== 'wrk' && loadgen !== 'autocannon') throw new Error(`PROXY_BENCH_LOADGEN=${loadgen}: want wrk or autocannon`)
  if (loadgen === 'wrk' && !has('wrk')) throw new Error('PROXY_BENCH_LOADGEN=wrk but wrk is not installed (apt-get install wrk)')
  if (loadgen === 'autocannon' && !env.PROXY_BENCH_LOADGEN) notes.push('wrk not found (apt-get install wrk): load from autocannon, slower, so req/s at 50 connections may be the load side\'s limit')
  const upstream = env.PROXY_BENCH_UPSTREAM ?? (has('nginx') ? 'nginx' : 'node')
  if (upstream !== 'nginx' && upstream !== 'node') throw new Error(`PROXY_BENCH_UPSTREAM=${upstream}: want nginx or node`)
  if (upstream === 'nginx' && !has('nginx')) throw new Error('PROXY_BENCH_UPSTREAM=nginx but nginx is not installed')
  const nodeCmd = env.PROXY_BENCH_NODE_CMD || undefined
  const ctx = {
    tmp,
    pin,
    proxyCpu,
    loadCpu,
    loadgen,
    upstream,
    nodeCmd,
    seconds: envNum('PROXY_BENCH_SECONDS', 10),
    warmupS: envNum('PROXY_BENCH_WARMUP', 3, { zero: true }),
    connections: envNum('PROXY_BENCH_CONNECTIONS', 50),
    readyTimeoutS: envNum('PROXY_BENCH_READY_TIMEOUT', 120),
    maxOther: envNum('PROXY_BENCH_MAX_OTHER', 10) / 100,
    retries: envNum('PROXY_BENCH_RETRIES', 3, { zero: true }),
    round: 0,
    wrkLua: join(tmp, 'wrk-report.lua'),
  }
  const rounds = envNum('PROXY_BENCH_ROUNDS', 1)
  const bigRoutes = envNum('PROXY_BENCH_ROUTES', 20_000)
  writeFileSync(ctx.wrkLua, WRK_LUA)
  if (!nodeCmd) {
    try {
      readFileSync(CLI)
    } catch {
      throw new Error(`${CLI} not found: run npm run build first`)
    }
  }

  const up = await startUpstream(ctx)
  ctx.upstreamPort = up.port
  ctx.upstreamUrl = `http://127.0.0.1:${up.port}`
  ctx.upstreamBody = up.body

  const targets = [
    { key: 'baseline', kind: 'baseline', label: 'baseline (node:http + undici Pool.stream)' },
    { key: 'node-10', kind: 'node', label: 'node, 10 routes', routes: 10 },
    { key: `node-${bigRoutes}`, kind: 'node', label: `node, ${bigRoutes} routes`, routes: bigRoutes },
  ]
  for (const t of targets.filter((t) => t.routes)) {
    t.config = join(tmp, `kong-${t.routes}.yml`)
    writeFileSync(t.config, routesConfig(t.routes, ctx.upstreamUrl))
  }

  const who = nodeCmd ? `PROXY_BENCH_NODE_CMD (${nodeCmd}) in the node slots` : 'kong-dbless (1 worker)'
  console.log(
    `proxy: ${who} against the baseline node:http + undici Pool.stream proxy; load ${loadgen}, upstream ${upstream} ('ok'); ` +
      `${pin ? `proxy on CPU ${proxyCpu}, load and upstream on CPU ${loadCpu}` : 'not pinned'}; ` +
      `${ctx.seconds} s runs at ${ctx.connections} and 1 connection after ${ctx.warmupS} s warm-up; ${rounds} round(s); GET ${HIT.path} Host ${HIT.host}`,
  )
  for (const n of notes) console.log(`  note: ${n}`)

  const results = new Map(targets.map((t) => [t.key, []]))
  const problems = new Map() // key -> line
  for (let round = 1; round <= rounds; round++) {
    ctx.round = round
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(k + round - 1) % targets.length]
      if (problems.has(t.key)) continue // not forwarding or failed: no use trying it again
      const r = await measureTarget(ctx, t)
      if (r.notForwarding) {
        problems.set(t.key, `${t.label}: NOT FORWARDING, not measured: ${r.notForwarding}`)
        console.log(`  ${problems.get(t.key)}`)
        continue
      }
      if (r.failed) {
        problems.set(t.key, `${t.label}: FAILED: ${r.failed}`)
        console.log(`  ${problems.get(t.key)}`)
        continue
      }
      results.get(t.key).push(r)
      console.log(
        `  [round ${round}] ${t.label}: ${f0(r.tp.rps)} req/s, p99 ${f2(r.tp.p99_us / 1000)} ms; c1 p99 ${f2(r.lat.p99_us / 1000)} ms; ` +
          `${f2(r.tpw.proxyCpuS)} proxy CPU-s, ${f0(r.reqPerCpuS)} req/CPU-s; CPU ${ctx.proxyCpu} others ${pctS(Math.max(r.tpw.proxyCpuOthers, r.latw.proxyCpuOthers))}`,
      )
    }
  }
  if (problems.has('baseline')) throw new Error(problems.get('baseline'))

  // --- Table
  const rows = targets.map((t) => ({ t, s: summarize(results.get(t.key)) }))
  const head = ['target', `c${ctx.connections} req/s`, 'p50 ms', 'p99 ms', 'c1 req/s', 'c1 p50', 'c1 p99', 'c1 CPU-s', 'CPU-s', 'req/CPU-s', 'RSS MiB', 'procs', 'ready ms', 'load CPU', `CPU${ctx.proxyCpu} others`, 'errors']
  const table = [head]
  for (const { t, s } of rows) {
    if (!s) table.push([t.label, `not measured: ${problems.get(t.key)?.includes('NOT FORWARDING') ? 'does not forward' : 'failed'}`])
    else table.push([t.label, f0(s.rps), f2(s.p50), f2(s.p99), f0(s.c1rps), f2(s.c1p50), f2(s.c1p99), f2(s.c1CpuS), f2(s.cpuS), f0(s.reqPerCpuS), f1(s.rss), f0(s.processes), f0(s.readyMs), pctS(s.loadBusy), pctS(s.others), String(s.errors)])
  }
  const widths = head.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)))
  for (const r of table) console.log(`  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}`)
  console.log(`  (medians over rounds; CPU-s (c1 CPU-s: during the 1-connection run), req/CPU-s and RSS of the proxy's process group during the ${ctx.connections}-connection run; "load CPU": how busy CPU ${ctx.loadCpu} was then; "CPU${ctx.proxyCpu} others": worst share of the proxy's CPU used by other processes)`)
  const baseline = rows[0].s
  const [ten, big] = [rows[1], rows[2]]
  for (const { t, s } of [ten, big]) {
    if (s?.missForwarded) console.log(`  warning: ${t.label}: GET ${MISS.path} (Host ${MISS.host}), which no route matches, was answered 200: the load may not be served by the hit route${nodeCmd ? ' (expected of a plain proxy in PROXY_BENCH_NODE_CMD)' : ''}`)
  }

  // --- Ratios and targets
  let allOk = problems.size === 0
  const ratio = (s) => (s ? s.reqPerCpuS / baseline.reqPerCpuS : NaN)
  const verdict = (ok) => (ok ? 'OK' : 'MISSED')
  for (const [{ t, s }, target] of [
    [ten, TARGETS.tenRoutes],
    [big, TARGETS.bigRoutes],
  ]) {
    if (!s) {
      console.log(`  ${t.label}: req per proxy CPU-s / baseline: not measured, ${problems.get(t.key) ? 'see above' : 'no result'} (target >= ${target}) MISSED`)
      allOk = false
      continue
    }
    const r = ratio(s)
    const ok = r >= target && s.errors === 0
    allOk &&= ok
    console.log(`  ${t.label}: req per proxy CPU-s ${f0(s.reqPerCpuS)} / baseline ${f0(baseline.reqPerCpuS)} = ${f2(r)} (target >= ${target})${s.errors ? `, ${s.errors} failed requests` : ''} ${verdict(ok)}`)
  }
  for (const { t, s } of [ten, big]) {
    if (!s) {
      console.log(`  ${t.label}: p99 at 1 connection: not measured (target <= ${TARGETS.p99c1Ms} ms) MISSED`)
      allOk = false
      continue
    }
    const ok = s.c1p99 <= TARGETS.p99c1Ms
    allOk &&= ok
    console.log(`  ${t.label}: p99 at 1 connection ${f2(s.c1p99)} ms (baseline ${f2(baseline.c1p99)} ms; target <= ${TARGETS.p99c1Ms} ms) ${verdict(ok)}`)
  }

  if (env.PROXY_BENCH_SHARED === '1') await runShared(ctx)
  await stopGroup(up.g)
  return allOk
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = (await run()) ? 0 : 1
  } catch (err) {
    console.error(`proxy: ${err.stack ?? err}`)
    process.exitCode = 1
  }
}
