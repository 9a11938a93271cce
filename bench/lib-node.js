// The proxies under test in the pinned benches (bench/proxy.js, bench/tls.js): starting one on
// the proxy CPU and waiting until it is ready, the node's command line, and the check that a
// proxy forwards the hit request to the upstream before it is measured.
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { exchange } from './lib-load.js'
import { ROOT, cleanEnv, freePort, startGroup, waitReady } from './lib-procs.js'
import { HIT } from './lib-routes.js'

/** The node's command, built by `npm run build`. */
export const CLI = join(ROOT, 'dist', 'cli.js')

/** Throws unless the node has been built. */
export function requireBuild() {
  try {
    readFileSync(CLI)
  } catch {
    throw new Error(`${CLI} not found: run npm run build first`)
  }
}

/**
 * Starts a proxy under test pinned to the proxy CPU (log: <tmp>/<key>.r<round>.log) and waits,
 * at most ctx.readyTimeoutS, until `probe()` resolves true; says so when the node's proxy port
 * lagged its /status/ready (see nodeLaunch). Returns { g, readyMs } or { error }.
 */
export async function startProxy(ctx, key, { argv, env, cwd = ROOT, probe, listenNote }) {
  const g = startGroup(argv, { cpu: ctx.proxyCpu, pin: ctx.pin, env, log: join(ctx.tmp, `${key}.r${ctx.round}.log`), cwd })
  const ready = await waitReady(g, probe, ctx.readyTimeoutS)
  if (ready.error) return ready
  const note = listenNote?.()
  if (note) console.log(`  note: ${key}: ${note}`)
  return { g, readyMs: ready.readyMs }
}

/** A probe for startProxy: ready once `url` answers anything (Host: the hit route's). */
export const answers = (url) => async () => {
  await exchange(url, { host: HIT.host })
  return true
}

/** Resolves true when a TCP connection to 127.0.0.1:`port` is accepted, false when refused. */
const accepts = (port) =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })

/** How long after /status/ready answers 200 the node's proxy port may still refuse connections. */
const LISTEN_GRACE_MS = 5_000

/**
 * What startProxy needs to run the node: 1 worker, the admin API off, the status API on a free
 * port, a temp prefix, `config` as its kong.yml, `proxyListen` (on `port`) as KONG_PROXY_LISTEN,
 * `env` added (and no inherited KONG_* variable); run from the temp folder. Ready when
 * /status/ready answers 200 and the proxy port accepts connections, or LISTEN_GRACE_MS after the
 * former if the latter never comes (a listener the node does not serve: checkForwards says so).
 * `launch.listenNote()` then says how long the port refused after /status/ready said 200, if it did.
 */
export async function nodeLaunch(ctx, key, { config, proxyListen, port, env = {} }) {
  const statusPort = await freePort()
  let readyAt
  let listenLagMs = 0
  let refused = false
  return {
    argv: [process.execPath, CLI, 'start'],
    env: cleanEnv({
      KONG_DATABASE: 'off',
      KONG_PREFIX: join(ctx.tmp, `prefix-${key}-r${ctx.round}`),
      KONG_DECLARATIVE_CONFIG: config,
      KONG_PROXY_LISTEN: proxyListen,
      KONG_ADMIN_LISTEN: 'off',
      KONG_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      KONG_NGINX_WORKER_PROCESSES: '1',
      KONG_LOG_LEVEL: 'warn',
      ...env,
    }),
    cwd: ctx.tmp,
    probe: async () => {
      if (readyAt === undefined) {
        const r = await exchange(`http://127.0.0.1:${statusPort}/status/ready`)
        if (r.status !== 200) return `/status/ready ${r.status} ${r.body.slice(0, 300)}`
        readyAt = performance.now()
      }
      const accepted = await accepts(port)
      if (!accepted) refused = true
      if (refused) listenLagMs = performance.now() - readyAt
      return accepted || listenLagMs > LISTEN_GRACE_MS || `/status/ready 200 but port ${port} refuses connections`
    },
    listenNote: () => {
      if (!refused) return undefined
      if (listenLagMs > LISTEN_GRACE_MS) return `its proxy port still refused connections ${LISTEN_GRACE_MS / 1000} s after /status/ready answered 200`
      return `/status/ready answered 200 before its proxy port accepted connections (${listenLagMs.toFixed(1)} ms before); measured once it did`
    },
  }
}

/**
 * Does the proxy at `origin` (http://... or https://...) forward the hit request to the upstream
 * (200 and ctx.upstreamBody)? Returns undefined if so, else why not.
 */
export async function checkForwards(ctx, origin) {
  let r
  try {
    r = await exchange(`${origin}${HIT.path}`, { host: HIT.host })
  } catch (err) {
    return `GET ${origin}${HIT.path} (Host ${HIT.host}) failed: ${err.code ?? err.message}`
  }
  if (r.status === 200 && r.body === ctx.upstreamBody) return undefined
  let body = r.body.slice(0, 200)
  try {
    body = JSON.stringify(JSON.parse(r.body).message) // Kong's errors: {"message": ..., "request_id": ...}
  } catch {
    body = JSON.stringify(body)
  }
  const noRoute = r.status === 404 && /no Route matched/.test(r.body)
  return `GET ${origin}${HIT.path} (Host ${HIT.host}) answered ${r.status} ${body}${noRoute ? ': the node does not route yet' : `, not the upstream's 200 ${JSON.stringify(ctx.upstreamBody)}`}`
}

/**
 * Measures every target `rounds` times, the order rotating every round: `measure(ctx, t)` returns
 * the figures, or { notForwarding } or { failed } (why), after which that target is not tried
 * again. Prints `line(t, figures)` per measurement. Returns { results: key -> [figures],
 * problems: key -> line }.
 */
export async function measureRounds(ctx, targets, rounds, measure, line) {
  const results = new Map(targets.map((t) => [t.key, []]))
  const problems = new Map()
  for (let round = 1; round <= rounds; round++) {
    ctx.round = round
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(k + round - 1) % targets.length]
      if (problems.has(t.key)) continue // not forwarding or failed: no use trying it again
      const r = await measure(ctx, t)
      if (r.notForwarding || r.failed) {
        problems.set(t.key, r.notForwarding ? `${t.label}: NOT FORWARDING, not measured: ${r.notForwarding}` : `${t.label}: FAILED: ${r.failed}`)
        console.log(`  ${problems.get(t.key)}`)
        continue
      }
      results.get(t.key).push(r)
      console.log(`  [round ${round}] ${line(t, r)}`)
    }
  }
  return { results, problems }
}
