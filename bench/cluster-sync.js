// bench/cluster-sync: how long one control plane takes to bring N data planes (separate
// processes, 1 worker each) from a small config to the 10k-service / 20k-route / 1k-consumer
// config, against the time one node takes to load that config itself, measured in the same run:
// a traditional 1-worker node's POST /config of the same text until its /status shows the new
// hash and /status/ready answers 200. Also each data plane's CPU seconds for the push and its
// memory (RSS of its primary and its worker) with the small and with the 10k config. Target: 50
// data planes all serving the 10k config within 3 x the baseline. When 50 data planes holding the 10k config would not fit in
// the memory available, the largest number that fits is measured instead and the output says so.
// Settings: CLUSTER_BENCH_SIZES (comma-separated data plane counts, default 1,10,50),
// CLUSTER_BENCH_BASELINE_ROUNDS (default 3), CLUSTER_BENCH_TIMEOUT (seconds a sync may take, 300).
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateConfig } from './generate-config.js'
import { CLI, requireBuild } from './lib-node.js'
import { cleanEnv, freePort, logTail, sleep, startGroup, stopGroup, waitReady, withCleanup } from './lib-procs.js'
import { envNum, f0, f1, f2, median, printTable } from './lib-report.js'

/** Data plane counts measured, in order. */
const SIZES = (process.env.CLUSTER_BENCH_SIZES ?? '1,10,50').split(',').map((s) => {
  const n = Number(s)
  if (!Number.isInteger(n) || n < 1) throw new Error(`CLUSTER_BENCH_SIZES=${process.env.CLUSTER_BENCH_SIZES}: want positive whole numbers`)
  return n
})
/** Rounds of the baseline load; the median counts. */
const BASELINE_ROUNDS = envNum('CLUSTER_BENCH_BASELINE_ROUNDS', 3)
/** How long all data planes may take to serve a pushed config before the round is given up. */
const SYNC_TIMEOUT_MS = envNum('CLUSTER_BENCH_TIMEOUT', 300) * 1000
/** The target: the largest cluster all serving the 10k config within this many baselines. */
const TARGET_DPS = 50
const TARGET_RATIO = 3
/** How often the control plane's list is read during a push, and a data plane's status once it reported the hash. */
const POLL_MS = 50
/** How often a data plane's status is read before it reported the new hash to the control plane. */
const SLOW_POLL_MS = 1000
/** Data planes started at once: a start is mostly CPU, and the machine may have two. */
const START_PARALLEL = 4
const READY_TIMEOUT_S = 120
/** Memory left to the rest of the machine when deciding how many data planes fit. */
const RESERVE_KIB = 2 * 1024 * 1024

const EMPTY_HASH = '0'.repeat(32)

const SMALL = ['_format_version: "3.0"', 'services:', '  - name: small', '    url: http://127.0.0.1:9/', '    routes:', '      - name: small', '        paths: [/small]', ''].join('\n')

const agent = new Agent({ keepAlive: true, maxSockets: 2 })

/** One HTTP exchange on the shared keep-alive agent: { status, headers, body }. */
function http(url, { method = 'GET', body, headers } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method, headers }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

const json = async (url) => JSON.parse((await http(url)).body)

/** POSTs a YAML config to an admin API; returns the hash it made live (throws unless 201). */
async function postConfig(admin, text) {
  const r = await http(`${admin}/config`, { method: 'POST', body: text, headers: { 'Content-Type': 'application/yaml' } })
  if (r.status !== 201) throw new Error(`POST ${admin}/config answered ${r.status}: ${r.body.slice(0, 300)}`)
  return r.headers['x-kong-configuration-hash']
}

/**
 * Resolves with the ms after `t0` at which the node of `status` serves `hash`: polled with
 * /status/config every POLL_MS (one cheap read: its hash, and whether every worker applied it,
 * which is what /status/ready checks), then confirmed by /status's configuration_hash and
 * /status/ready 200. Resolves NaN once `expired()` is true. `seen`, when given, gets that last
 * /status/config answer (the node's own load timings, when its primary made the config live).
 * With `soon`, polled every SLOW_POLL_MS until `soon` resolves: reading 50 data planes 20 times
 * a second through a push of minutes would take CPU from the very loads measured.
 */
async function servesAt(status, hash, t0, expired, seen, soon) {
  let fast = soon === undefined
  soon?.then(() => (fast = true))
  for (;;) {
    try {
      const c = await json(`${status}/status/config`)
      if (c.configuration_hash === hash && c.workers.ready === c.workers.total) {
        const [s, ready] = await Promise.all([json(`${status}/status`), http(`${status}/status/ready`)])
        if (s.configuration_hash === hash && ready.status === 200) {
          seen?.push(c)
          return performance.now() - t0
        }
      }
    } catch {
      // busy or restarting: read again
    }
    if (expired()) return NaN
    await (fast ? sleep(POLL_MS) : Promise.race([sleep(SLOW_POLL_MS), soon]))
  }
}

/**
 * Reads the control plane's /clustering/data-planes every POLL_MS until `stop()` is true and
 * resolves each data plane's `reported` once its ping carries `hash`: a data plane pings as
 * soon as its primary made a config live, so only its workers' part is left to poll closely.
 */
async function watchReports(cp, dps, hash, stop) {
  const waiting = new Set(dps)
  while (waiting.size > 0 && !stop()) {
    try {
      const { data } = await json(`${cp.admin}/clustering/data-planes?size=1000`)
      const at = new Map(data.map((d) => [d.id, d.config_hash]))
      for (const dp of waiting) {
        if (at.get(dp.nodeId) !== hash) continue
        dp.report()
        waiting.delete(dp)
      }
    } catch {
      // busy: read again
    }
    await sleep(POLL_MS)
  }
  for (const dp of waiting) dp.report() // stopped early: poll the rest closely
}

/** VmRSS and VmHWM (KiB) of a process, from /proc/<pid>/status; zeros when it is gone. */
function procMem(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0)
    return { rss: kib('VmRSS'), hwm: kib('VmHWM') }
  } catch {
    return { rss: 0, hwm: 0 }
  }
}

/** RSS and peak RSS (KiB) of a node: its primary plus the workers /status lists (their pids too). */
async function nodeMem(node) {
  const s = await json(`${node.status}/status`)
  const pids = [node.g.pgid, ...s.memory.workers_lua_vms.map((w) => w.pid)]
  const mems = pids.map(procMem)
  return { rss: mems.reduce((a, m) => a + m.rss, 0), hwm: mems.reduce((a, m) => a + m.hwm, 0), pids }
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

/** CPU seconds (user + system, every thread) the processes `pids` have used so far, from /proc/<pid>/stat. */
function cpuSeconds(pids) {
  let ticks = 0
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // f[0] is field 3
      ticks += Number(f[11]) + Number(f[12]) // fields 14 and 15: utime, stime
    } catch {
      // gone: its time is lost, which the output would show as a low figure
    }
  }
  return ticks / CLK_TCK
}

/** KiB available to new processes, from /proc/meminfo. */
const memAvailableKib = () => Number(/^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0)

const mib = (kib) => kib / 1024

/** A function that is true once `ms` have passed from now. */
const within = (ms) => {
  const until = performance.now() + ms
  return () => performance.now() > until
}

/** Starts a node with 1 worker, log level warn, its own prefix and free ports; waits until /status/ready is 200. */
async function startNode(tmp, key, env, { admin = false } = {}) {
  const status = await freePort()
  const adminPort = admin ? await freePort() : undefined
  const g = startGroup([process.execPath, CLI, 'start'], {
    env: cleanEnv({
      KONG_PREFIX: join(tmp, `prefix-${key}`),
      KONG_PROXY_LISTEN: env.KONG_PROXY_LISTEN ?? `127.0.0.1:${await freePort()}`,
      KONG_ADMIN_LISTEN: admin ? `127.0.0.1:${adminPort}` : 'off',
      KONG_STATUS_LISTEN: `127.0.0.1:${status}`,
      KONG_NGINX_WORKER_PROCESSES: '1',
      KONG_LOG_LEVEL: 'warn',
      ...env,
    }),
    log: join(tmp, `${key}.log`),
    cwd: tmp,
  })
  const node = { key, g, status: `http://127.0.0.1:${status}`, admin: admin ? `http://127.0.0.1:${adminPort}` : undefined }
  const ready = await waitReady(g, async () => (await http(`${node.status}/status/ready`)).status === 200 || 'not ready', READY_TIMEOUT_S)
  if (ready.error) throw new Error(`${key}: ${ready.error}`)
  return node
}

/** The baseline: a traditional node's POST /config of the 10k config until it serves it, BASELINE_ROUNDS times. */
async function baseline(tmp, bigText) {
  const node = await startNode(tmp, 'baseline', { KONG_DECLARATIVE_CONFIG_STRING: SMALL }, { admin: true })
  const times = []
  const cpu = []
  let hash
  try {
    const { pids } = await nodeMem(node)
    for (let round = 0; round < BASELINE_ROUNDS; round++) {
      if (round > 0) {
        const small = await postConfig(node.admin, SMALL)
        if (Number.isNaN(await servesAt(node.status, small, performance.now(), within(SYNC_TIMEOUT_MS)))) throw new Error('baseline node did not take the small config back')
      }
      const cpu0 = cpuSeconds(pids)
      const t0 = performance.now()
      hash = await postConfig(node.admin, bigText)
      const ms = await servesAt(node.status, hash, t0, within(SYNC_TIMEOUT_MS))
      cpu.push(cpuSeconds(pids) - cpu0)
      if (Number.isNaN(ms)) throw new Error(`baseline node did not serve the 10k config within ${SYNC_TIMEOUT_MS / 1000} s; log tail:\n${logTail(node.g.log)}`)
      times.push(ms)
    }
    const mem = await nodeMem(node)
    return { ms: median(times), times, cpuS: median(cpu), hash, mem }
  } finally {
    await stopGroup(node.g)
  }
}

/** Runs `fn` over `items` with at most `limit` at a time; resolves with the results in order. */
async function pooled(items, limit, fn) {
  const out = []
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i])
      }
    }),
  )
  return out
}

/**
 * One round: `n` fresh data planes join the control plane (which serves the small config), then
 * the 10k config is posted to the control plane and every data plane is watched until it serves it.
 */
async function round(ctx, n, bigHash) {
  const { tmp, cp, cert, smallHash } = ctx
  const dpEnv = { KONG_ROLE: 'data_plane', KONG_CLUSTER_CONTROL_PLANE: `127.0.0.1:${cp.clusterPort}`, KONG_CLUSTER_CERT: cert.cert, KONG_CLUSTER_CERT_KEY: cert.key }
  const dps = []
  ctx.dps = dps
  const keys = Array.from({ length: n }, (_, i) => `dp${n}-${i}`)
  await pooled(keys, START_PARALLEL, async (key) => dps.push(await startNode(tmp, key, dpEnv)))
  // Ready means a config: the control plane's small one, which each must report before the push.
  const synced = await Promise.all(dps.map((dp) => servesAt(dp.status, smallHash, performance.now(), within(SYNC_TIMEOUT_MS))))
  const lost = dps.filter((_, i) => Number.isNaN(synced[i]))
  if (lost.length) throw new Error(`${lost.length} data plane(s) of ${n} never served the control plane's small config ${smallHash}; the first's /status/config: ${(await http(`${lost[0].status}/status/config`)).body.slice(0, 600)}\nlog tail:\n${logTail(lost[0].g.log)}`)
  const smallMem = await Promise.all(dps.map(nodeMem))
  for (const dp of dps) dp.nodeId = readFileSync(join(tmp, `prefix-${dp.key}`, 'node_id'), 'utf8').trim()

  const dpCpu0 = smallMem.map((m) => cpuSeconds(m.pids))
  const cpCpu0 = cpuSeconds([cp.g.pgid])
  const wall0 = Date.now()
  const t0 = performance.now()
  const timedOut = within(SYNC_TIMEOUT_MS)
  let failed = false
  const expired = () => failed || timedOut()
  const benchCpu0 = process.cpuUsage()
  const seen = []
  const watching = dps.map((dp) => servesAt(dp.status, bigHash, t0, expired, seen, new Promise((resolve) => (dp.report = resolve))))
  let done = false
  const reports = watchReports(cp, dps, bigHash, () => done || expired())
  let postMs
  try {
    const posted = await postConfig(cp.admin, ctx.bigText)
    postMs = performance.now() - t0
    if (posted !== bigHash) throw new Error(`the control plane made ${posted} live, the baseline node ${bigHash}: the same text should give the same hash`)
  } catch (err) {
    failed = true // the watchers stop at their next read instead of polling until the timeout
    await Promise.all([...watching, reports])
    throw err
  }
  const times = await Promise.all(watching)
  done = true
  await reports
  const benchCpu = process.cpuUsage(benchCpu0)
  const cpCpuS = cpuSeconds([cp.g.pgid]) - cpCpu0
  const dpCpuS = smallMem.map((m, i) => cpuSeconds(m.pids) - dpCpu0[i])
  const bigMem = await Promise.all(dps.map(nodeMem))
  return {
    n,
    postMs,
    times,
    // Each data plane's own load time, and when its load finished (loaded_at; its clock and ours are the machine's).
    loads: seen.map((c) => c.load_ms?.total),
    liveMs: seen.map((c) => (c.loaded_at ? Date.parse(c.loaded_at) - wall0 : NaN)),
    cpCpuS,
    dpCpuS,
    benchCpuS: (benchCpu.user + benchCpu.system) / 1e6,
    smallMem,
    bigMem,
  }
}

/** Stops the round's data planes (in parallel: each stop waits on its own process). */
async function stopDps(ctx) {
  await Promise.all((ctx.dps ?? []).map((dp) => stopGroup(dp.g)))
  ctx.dps = []
}

/** How many data planes holding the 10k config fit, given what one took at its peak (plus a tenth, as peaks vary). */
const fitting = (peakKib) => Math.floor((memAvailableKib() - RESERVE_KIB) / (peakKib * 1.1))

export async function run() {
  requireBuild()
  return withCleanup('cluster-sync', async (tmp) => {
    const bigText = generateConfig()
    const certPath = join(tmp, 'cluster.crt')
    const keyPath = join(tmp, 'cluster.key')
    execFileSync(process.execPath, [CLI, 'hybrid', 'gen_cert', certPath, keyPath], { cwd: tmp, stdio: 'ignore' })
    writeFileSync(join(tmp, 'small.yml'), SMALL)

    const base = await baseline(tmp, bigText)

    const clusterPort = await freePort()
    const cp = await startNode(
      tmp,
      'cp',
      { KONG_ROLE: 'control_plane', KONG_CLUSTER_LISTEN: `127.0.0.1:${clusterPort}`, KONG_CLUSTER_CERT: certPath, KONG_CLUSTER_CERT_KEY: keyPath, KONG_PROXY_LISTEN: 'off', KONG_DECLARATIVE_CONFIG: join(tmp, 'small.yml') },
      { admin: true },
    )
    cp.clusterPort = clusterPort
    // A control plane answers /status/ready 200 before its config is loaded (it serves no traffic).
    let smallHash = EMPTY_HASH
    for (const until = performance.now() + READY_TIMEOUT_S * 1000; smallHash === EMPTY_HASH && performance.now() < until; await sleep(POLL_MS)) smallHash = (await json(`${cp.status}/status`)).configuration_hash
    if (smallHash === EMPTY_HASH) throw new Error(`the control plane did not load its small config; log tail:\n${logTail(cp.g.log)}`)
    const ctx = { tmp, cp, cert: { cert: certPath, key: keyPath }, smallHash, bigText, dps: [] }
    const results = []
    const notes = []
    let peakPerDp // KiB: the largest peak RSS of one data plane with the 10k config so far
    try {
      for (const want of SIZES) {
        let n = want
        if (peakPerDp !== undefined) {
          const fit = fitting(peakPerDp)
          if (fit < n) {
            notes.push(`${want} data planes with the 10k config would need about ${f0(mib(want * peakPerDp))} MiB (${f0(mib(peakPerDp))} MiB peak each) but ${f0(mib(memAvailableKib() - RESERVE_KIB))} MiB are available (${f0(mib(RESERVE_KIB))} MiB kept back): measured ${fit} instead`)
            n = fit
          }
        }
        if (n < 1) continue
        const r = await round(ctx, n, base.hash)
        r.want = want
        results.push(r)
        peakPerDp = Math.max(peakPerDp ?? 0, ...r.bigMem.map((m) => m.hwm))
        await stopDps(ctx)
        if (want !== SIZES.at(-1)) {
          // The next round's data planes must join a control plane that serves the small config.
          const back = await postConfig(cp.admin, SMALL)
          if (back !== smallHash) throw new Error(`the control plane made ${back} live for the small config, ${smallHash} at start`)
        }
      }
    } finally {
      await stopDps(ctx)
      await stopGroup(cp.g)
    }

    const fmtMs = (ms) => (Number.isFinite(ms) ? f0(ms) : 'never')
    console.log(`cluster-sync: one control plane, N data planes of 1 worker each, from a small config to ${(bigText.length / 1048576).toFixed(1)} MiB of YAML (10000 services, 20000 routes, 1000 consumers); ${availableParallelism()} CPUs`)
    console.log(`  baseline: one traditional 1-worker node, POST /config of the same YAML until /status shows its hash and /status/ready is 200: median ${f0(base.ms)} ms of ${base.times.map(f0).join(', ')}; ${f1(base.cpuS)} CPU-s (primary + worker)`)
    console.log(`  times from sending POST /config to the control plane; each data plane read every ${SLOW_POLL_MS} ms, and every ${POLL_MS} ms once the control plane's`)
    console.log(`  list (read every ${POLL_MS} ms) shows its new hash (/status/config, confirmed by /status and /status/ready)`)
    console.log('  "DP live": its primary loaded the config (/status/config loaded_at); "DP load": its own load time (load_ms.total)')
    const rows = [['N', 'CP answered ms', 'median DP live ms', 'median DP load ms', 'median DP serving ms', 'all serving ms', 'all/baseline']]
    const costs = [['N', 'CP CPU-s', 'bench CPU-s', 'median DP CPU-s', 'DP CPU-s/baseline', 'DP RSS small MiB', 'DP RSS 10k MiB', 'DP peak MiB']]
    for (const r of results) {
      const ok = r.times.filter(Number.isFinite)
      r.allMs = ok.length === r.times.length ? Math.max(...ok) : NaN
      const avg = (mems, k) => mib(mems.reduce((a, m) => a + m[k], 0) / mems.length)
      rows.push([String(r.n), f0(r.postMs), f0(median(r.liveMs)), f0(median(r.loads)), f0(median(r.times)), fmtMs(r.allMs), f2(r.allMs / base.ms)])
      costs.push([String(r.n), f1(r.cpCpuS), f1(r.benchCpuS), f1(median(r.dpCpuS)), f2(median(r.dpCpuS) / base.cpuS), f1(avg(r.smallMem, 'rss')), f1(avg(r.bigMem, 'rss')), f1(avg(r.bigMem, 'hwm'))])
      if (ok.length < r.times.length) console.log(`  N=${r.n}: ${r.times.length - ok.length} data plane(s) never served the 10k config within ${SYNC_TIMEOUT_MS / 1000} s`)
    }
    printTable(rows)
    console.log('  per data plane, averages over the N (RSS and peak RSS: primary + worker); CPU-s over the push, user + system:')
    printTable(costs)
    const first = results[0]
    if (first) {
      console.log(`  one data plane (primary + worker RSS): ${f1(mib(first.smallMem[0].rss))} MiB with the small config, ${f1(mib(first.bigMem[0].rss))} MiB with the 10k config (peak ${f1(mib(first.bigMem[0].hwm))} MiB); the baseline node: ${f1(mib(base.mem.rss))} MiB`)
    }
    const last = results.at(-1)
    if (last) {
      // The data planes share this machine's CPUs, so their summed CPU time bounds the wall time.
      const floorMs = (last.n * median(last.dpCpuS) * 1000) / availableParallelism()
      console.log(`  here ${last.n} data planes share ${availableParallelism()} CPUs: ${last.n} x ${f1(median(last.dpCpuS))} CPU-s / ${availableParallelism()} = ${f0(floorMs)} ms at the least, ${f2(floorMs / base.ms)} x baseline`)
    }
    for (const note of notes) console.log(`  note: ${note}`)
    const target = results.find((r) => r.want === TARGET_DPS)
    if (!target) {
      console.log(`  target: ${TARGET_DPS} data planes not measured (CLUSTER_BENCH_SIZES) MISS`)
      return false
    }
    const met = target.n === TARGET_DPS && target.allMs <= TARGET_RATIO * base.ms
    const what = target.n === TARGET_DPS ? `${fmtMs(target.allMs)} ms = ${f2(target.allMs / base.ms)} x baseline` : `only ${target.n} fit in memory`
    console.log(`  target: ${TARGET_DPS} data planes all serving the 10k config within ${TARGET_RATIO} x baseline (${f0(TARGET_RATIO * base.ms)} ms): ${what} ${met ? 'PASS' : 'MISS'}`)
    return met
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = (await run()) ? 0 : 1
