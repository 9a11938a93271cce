// Load for the pinned benches (bench/proxy.js, bench/tls.js): where things run (CPUs, load
// generator, upstream), one-off requests to check a proxy, load runs with wrk, autocannon or the
// new-connection-per-request TLS client, and measurements repeated when the proxy's CPU was shared.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { forgetGroup, groupAlive, has, logTail, sleep, snapshot, startGroup, stopGroup, window } from './lib-procs.js'
import { envNum, pctS } from './lib-report.js'

const AUTOCANNON = join(import.meta.dirname, 'proxy-autocannon.js')
const HANDSHAKE = join(import.meta.dirname, 'tls-handshake-load.js')

/**
 * The context of a pinned bench working in `tmp`, from `<prefix>_PROXY_CPU`, `_LOAD_CPU`,
 * `_LOADGEN`, `_UPSTREAM`, `_MAX_OTHER`, `_RETRIES`, `_SECONDS`, `_WARMUP`, `_CONNECTIONS` and
 * `_READY_TIMEOUT` (default `readyTimeoutS`): where things run, how long and how hard, and notes.
 * Without taskset, or with fewer CPUs than asked, nothing is pinned and a note says so.
 */
export function benchContext(env, prefix, tmp, { readyTimeoutS }) {
  const proxyCpu = env[`${prefix}_PROXY_CPU`] || '1'
  const loadCpu = env[`${prefix}_LOAD_CPU`] || '0'
  for (const [name, v] of [[`${prefix}_PROXY_CPU`, proxyCpu], [`${prefix}_LOAD_CPU`, loadCpu]]) if (!/^\d+$/.test(v)) throw new Error(`${name}=${v}: want a CPU number`)
  const notes = []
  let pin = has('taskset')
  if (!pin) notes.push('taskset not found: nothing is pinned (apt-get install util-linux); figures mix proxy and load on every CPU')
  else if (spawnSync('taskset', ['-c', `${proxyCpu},${loadCpu}`, 'true'], { stdio: 'ignore' }).status !== 0 || proxyCpu === loadCpu) {
    pin = false
    notes.push(`cannot pin to CPUs ${proxyCpu} and ${loadCpu} (${availableParallelism()} CPUs available): nothing is pinned`)
  }
  const loadgen = env[`${prefix}_LOADGEN`] ?? (has('wrk') ? 'wrk' : 'autocannon')
  if (loadgen !== 'wrk' && loadgen !== 'autocannon') throw new Error(`${prefix}_LOADGEN=${loadgen}: want wrk or autocannon`)
  if (loadgen === 'wrk' && !has('wrk')) throw new Error(`${prefix}_LOADGEN=wrk but wrk is not installed (apt-get install wrk)`)
  if (loadgen === 'autocannon' && !env[`${prefix}_LOADGEN`]) notes.push('wrk not found (apt-get install wrk): load from autocannon, slower, so req/s at 50 connections may be the load side\'s limit')
  const upstream = env[`${prefix}_UPSTREAM`] ?? (has('nginx') ? 'nginx' : 'node')
  if (upstream !== 'nginx' && upstream !== 'node') throw new Error(`${prefix}_UPSTREAM=${upstream}: want nginx or node`)
  if (upstream === 'nginx' && !has('nginx')) throw new Error(`${prefix}_UPSTREAM=nginx but nginx is not installed`)
  return {
    tmp,
    pin,
    proxyCpu,
    loadCpu,
    loadgen,
    upstream,
    notes,
    maxOther: envNum(`${prefix}_MAX_OTHER`, 10) / 100,
    retries: envNum(`${prefix}_RETRIES`, 3, { zero: true }),
    seconds: envNum(`${prefix}_SECONDS`, 10),
    warmupS: envNum(`${prefix}_WARMUP`, 3, { zero: true }),
    connections: envNum(`${prefix}_CONNECTIONS`, 50),
    readyTimeoutS: envNum(`${prefix}_READY_TIMEOUT`, readyTimeoutS),
    round: 0,
    wrkLua: writeWrkLua(tmp),
  }
}

/**
 * One exchange on a fresh connection (http: or https:, any certificate accepted, SNI from `host`);
 * resolves with status, headers, body and (https) `tls`: protocol and cipher; rejects on error.
 */
export function exchange(url, { host, timeout = 2_000 } = {}) {
  const tls = url.startsWith('https:')
  const options = { agent: false, headers: host ? { host } : {}, ...(tls ? { rejectUnauthorized: false, servername: host } : {}) }
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(url, options, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('error', reject)
      // What the TLS handshake agreed, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384".
      const agreed = tls ? `${res.socket.getProtocol()} ${res.socket.getCipher()?.name}` : undefined
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString(), tls: agreed }))
    })
    req.setTimeout(timeout, () => req.destroy(new Error(`no answer in ${timeout} ms`)))
    req.on('error', reject)
    req.end()
  })
}

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

/** Writes wrk's reporter script into `dir`; returns its path (ctx.wrkLua for load()). */
function writeWrkLua(dir) {
  const path = join(dir, 'wrk-report.lua')
  writeFileSync(path, WRK_LUA)
  return path
}

/**
 * One load run against `url` with Host `host`, pinned to the load CPU: `tool` wrk or autocannon
 * (keep-alive connections) or `handshakes` (bench/tls-handshake-load.js: a new TLS connection per
 * request). Returns the BENCH_JSON figures with `errors` summed and `rps`.
 */
export async function load(ctx, url, connections, seconds, { host, tool = ctx.loadgen }) {
  const secs = Math.max(1, Math.round(seconds))
  const spec = JSON.stringify({ url, connections, duration: secs, headers: { host } })
  const argv =
    tool === 'wrk'
      ? ['wrk', '-t1', `-c${connections}`, `-d${secs}s`, '--latency', '-s', ctx.wrkLua, '-H', `Host: ${host}`, url]
      : [process.execPath, tool === 'handshakes' ? HANDSHAKE : AUTOCANNON, spec]
  const g = startGroup(argv, { cpu: ctx.loadCpu, pin: ctx.pin, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  g.child.stdout.on('data', (c) => (out += c))
  g.child.stderr.on('data', (c) => (out += c))
  const timer = setTimeout(() => stopGroup(g), (secs + 30) * 1000)
  const { code, signal } = await g.exited
  clearTimeout(timer)
  forgetGroup(g)
  const m = /^BENCH_JSON (.*)$/m.exec(out)
  if (!m) throw new Error(`${tool} gave no result (exit ${code ?? signal}):\n${out.slice(-2000)}`)
  const r = JSON.parse(m[1])
  r.errors = r.err_connect + r.err_read + r.err_write + r.err_status + r.err_timeout
  r.rps = r.requests / (r.duration_us / 1e6)
  return r
}

/**
 * Measures the proxy group `g`: after `warmup()`, each of `runs` (functions doing one load run)
 * between /proc snapshots. When other processes used more than ctx.maxOther of the proxy's CPU
 * during any run, waits 5 s and measures again, at most ctx.retries more times, as the shared
 * harness does. Returns { runs: [{ r, w }] } (load figures, window), or { failed } if the proxy died.
 */
export async function measureQuiet(ctx, g, label, warmup, runs) {
  for (let attempt = 1; ; attempt++) {
    await warmup()
    const out = []
    let before = snapshot(g.pgid)
    for (const run of runs) {
      const r = await run()
      const after = snapshot(g.pgid)
      out.push({ r, w: window(before, after, ctx) })
      before = after
    }
    if (g.done || !groupAlive(g.pgid)) return { failed: `exited during the measurement; log tail:\n${logTail(g.log)}` }
    const others = Math.max(...out.map((x) => x.w.proxyCpuOthers))
    if (!(others > ctx.maxOther) || attempt > ctx.retries) return { runs: out }
    console.log(`  [round ${ctx.round}] ${label}: other processes used ${pctS(others)} of CPU ${ctx.proxyCpu} (over ${pctS(ctx.maxOther)}): measuring again`)
    await sleep(5_000)
  }
}
