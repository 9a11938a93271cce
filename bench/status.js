// bench/status: /status latency while the proxy is under load (against idle /status in the same
// run); how long a POST /config of the 10k-service config takes until every worker serves it
// (against loading the same text in-process); and what a big push does to the node meanwhile:
// /status p99 while the 10k config is posted (target < 50 ms and < 5 x idle p99), and /status
// p99 and new proxy connections' latency while a 200k-route config is posted and exported
// (target p99 < 50 ms for both). Loopback only; bounded in time and count.
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { generateConfig } from './generate-config.js'

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const SAMPLES = 300
const LOAD_CONNECTIONS = 32

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })

function get(url, agent, { method = 'GET', body, headers } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method, headers }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]

/** A config of `routes` routes over services of 100 routes each, as compact JSON (under the 10 MiB body limit). */
function routesConfig(routes) {
  const services = []
  for (let s = 0; s < routes / 100; s++) {
    const list = []
    for (let r = 0; r < 100; r++) list.push({ paths: [`/s${s}/r${r}`] })
    services.push({ name: `svc-${s}`, host: `backend-${s % 50}.internal`, routes: list })
  }
  return JSON.stringify({ _format_version: '3.0', services })
}

/**
 * Watches the node while `action` runs: /status answered back to back on one connection, and a
 * new proxy connection opened every 20 ms (time to connect, and to the first response on it).
 */
async function watch(statusUrl, proxyPort, action) {
  const status = []
  const connects = []
  const firsts = []
  let running = true
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const statusLoop = (async () => {
    while (running) {
      const t0 = performance.now()
      await get(`${statusUrl}/status`, agent)
      status.push(performance.now() - t0)
    }
  })()
  const proxyLoop = (async () => {
    while (running) {
      const t0 = performance.now()
      await new Promise((resolve) => {
        const socket = connect(proxyPort, '127.0.0.1', () => {
          connects.push(performance.now() - t0)
          socket.write('GET /x HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n')
        })
        socket.once('data', () => {
          firsts.push(performance.now() - t0)
          socket.destroy()
          resolve()
        })
        socket.on('error', resolve)
      })
      await new Promise((r) => setTimeout(r, 20))
    }
  })()
  const t0 = performance.now()
  const result = await action()
  const ms = performance.now() - t0
  running = false
  await Promise.all([statusLoop, proxyLoop])
  agent.destroy()
  const summary = (xs) => ({ n: xs.length, p50: pct(xs, 50), p99: pct(xs, 99), max: Math.max(...xs) })
  return { ms, result, status: summary(status), connect: summary(connects), first: summary(firsts) }
}

/** Posts a config and waits until every worker serves a hash other than `previous`. */
async function pushAndWait(adminUrl, statusUrl, body, type, previous) {
  const posted = await get(`${adminUrl}/config`, undefined, { method: 'POST', body, headers: { 'Content-Type': type } })
  for (let i = 0; i < 6000; i++) {
    const cfg = JSON.parse((await get(`${statusUrl}/status/config`)).body)
    if (cfg.configuration_hash !== previous && cfg.workers.ready === cfg.workers.total) return { status: posted.status, hash: cfg.configuration_hash }
    await new Promise((r) => setTimeout(r, 20))
  }
  return { status: posted.status, hash: undefined }
}

async function sampleStatus(url, agent) {
  const times = []
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now()
    await get(`${url}/status`, agent)
    times.push(performance.now() - t0)
  }
  return { p50: pct(times, 50), p99: pct(times, 99) }
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-bench-'))
  const [proxy, admin, status] = [await freePort(), await freePort(), await freePort()]
  const child = spawn(process.execPath, [CLI, 'start'], {
    cwd: dir,
    env: {
      ...process.env,
      KONG_PREFIX: join(dir, 'prefix'),
      KONG_PROXY_LISTEN: `127.0.0.1:${proxy}`,
      KONG_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      KONG_STATUS_LISTEN: `127.0.0.1:${status}`,
      KONG_NGINX_WORKER_PROCESSES: '2',
      KONG_DECLARATIVE_CONFIG_STRING: '_format_version: "3.0"\nservices:\n- name: s\n  host: example.com\n',
      KONG_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const startedAt = performance.now()
  await new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`node exited with ${code}`)))
    const poll = async () => {
      try {
        if ((await get(`http://127.0.0.1:${status}/status/ready`)).status === 200) return resolve()
      } catch {
        // not answering yet: poll again
      }
      setTimeout(poll, 50)
    }
    poll()
  })
  const startMs = performance.now() - startedAt
  createInterface({ input: child.stdout }).on('line', () => {})
  const statusUrl = `http://127.0.0.1:${status}`
  const statusAgent = new Agent({ keepAlive: true, maxSockets: 1 })

  await sampleStatus(statusUrl, statusAgent) // warm-up
  const idle = await sampleStatus(statusUrl, statusAgent)

  const loadAgent = new Agent({ keepAlive: true, maxSockets: LOAD_CONNECTIONS })
  let running = true
  let proxied = 0
  const loops = Array.from({ length: LOAD_CONNECTIONS }, async () => {
    while (running) {
      await get(`http://127.0.0.1:${proxy}/anything`, loadAgent)
      proxied++
    }
  })
  const loadStart = performance.now()
  const loaded = await sampleStatus(statusUrl, statusAgent)
  const loadSeconds = (performance.now() - loadStart) / 1000
  running = false
  await Promise.all(loops)
  loadAgent.destroy()

  // POST the 10k-service config and wait until every worker serves it.
  const text = generateConfig()
  const { loadDeclarative } = await import('../dist/declarative/load.js')
  const { bundledPluginSchema } = await import('../dist/plugins/registry.js')
  const b0 = performance.now()
  const expected = await loadDeclarative(text, { source: 'bench', pluginSchemas: bundledPluginSchema })
  const bareMs = performance.now() - b0
  const adminAgent = new Agent({ keepAlive: true })
  const p0 = performance.now()
  const posted = await get(`http://127.0.0.1:${admin}/config`, adminAgent, { method: 'POST', body: text, headers: { 'Content-Type': 'application/yaml' } })
  const postMs = performance.now() - p0
  let servedMs = NaN
  for (;;) {
    const cfg = JSON.parse((await get(`${statusUrl}/status/config`, statusAgent)).body)
    if (cfg.configuration_hash === expected.hash && cfg.workers.ready === cfg.workers.total) {
      servedMs = performance.now() - p0
      break
    }
    if (performance.now() - p0 > 120_000) break
    await new Promise((r) => setTimeout(r, 10))
  }
  statusAgent.destroy()
  adminAgent.destroy()

  // A big push, watched: the 10k config once more (changed, so it is not the same hash), then
  // a 200k-route config posted and exported.
  const adminUrl = `http://127.0.0.1:${admin}`
  const tenK = await watch(statusUrl, proxy, () => pushAndWait(adminUrl, statusUrl, text.replace('retries: 1', 'retries: 2'), 'application/yaml', expected.hash))
  const big = routesConfig(200_000)
  const bigPush = await watch(statusUrl, proxy, () => pushAndWait(adminUrl, statusUrl, big, 'application/json', tenK.result.hash))
  const bigExport = await watch(statusUrl, proxy, async () => (await get(`${adminUrl}/config`)).body.length)

  console.log(`status: node start to ready ${startMs.toFixed(0)} ms; ${SAMPLES} sequential GET /status per phase`)
  console.log(`  idle /status:            p50 ${idle.p50.toFixed(2)} ms, p99 ${idle.p99.toFixed(2)} ms`)
  console.log(`  /status under proxy load: p50 ${loaded.p50.toFixed(2)} ms, p99 ${loaded.p99.toFixed(2)} ms (${LOAD_CONNECTIONS} connections, ${(proxied / loadSeconds).toFixed(0)} proxied req/s)`)
  console.log(`  ratio p99 loaded/idle: ${(loaded.p99 / idle.p99).toFixed(2)}`)
  console.log(`  POST /config 10k services (${(text.length / 1048576).toFixed(1)} MiB): HTTP ${posted.status} after ${postMs.toFixed(0)} ms; every worker serves it after ${servedMs.toFixed(0)} ms`)
  console.log(`  baseline in-process load of the same text: ${bareMs.toFixed(0)} ms; ratio served/load: ${(servedMs / bareMs).toFixed(2)}`)
  const show = (label, w) =>
    console.log(
      `  ${label} (${(w.ms / 1000).toFixed(1)} s): /status p50 ${w.status.p50.toFixed(1)} ms, p99 ${w.status.p99.toFixed(1)} ms, max ${w.status.max.toFixed(0)} ms (${w.status.n} answers);` +
        ` new proxy connection: connect p99 ${w.connect.p99.toFixed(1)} ms, first response p99 ${w.first.p99.toFixed(1)} ms, max ${w.first.max.toFixed(0)} ms (${w.first.n})`,
    )
  show('POST /config of the 10k config until every worker serves it', tenK)
  show(`POST /config of a 200k-route config (${(big.length / 1048576).toFixed(1)} MiB JSON) until every worker serves it`, bigPush)
  show(`GET /config of it (${(bigExport.result / 1048576).toFixed(0)} MiB of JSON)`, bigExport)
  const tenKOk = tenK.status.p99 < 50 && tenK.status.p99 < 5 * idle.p99
  const bigOk = [bigPush, bigExport].every((w) => w.status.p99 < 50 && w.connect.p99 < 50)
  console.log(`  /status p99 during the 10k push: ${tenK.status.p99.toFixed(1)} ms = ${(tenK.status.p99 / idle.p99).toFixed(2)} x idle (target < 50 ms and < 5 x) ${tenKOk ? 'OK' : 'MISSED'}`)
  console.log(`  200k push and export: /status p99 and proxy connect p99 < 50 ms ${bigOk ? 'OK' : 'MISSED'}`)
  return posted.status === 201 && Number.isFinite(servedMs) && tenK.result.hash !== undefined && bigPush.result.hash !== undefined && tenKOk && bigOk
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = (await run()) ? 0 : 1
