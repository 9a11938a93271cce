// bench/soak: a node with 2 workers under steady keep-alive proxy load for a few minutes while
// configs of different sizes are pushed every few seconds, a worker is SIGKILLed every ~20 s and
// /status is polled without pause. Targets: no failed proxied request except those on a killed
// worker's own connections, and flat RSS after warm-up. Loopback only; bounded by SOAK_SECONDS.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { Agent, createServer as createHttpServer, request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { generateConfig } from './generate-config.js'

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const SECONDS = Number(process.env.SOAK_SECONDS ?? 150)
const WORKERS = 2
const LOAD_CONNECTIONS = 16
const CONFIG_EVERY_MS = 5_000
const KILL_EVERY_MS = 20_000
const RSS_EVERY_MS = 2_000
const RSS_TABLE_EVERY_MS = 10_000
/** A reset within this long after a kill, on a connection the victim held, is the kill's doing. */
const KILL_WINDOW_MS = 2_000
const REQUEST_TIMEOUT_MS = 10_000
/** /status answers slower than this are listed with their distance to the nearest kill. */
const STATUS_SLOW_MS = 250
/** How long a pushed config may take to reach every worker, and a killed worker to be replaced. */
const SETTLE_TIMEOUT_MS = 30_000
const CONFIG_SIZES = [200, 1000, 2000]
const RSS_GROWTH_LIMIT = 0.1
/** What a client sees when the process holding its connection dies: RST, EOF ("socket hang up") or a write to a closed socket. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED'])
const EXPECTED_LOG = 'worker process exited unexpectedly; starting a new one'

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
const mib = (kib) => kib / 1024

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })

/** One HTTP exchange. Control requests use `agent: false` (a fresh connection each time), so an
 * idle keep-alive socket closed by the server can never be mistaken for a node failure. */
function http(url, { agent = false, method = 'GET', body, headers, timeout = REQUEST_TIMEOUT_MS } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method, headers }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }))
    })
    req.setTimeout(timeout, () => req.destroy(Object.assign(new Error(`no answer in ${timeout} ms`), { code: 'ETIMEDOUT' })))
    req.on('error', reject)
    req.end(body)
  })
}

const getJson = async (url) => JSON.parse((await http(url)).body)

/** VmRSS of `pid` in KiB, or undefined when the process is gone. */
function readRss(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : undefined
  } catch {
    return undefined
  }
}

/** The client-side ports of the proxy connections `pid` holds, from /proc (Linux); undefined
 * when /proc can't tell. Connections are accepted by the primary and handed to a worker, so a
 * client can't ask which worker it talks to: the kernel's socket table can. */
function clientPortsHeldBy(pid, proxyPort) {
  try {
    const inodes = new Set()
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
        if (m) inodes.add(m[1])
      } catch {
        // not answering yet: poll again
      } // fd closed meanwhile
    }
    const ports = new Set()
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text
      try {
        text = readFileSync(table, 'utf8')
      } catch {
        continue
      }
      for (const line of text.split('\n').slice(1)) {
        const f = line.trim().split(/\s+/)
        if (f.length < 10 || !inodes.has(f[9])) continue
        const local = parseInt(f[1].split(':')[1], 16)
        const remote = parseInt(f[2].split(':')[1], 16)
        if (local === proxyPort) ports.add(remote)
      }
    }
    return ports
  } catch {
    return undefined
  }
}

function startNode(ports, configText) {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-soak-'))
  const child = spawn(process.execPath, [CLI, 'start'], {
    cwd: dir,
    env: {
      ...process.env,
      KONG_PREFIX: join(dir, 'prefix'),
      KONG_PROXY_LISTEN: `127.0.0.1:${ports.proxy}`,
      KONG_ADMIN_LISTEN: `127.0.0.1:${ports.admin}`,
      KONG_STATUS_LISTEN: `127.0.0.1:${ports.status}`,
      KONG_NGINX_WORKER_PROCESSES: String(WORKERS),
      KONG_DECLARATIVE_CONFIG_STRING: configText,
      KONG_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const errorLines = []
  createInterface({ input: child.stdout }).on('line', () => {})
  createInterface({ input: child.stderr }).on('line', (line) => errorLines.push(line))
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })))
  return { dir, child, errorLines, exited }
}

export async function run() {
  // Configs are generated and hashed here, before the node starts, so that neither competes
  // with the soak; a config counts as applied when /status/config reports its hash from every worker.
  const { loadDeclarative } = await import('../dist/declarative/load.js')
  const { bundledPluginSchema } = await import('../dist/plugins/registry.js')
  // The load goes through a route of every config to a real upstream, so the soak proxies.
  const upstream = createHttpServer((_req, res) => res.end('ok'))
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  upstream.unref()
  const soakService = `services:\n  - name: soak\n    url: http://127.0.0.1:${upstream.address().port}\n    routes:\n      - paths: [/soak]\n`
  const configs = []
  for (const services of CONFIG_SIZES) {
    const text = generateConfig({ services, consumers: services / 2 }).replace('services:\n', soakService)
    const { hash } = await loadDeclarative(text, { source: 'soak', pluginSchemas: bundledPluginSchema })
    configs.push({ services, text, hash, bytes: text.length })
  }

  const ports = { proxy: await freePort(), admin: await freePort(), status: await freePort() }
  const adminUrl = `http://127.0.0.1:${ports.admin}`
  const statusUrl = `http://127.0.0.1:${ports.status}`
  const proxyUrl = `http://127.0.0.1:${ports.proxy}/soak`
  const node = startNode(ports, configs[0].text)
  let crashed
  node.exited.then((e) => (crashed ??= e))
  // Whatever goes wrong in here, don't leave a node behind.
  const killOnExit = () => node.child.kill('SIGKILL')
  process.once('exit', killOnExit)

  const bootAt = performance.now()
  for (;;) {
    if (crashed) throw new Error(`node exited during start (code ${crashed.code}, signal ${crashed.signal}): ${node.errorLines.join('\n')}`)
    try {
      if ((await http(`${statusUrl}/status/ready`)).status === 200) break
    } catch {
        // not answering yet: poll again
      }
    if (performance.now() - bootAt > 60_000) throw new Error('node not ready after 60 s')
    await sleep(50)
  }
  const bootMs = performance.now() - bootAt

  const t0 = performance.now()
  const now = () => performance.now() - t0
  const deadline = SECONDS * 1000
  let running = true
  // Control loops stop starting new actions this long before the end, so each can settle.
  const lastStart = deadline - 5_000

  // --- Proxy load: keep-alive connections, each loop sends its next request when the last ends.
  const load = { sent: 0, completed: 0, failed: 0, failures: [], statuses: new Map() }
  const loadAgent = new Agent({ keepAlive: true, maxSockets: LOAD_CONNECTIONS })
  const socketInfo = new WeakMap() // socket -> { port, openedAt }
  const proxyOnce = () =>
    new Promise((resolve) => {
      load.sent++
      let socket
      const req = request(proxyUrl, { agent: loadAgent }, (res) => {
        res.on('data', () => {})
        res.on('error', fail)
        res.on('end', () => {
          if (done) return
          done = true
          load.completed++
          load.statuses.set(res.statusCode, (load.statuses.get(res.statusCode) ?? 0) + 1)
          resolve()
        })
      })
      let done = false
      function fail(err) {
        if (done) return
        done = true
        load.failed++
        const info = socket && socketInfo.get(socket)
        load.failures.push({ t: now(), code: err.code ?? err.message, message: err.message, port: info?.port, socketAgeMs: info ? now() - info.openedAt : undefined, reused: req.reusedSocket })
        resolve()
      }
      req.on('socket', (s) => {
        socket = s
        if (socketInfo.has(s)) return
        const info = { port: s.localPort, openedAt: now() }
        socketInfo.set(s, info)
        if (info.port === undefined) s.once('connect', () => (info.port = s.localPort))
      })
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(Object.assign(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })))
      req.on('error', fail)
      req.end()
    })
  const loadLoops = Array.from({ length: LOAD_CONNECTIONS }, async () => {
    while (running) {
      const failedBefore = load.failed
      await proxyOnce()
      if (load.failed !== failedBefore) await sleep(10) // no hot loop if the proxy is gone
    }
  })

  // --- /status, sequential on one keep-alive connection, without pause.
  const statusTimes = []
  const statusSlow = [] // answers over STATUS_SLOW_MS, with when they started
  const statusPartial = [] // answers where a worker's stats are missing (it did not answer in time)
  const statusErrors = []
  const statusAgent = new Agent({ keepAlive: true, maxSockets: 1 })
  const statusLoop = (async () => {
    while (running) {
      const s = performance.now()
      try {
        const res = await http(`${statusUrl}/status`, { agent: statusAgent })
        const ms = performance.now() - s
        if (res.status === 200) statusTimes.push(ms)
        else statusErrors.push({ t: now(), error: `HTTP ${res.status}` })
        if (ms > STATUS_SLOW_MS) statusSlow.push({ t: s - t0, ms })
        if (res.status === 200) {
          const missing = JSON.parse(res.body).memory.workers_lua_vms.filter((vm) => vm.err)
          if (missing.length > 0) statusPartial.push({ t: s - t0, ms, errors: missing.map((vm) => vm.err) })
        }
      } catch (err) {
        statusErrors.push({ t: now(), error: err.code ?? err.message })
        await sleep(10)
      }
    }
  })()

  /** Polls /status/config until `done(cfg)` holds; returns the ms it took, or undefined on timeout. */
  const waitConfig = async (done, since) => {
    let last
    while (performance.now() - since < SETTLE_TIMEOUT_MS && !crashed) {
      try {
        last = await getJson(`${statusUrl}/status/config`)
        if (done(last)) return { ms: performance.now() - since, last }
      } catch (err) {
        last = { error: err.code ?? err.message }
      }
      await sleep(20)
    }
    return { ms: undefined, last }
  }

  // --- Config pushes, alternating sizes; the next waits until the previous is live everywhere.
  const pushes = []
  const pushLoop = (async () => {
    for (let i = 1; ; i++) {
      const at = i * CONFIG_EVERY_MS - CONFIG_EVERY_MS / 2
      if (at > lastStart || crashed) break
      await sleep(at - now())
      const cfg = configs[i % configs.length]
      const p = { t: now(), services: cfg.services }
      pushes.push(p)
      const s = performance.now()
      try {
        const res = await http(`${adminUrl}/config`, { method: 'POST', body: cfg.text, headers: { 'Content-Type': 'application/yaml' }, timeout: SETTLE_TIMEOUT_MS })
        p.status = res.status
        p.postMs = performance.now() - s
        if (res.status !== 201) p.error = res.body.slice(0, 300)
      } catch (err) {
        p.error = err.code ?? err.message
      }
      if (p.status !== 201) continue
      const w = await waitConfig((c) => c.configuration_hash === cfg.hash && c.workers.ready === c.workers.total, s)
      p.appliedMs = w.ms
      if (w.ms === undefined) p.error = `not live on every worker after ${SETTLE_TIMEOUT_MS} ms; last /status/config: ${JSON.stringify(w.last && { configuration_hash: w.last.configuration_hash, workers: w.last.workers, error: w.last.error })}`
    }
  })()

  // --- Worker kills: the victim's connections are read from /proc just before the SIGKILL.
  const kills = []
  const killLoop = (async () => {
    for (let i = 1; ; i++) {
      const at = i * KILL_EVERY_MS
      if (at > lastStart || crashed) break
      await sleep(at - now())
      const k = { t: now() }
      kills.push(k)
      try {
        // Kill the worker holding the most proxy connections: a kill of an idle worker would
        // test nothing (keep-alive connections stay where they were accepted, so after a
        // replacement the load can sit on one worker).
        const before = (await getJson(`${adminUrl}/`)).pids.workers
        k.before = before
        const held = before.map((pid) => ({ pid, ports: clientPortsHeldBy(pid, ports.proxy) }))
        held.sort((a, b) => (b.ports?.size ?? 0) - (a.ports?.size ?? 0))
        k.victim = held[0].pid
        k.ports = held[0].ports
        k.heldByOthers = held.slice(1).reduce((n, h) => n + (h.ports?.size ?? 0), 0)
        k.t = now()
        process.kill(k.victim, 'SIGKILL')
      } catch (err) {
        k.error = `could not kill: ${err.message}`
        continue
      }
      const s = performance.now()
      while (performance.now() - s < SETTLE_TIMEOUT_MS && !crashed) {
        try {
          const w = (await getJson(`${adminUrl}/`)).pids.workers
          if (w.length === WORKERS && !w.includes(k.victim)) {
            k.replacement = w.find((pid) => !k.before.includes(pid))
            k.replacedMs = performance.now() - s
            break
          }
        } catch {
        // not answering yet: poll again
      }
        await sleep(20)
      }
      if (k.replacedMs === undefined) {
        k.error = `no replacement after ${SETTLE_TIMEOUT_MS} ms`
        continue
      }
      // Replaced means serving the live config too, not just forked.
      const w = await waitConfig((c) => c.workers.ready === c.workers.total, s)
      k.configuredMs = w.ms
      if (w.ms === undefined) k.error = `replacement never reported the live config; last workers: ${JSON.stringify(w.last?.workers)}`
    }
  })()

  // --- RSS of the primary and every worker, pids re-read each time (kills change them).
  const rss = []
  const rssLoop = (async () => {
    for (let i = 0; ; i++) {
      const at = i * RSS_EVERY_MS
      if (at > deadline || crashed) break
      await sleep(at - now())
      try {
        const { pids } = await getJson(`${adminUrl}/`)
        const workers = pids.workers.map((pid) => readRss(pid)).filter((x) => x !== undefined)
        rss.push({ t: now(), primary: readRss(pids.master), workers })
      } catch (err) {
        rss.push({ t: now(), error: err.code ?? err.message })
      }
    }
  })()

  await Promise.all([pushLoop, killLoop, rssLoop])
  running = false
  await Promise.all([...loadLoops, statusLoop])
  const durationMs = now()
  loadAgent.destroy()
  statusAgent.destroy()

  // --- Stop the node.
  const crashedDuringSoak = crashed
  const stopAt = performance.now()
  if (!crashed) node.child.kill('SIGTERM')
  const stopTimeout = sleep(20_000).then(() => undefined)
  const stopped = await Promise.race([node.exited, stopTimeout])
  const stopMs = performance.now() - stopAt
  if (!stopped) {
    node.child.kill('SIGKILL')
    await node.exited
  }
  process.removeListener('exit', killOnExit)
  rmSync(node.dir, { recursive: true, force: true })

  // --- Classify failures: on a killed worker's own connection = a reset-like error within
  // KILL_WINDOW_MS after a kill, on a port the victim held (or any port if /proc couldn't tell).
  for (const f of load.failures) {
    const k = kills.find((k) => k.victim !== undefined && f.t >= k.t && f.t - k.t <= KILL_WINDOW_MS)
    f.sinceKillMs = k ? f.t - k.t : undefined
    f.onKilled = Boolean(k && RESET_CODES.has(f.code) && (k.ports === undefined || (f.port !== undefined && k.ports.has(f.port))))
  }
  const failedOnKilled = load.failures.filter((f) => f.onKilled)
  const failedOther = load.failures.filter((f) => !f.onKilled)
  const failedInWindow = load.failures.filter((f) => f.sinceKillMs !== undefined).length
  const victimConnections = kills.reduce((n, k) => n + (k.ports?.size ?? 0), 0)

  const applied = pushes.filter((p) => p.appliedMs !== undefined)
  const replaced = kills.filter((k) => k.configuredMs !== undefined)
  const fmt = (x, d = 1) => (x === undefined ? '-' : x.toFixed(d))

  // RSS: quarters of the run by time; only samples with every worker present count for the
  // workers' sum (a sample between a kill and its replacement would read as a drop).
  const full = rss.filter((s) => s.primary !== undefined && s.workers.length === WORKERS)
  const inQuarter = (q) => full.filter((s) => s.t >= ((q - 1) * durationMs) / 4 && s.t < (q * durationMs) / 4 + (q === 4 ? 1 : 0))
  const growth = (key) => {
    const pick = (s) => (key === 'primary' ? s.primary : s.workers.reduce((a, b) => a + b, 0))
    const q2 = inQuarter(2).map(pick)
    const q4 = inQuarter(4).map(pick)
    if (q2.length === 0 || q4.length === 0) return { ok: false, text: 'not enough samples' }
    const base = mean(q2)
    const delta = mean(q4) - base
    return { ok: delta / base < RSS_GROWTH_LIMIT, text: `${fmt(mib(base))} -> ${fmt(mib(mean(q4)))} MiB, ${delta >= 0 ? '+' : ''}${fmt(mib(delta))} MiB (${delta >= 0 ? '+' : ''}${fmt((100 * delta) / base)}%)` }
  }
  const primaryGrowth = growth('primary')
  const workersGrowth = growth('workers')
  const unexpectedLogs = node.errorLines.filter((line) => {
    try {
      const o = JSON.parse(line)
      return !(o.msg === EXPECTED_LOG && o.signal === 'SIGKILL' && kills.some((k) => k.victim === o.worker_pid))
    } catch {
      return true
    }
  })

  const failuresOk = failedOther.length === 0 && !crashedDuringSoak
  const configsOk = pushes.length > 0 && applied.length === pushes.length
  const killsOk = replaced.length === kills.length
  const rssOk = primaryGrowth.ok && workersGrowth.ok

  const out = []
  out.push(`soak: ${(durationMs / 1000).toFixed(1)} s (SOAK_SECONDS=${SECONDS}), ${WORKERS} workers, ${LOAD_CONNECTIONS} keep-alive proxy connections; node ready after ${bootMs.toFixed(0)} ms`)
  if (crashedDuringSoak) out.push(`  NODE EXITED DURING THE SOAK: code ${crashedDuringSoak.code}, signal ${crashedDuringSoak.signal}, at ${((crashedDuringSoak.at - t0) / 1000).toFixed(1)} s`)
  out.push(`  proxied requests: sent ${load.sent}, completed ${load.completed} (${(load.completed / (durationMs / 1000)).toFixed(0)}/s; statuses ${[...load.statuses].map(([s, n]) => `${s}x${n}`).join(', ')}), failed ${load.failed}`)
  out.push(`    failed on a killed worker's own connections: ${failedOnKilled.length} (the victims held ${victimConnections} proxy connections at their kills; ${failedInWindow} failures fell within ${KILL_WINDOW_MS} ms of a kill)`)
  out.push(`    failed otherwise: ${failedOther.length}`)
  for (const f of failedOther.slice(0, 10)) out.push(`      at ${(f.t / 1000).toFixed(2)} s: ${f.code} (${f.message}), client port ${f.port ?? '?'}, ${f.reused ? 'reused' : 'new'} connection aged ${fmt(f.socketAgeMs, 0)} ms, ${f.sinceKillMs === undefined ? 'no kill within 2 s before' : `${f.sinceKillMs.toFixed(0)} ms after a kill`}`)
  const pushMs = applied.map((p) => p.appliedMs)
  out.push(`  configs: pushed ${pushes.length} (${configs.map((c) => `${c.services} services ${(c.bytes / 1048576).toFixed(2)} MiB`).join(' / ')}), applied on every worker ${applied.length}; POST to live everywhere p50 ${fmt(pushMs.length ? pct(pushMs, 50) : undefined, 0)} ms, max ${fmt(pushMs.length ? Math.max(...pushMs) : undefined, 0)} ms`)
  for (const p of pushes.filter((p) => p.appliedMs === undefined)) out.push(`    at ${(p.t / 1000).toFixed(1)} s (${p.services} services): HTTP ${p.status ?? '-'}: ${p.error}`)
  out.push(`  workers: killed ${kills.filter((k) => k.victim !== undefined).length}, replaced and serving the live config ${replaced.length}`)
  for (const k of kills) out.push(`    at ${(k.t / 1000).toFixed(1)} s: SIGKILL ${k.victim ?? '-'} (held ${k.ports?.size ?? '?'} proxy connections, the other worker ${k.heldByOthers}) -> ${k.replacement ?? '-'} in ${fmt(k.replacedMs, 0)} ms, live config in ${fmt(k.configuredMs, 0)} ms${k.error ? `; ${k.error}` : ''}`)
  out.push(`  /status (sequential, one keep-alive connection): ${statusTimes.length} answers, p50 ${fmt(pct(statusTimes, 50), 2)} ms, p99 ${fmt(pct(statusTimes, 99), 2)} ms, max ${fmt(Math.max(...statusTimes), 2)} ms; errors ${statusErrors.length}`)
  // Slow or partial /status answers are expected around kills (the primary asks a worker that
  // is gone) and config pushes (the primary parses, workers take in the snapshot): say which.
  const during = (x) => {
    if (kills.some((k) => Math.abs(x.t - k.t) <= KILL_WINDOW_MS)) return 'kill'
    if (pushes.some((p) => x.t + x.ms >= p.t && x.t <= p.t + (p.appliedMs ?? p.postMs ?? 0))) return 'push'
    return 'other'
  }
  const byCause = (xs) => {
    const n = { kill: 0, push: 0, other: 0 }
    for (const x of xs) n[during(x)]++
    return `around a kill ${n.kill}, during a config push ${n.push}, otherwise ${n.other}`
  }
  const list = (xs) => xs.slice(0, 8).map((x) => `${fmt(x.ms, 0)} ms at ${(x.t / 1000).toFixed(2)} s`).join(', ')
  out.push(`    answers over ${STATUS_SLOW_MS} ms: ${statusSlow.length} (${byCause(statusSlow)})${statusSlow.length ? `: ${list(statusSlow)}` : ''}`)
  out.push(`    answers missing a worker's stats: ${statusPartial.length} (${byCause(statusPartial)})${statusPartial.length ? `; first: ${statusPartial[0].errors[0]}` : ''}`)
  for (const e of statusErrors.slice(0, 5)) out.push(`    at ${(e.t / 1000).toFixed(2)} s: ${e.error}`)
  out.push(`  RSS (MiB; one sample per ${RSS_TABLE_EVERY_MS / 1000} s of ${rss.length} taken every ${RSS_EVERY_MS / 1000} s):`)
  out.push('       t   primary   workers (sum)   worker count')
  for (let at = 0; at <= durationMs; at += RSS_TABLE_EVERY_MS) {
    const s = rss.find((x) => x.t >= at)
    if (!s) break
    out.push(s.error ? `    ${(s.t / 1000).toFixed(0).padStart(4)}s   ${s.error}` : `    ${(s.t / 1000).toFixed(0).padStart(4)}s   ${fmt(mib(s.primary ?? NaN)).padStart(7)}   ${fmt(mib(s.workers.reduce((a, b) => a + b, 0))).padStart(13)}   ${s.workers.length}`)
  }
  out.push(`  RSS growth after warm-up (mean of the last quarter minus mean of the second quarter):`)
  out.push(`    primary: ${primaryGrowth.text}`)
  out.push(`    workers (sum, samples with all ${WORKERS} workers): ${workersGrowth.text}`)
  const restartsMeasured = kills.filter((k) => k.t >= durationMs / 4).length
  if (restartsMeasured > 0) out.push(`    (${restartsMeasured} worker replacement(s) from the second quarter on: a replacement starts cold and warms up, so the workers' figure mixes worker ages)`)
  out.push(`  node stop (SIGTERM): ${crashedDuringSoak ? 'already exited' : stopped ? `exited after ${stopMs.toFixed(0)} ms (code ${stopped.code}, signal ${stopped.signal})` : 'still running after 20 s, SIGKILLed'}`)
  out.push(`  node error log: ${node.errorLines.length} lines, ${unexpectedLogs.length} not explained by the kills`)
  for (const line of unexpectedLogs.slice(0, 5)) out.push(`    ${line.slice(0, 400)}`)
  out.push(`  target: no failed request except on a killed worker's own connections: ${failuresOk ? 'OK' : 'MISSED'}`)
  out.push(`  target: every pushed config live on every worker: ${configsOk ? 'OK' : 'MISSED'}`)
  out.push(`  target: every killed worker replaced and serving the live config: ${killsOk ? 'OK' : 'MISSED'}`)
  out.push(`  target: RSS growth after warm-up under ${RSS_GROWTH_LIMIT * 100}% (primary and workers): ${rssOk ? 'OK' : 'MISSED'}`)
  console.log(out.join('\n'))
  return failuresOk && configsOk && killsOk && rssOk && Boolean(stopped)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = (await run()) ? 0 : 1
