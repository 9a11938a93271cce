// bench/status: /status latency while the proxy is under load (against idle /status in the same
// run), and how long a POST /config of the 10k-service config takes until every worker serves
// it (against loading the same text in-process). Loopback only; bounded in time and count.
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { createServer } from 'node:net'
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
  child.removeAllListeners('exit')
  child.kill('SIGTERM')
  await new Promise((r) => child.on('exit', r))

  console.log(`status: node start to ready ${startMs.toFixed(0)} ms; ${SAMPLES} sequential GET /status per phase`)
  console.log(`  idle /status:            p50 ${idle.p50.toFixed(2)} ms, p99 ${idle.p99.toFixed(2)} ms`)
  console.log(`  /status under proxy load: p50 ${loaded.p50.toFixed(2)} ms, p99 ${loaded.p99.toFixed(2)} ms (${LOAD_CONNECTIONS} connections, ${(proxied / loadSeconds).toFixed(0)} proxied req/s)`)
  console.log(`  ratio p99 loaded/idle: ${(loaded.p99 / idle.p99).toFixed(2)}`)
  console.log(`  POST /config 10k services (${(text.length / 1048576).toFixed(1)} MiB): HTTP ${posted.status} after ${postMs.toFixed(0)} ms; every worker serves it after ${servedMs.toFixed(0)} ms`)
  console.log(`  baseline in-process load of the same text: ${bareMs.toFixed(0)} ms; ratio served/load: ${(servedMs / bareMs).toFixed(2)}`)
  return posted.status === 201 && Number.isFinite(servedMs)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = (await run()) ? 0 : 1
