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
import { cpSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { benchContext, exchange, load, measureQuiet } from './lib-load.js'
import { startUpstream } from './lib-nginx.js'
import { CLI, answers, checkForwards, measureRounds, nodeLaunch, requireBuild, startProxy } from './lib-node.js'
import { ROOT, cleanEnv, forgetGroup, freePort, has, logTail, startGroup, stopGroup, tempDir, withCleanup } from './lib-procs.js'
import { envNum, f0, f1, f2, median, pctS, printTable, verdict } from './lib-report.js'
import { HIT, MISS, routesConfig } from './lib-routes.js'

const BASELINE = join(import.meta.dirname, 'baseline-proxy.js')
const TARGETS = { tenRoutes: 0.9, bigRoutes: 0.85, p99c1Ms: 1.5 }

// ---------------------------------------------------------------------------------------------
// Targets

/** Starts a target and waits until it is ready; returns { g, port, readyMs } or { error }. */
async function startTarget(ctx, t) {
  const port = await freePort()
  const common = { UPSTREAM_HOST: '127.0.0.1', UPSTREAM_PORT: String(ctx.upstreamPort), UPSTREAM_URL: ctx.upstreamUrl, PROXY_PORT: String(port) }
  // The baseline and PROXY_BENCH_NODE_CMD are ready once they answer at all.
  const ready = answers(`http://127.0.0.1:${port}${HIT.path}`)
  let launch
  if (t.kind === 'baseline') launch = { argv: [process.execPath, BASELINE], env: cleanEnv(common), probe: ready }
  else if (ctx.nodeCmd) launch = { argv: ['bash', '-c', ctx.nodeCmd], env: cleanEnv({ ...common, BENCH_KONG_YML: t.config, BENCH_TMP: ctx.tmp }), probe: ready }
  else launch = await nodeLaunch(ctx, t.key, { config: t.config, proxyListen: `127.0.0.1:${port}`, port })
  const started = await startProxy(ctx, t.key, launch)
  return started.error ? started : { ...started, port }
}

async function measureTarget(ctx, t) {
  const started = await startTarget(ctx, t)
  if (started.error) return { failed: started.error }
  const { g, port, readyMs } = started
  try {
    const origin = `http://127.0.0.1:${port}`
    const notForwarding = await checkForwards(ctx, origin)
    if (notForwarding) return { notForwarding: `${notForwarding} (it was ready after ${readyMs.toFixed(0)} ms); log tail:\n${logTail(g.log)}` }
    let missForwarded = false
    if (t.kind === 'node') {
      // No route matches this one; a proxy that forwards it anyway is not routing by the config.
      const miss = await exchange(`${origin}${MISS.path}`, { host: MISS.host }).catch(() => undefined)
      missForwarded = miss?.status === 200
    }
    const url = `${origin}${HIT.path}`
    const opts = { host: HIT.host }
    const m = await measureQuiet(
      ctx,
      g,
      t.label,
      async () => {
        if (ctx.warmupS > 0) await load(ctx, url, ctx.connections, ctx.warmupS, opts)
      },
      [() => load(ctx, url, ctx.connections, ctx.seconds, opts), () => load(ctx, url, 1, ctx.seconds, opts)],
    )
    if (m.failed) return m
    const [{ r: tp, w: tpw }, { r: lat, w: latw }] = m.runs
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
// The shared harness, optionally

async function runShared(ctx) {
  const src = resolve(process.env.PROXY_BENCH_SHARED_DIR ?? join(ROOT, '..', 'shared', 'bench'))
  const missing = ['wrk', 'nginx', 'taskset', 'setsid', 'curl'].filter((t) => !has(t))
  if (missing.length) {
    console.log(`  shared harness: not run, missing ${missing.join(', ')} (see ${join(src, 'README.md')})`)
    return
  }
  const copy = tempDir('kong-dbless-shared-bench-')
  cpSync(src, copy, { recursive: true, filter: (p) => !/[/\\](node_modules|results)([/\\]|$)/.test(p.slice(src.length)) })
  const outDir = resolve(process.env.PROXY_BENCH_SHARED_OUT ?? join(tmpdir(), `kong-dbless-proxy-bench-shared-${new Date().toISOString().replace(/[:.]/g, '-')}`))
  console.log(`  shared harness: npm ci in a copy (${copy}) ...`)
  const ci = startGroup(['npm', 'ci', '--no-audit', '--no-fund'], { env: cleanEnv({}), cwd: copy, log: join(ctx.tmp, 'shared-npm-ci.log') })
  const ciExit = await ci.exited
  forgetGroup(ci)
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
  forgetGroup(run)
  console.log(`  shared harness: exit ${exit.code ?? exit.signal}; report: ${join(outDir, 'report.md')} (raw output and logs beside it)`)
}

// ---------------------------------------------------------------------------------------------
// Report

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

/** Runs the bench; true when every target was met. */
export const run = () => withCleanup('proxy', (tmp) => runIn(tmp, process.env))

async function runIn(tmp, env) {
  const nodeCmd = env.PROXY_BENCH_NODE_CMD || undefined
  const ctx = { ...benchContext(env, 'PROXY_BENCH', tmp, { readyTimeoutS: 120 }), nodeCmd }
  const { notes, pin, proxyCpu, loadCpu, loadgen, upstream } = ctx
  const rounds = envNum('PROXY_BENCH_ROUNDS', 1)
  const bigRoutes = envNum('PROXY_BENCH_ROUTES', 20_000)
  if (!nodeCmd) requireBuild()

  const up = await startUpstream(ctx)
  ctx.upstreamPort = up.port
  ctx.upstreamUrl = up.url
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

  const { results, problems } = await measureRounds(ctx, targets, rounds, measureTarget, (t, r) =>
    `${t.label}: ${f0(r.tp.rps)} req/s, p99 ${f2(r.tp.p99_us / 1000)} ms; c1 p99 ${f2(r.lat.p99_us / 1000)} ms; ` +
    `${f2(r.tpw.proxyCpuS)} proxy CPU-s, ${f0(r.reqPerCpuS)} req/CPU-s; CPU ${ctx.proxyCpu} others ${pctS(Math.max(r.tpw.proxyCpuOthers, r.latw.proxyCpuOthers))}`,
  )
  if (problems.has('baseline')) throw new Error(problems.get('baseline'))

  // --- Table
  const rows = targets.map((t) => ({ t, s: summarize(results.get(t.key)) }))
  const head = ['target', `c${ctx.connections} req/s`, 'p50 ms', 'p99 ms', 'c1 req/s', 'c1 p50', 'c1 p99', 'c1 CPU-s', 'CPU-s', 'req/CPU-s', 'RSS MiB', 'procs', 'ready ms', 'load CPU', `CPU${ctx.proxyCpu} others`, 'errors']
  const table = [head]
  for (const { t, s } of rows) {
    if (!s) table.push([t.label, `not measured: ${problems.get(t.key)?.includes('NOT FORWARDING') ? 'does not forward' : 'failed'}`])
    else table.push([t.label, f0(s.rps), f2(s.p50), f2(s.p99), f0(s.c1rps), f2(s.c1p50), f2(s.c1p99), f2(s.c1CpuS), f2(s.cpuS), f0(s.reqPerCpuS), f1(s.rss), f0(s.processes), f0(s.readyMs), pctS(s.loadBusy), pctS(s.others), String(s.errors)])
  }
  printTable(table)
  console.log(`  (medians over rounds; CPU-s (c1 CPU-s: during the 1-connection run), req/CPU-s and RSS of the proxy's process group during the ${ctx.connections}-connection run; "load CPU": how busy CPU ${ctx.loadCpu} was then; "CPU${ctx.proxyCpu} others": worst share of the proxy's CPU used by other processes)`)
  const baseline = rows[0].s
  const [ten, big] = [rows[1], rows[2]]
  for (const { t, s } of [ten, big]) {
    if (s?.missForwarded) console.log(`  warning: ${t.label}: GET ${MISS.path} (Host ${MISS.host}), which no route matches, was answered 200: the load may not be served by the hit route${nodeCmd ? ' (expected of a plain proxy in PROXY_BENCH_NODE_CMD)' : ''}`)
  }

  // --- Ratios and targets
  let allOk = problems.size === 0
  const ratio = (s) => (s ? s.reqPerCpuS / baseline.reqPerCpuS : NaN)
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
