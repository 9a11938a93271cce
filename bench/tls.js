// bench/tls: HTTPS through the node (1 worker) against a minimal node:https + undici Pool.stream
// proxy (bench/baseline-https-proxy.js) and, when it is installed, nginx, all three terminating
// TLS with the same certificate in front of the same upstream, measured in the same run. Target:
// HTTPS requests per proxy CPU-second over keep-alive connections >= 0.9 x the baseline's.
//
//   npm run build && node bench/tls.js          (or: import('./tls.js').then((m) => m.run()))
//
// Certificates are made at bench time with the openssl CLI in a temp folder: RSA 2048 and ECDSA
// P-256, self-signed, for svc-hit.bench.test, *.bench.test and 127.0.0.1. Each proxy serves one
// of them at a time: the node with KONG_PROXY_LISTEN='127.0.0.1:<port> ssl', KONG_SSL_CERT and
// KONG_SSL_CERT_KEY, 1 worker, the admin API off, the status API on a free port, the 10-route
// kong.yml of bench/proxy.js; the baseline with TLS_CERT / TLS_KEY; nginx (1 worker) with
// ssl_certificate, TLS 1.2 and 1.3, Kong's session defaults (shared cache, tickets on) and
// proxy_pass to the upstream over a 64-connection keep-alive pool, as the shared harness's nginx.
//
// Layout as bench/proxy.js: the proxy under test alone on CPU 1, the load generator and the
// upstream (nginx `return 200 'ok'`, else bench/proxy-upstream.js) on CPU 0, with taskset; each
// proxy in its own process group, whose CPU seconds during each run are read from /proc.
//
// Before a proxy is measured it must answer GET https://127.0.0.1:<port>/api/v1/hit/items (Host
// and SNI svc-hit.bench.test) with the upstream's 200 "ok". When the node does not (it skipped
// `ssl` listeners with a warning until it served TLS), a line says why with its log, the node is
// not measured, the baselines still are, and run() returns false.
//
// For each proxy, after a warm-up of both kinds of load:
// 1. HTTPS over keep-alive: wrk (its TLS is OpenSSL's) at 50 connections: req/s, p50/p99,
//    requests per proxy CPU-second. Once a connection is up this hardly depends on the
//    certificate, so it runs with the first certificate kind only (TLS_BENCH_CERTS).
// 2. Full TLS handshakes: bench/tls-handshake-load.js, a Node client opening a new connection per
//    request (`Connection: close`) and never offering a session, so no server can resume one,
//    whatever its ticket and cache settings (wrk was not fit: it offers its last session again and
//    servers with tickets resume it). Handshakes/s (one request each), p50/p99 from connect to
//    response, handshakes per proxy CPU-second, and how busy the proxy's CPU was. A client's side
//    of a handshake costs about as much CPU as a server's, so no client on the one load CPU
//    saturates a proxy: this Node client got more handshakes through than 4 to 16 `openssl s_time
//    -new` processes, and checks every answer. "load CPU" is then near 100% and handshakes per
//    proxy CPU-s are the fair comparison, as req per proxy CPU-s are in bench/proxy.js.
// Then a table, and the ratios node / baseline, node / nginx and baseline / nginx.
//
// Environment (all optional):
//   TLS_BENCH_SECONDS=10            seconds of each measured run
//   TLS_BENCH_WARMUP=3              seconds of each kind of unmeasured load before them
//   TLS_BENCH_CONNECTIONS=50        connections of the keep-alive run
//   TLS_BENCH_HANDSHAKE_CONNECTIONS=16  concurrent connections of the handshake run
//   TLS_BENCH_CERTS=rsa,ecdsa       certificate kinds, in order (the first also gets the keep-alive run)
//   TLS_BENCH_ROUNDS=1              rounds; the order of the targets rotates; medians reported
//   TLS_BENCH_NGINX=1               0: leave nginx out even when it is installed
//   TLS_BENCH_PROXY_CPU=1, TLS_BENCH_LOAD_CPU=0
//   TLS_BENCH_LOADGEN=wrk|autocannon, TLS_BENCH_UPSTREAM=nginx|node (default: as found)
//   TLS_BENCH_READY_TIMEOUT=60      seconds a proxy may take to be ready
//   TLS_BENCH_MAX_OTHER=10, TLS_BENCH_RETRIES=3  measure again when other processes used more than
//                                   MAX_OTHER % of the proxy's CPU, as bench/proxy.js does
//
// Every process started here runs in its own process group and is stopped (TERM, KILL after 5 s)
// when its measurement ends, on error, on SIGINT/SIGTERM and at exit; temp folders are removed.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { benchContext, exchange, load, measureQuiet } from './lib-load.js'
import { nginxCommand, startUpstream } from './lib-nginx.js'
import { answers, checkForwards, measureRounds, nodeLaunch, requireBuild, startProxy } from './lib-node.js'
import { cleanEnv, freePort, has, logTail, stopGroup, withCleanup } from './lib-procs.js'
import { envNum, f0, f1, f2, medians, pctS, printTable, verdict } from './lib-report.js'
import { HIT, routesConfig } from './lib-routes.js'

const BASELINE = join(import.meta.dirname, 'baseline-https-proxy.js')
const TARGET = 0.9
/** Certificate kinds: openssl's -newkey arguments and a name for the report. */
const CERT_KINDS = {
  rsa: { name: 'RSA 2048', newkey: ['-newkey', 'rsa:2048'] },
  ecdsa: { name: 'ECDSA P-256', newkey: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] },
}

/** Makes a self-signed certificate and key of each kind in `dir`: kind -> { cert, key } (PEM files). */
function makeCerts(dir, kinds) {
  if (!has('openssl')) throw new Error('openssl not found (apt-get install openssl): the certificates are made with it')
  const out = {}
  for (const kind of kinds) {
    const files = { cert: join(dir, `${kind}.crt`), key: join(dir, `${kind}.key`) }
    const argv = ['req', '-x509', ...CERT_KINDS[kind].newkey, '-nodes', '-keyout', files.key, '-out', files.cert, '-days', '2', '-subj', `/CN=${HIT.host}`]
    const r = spawnSync('openssl', [...argv, '-addext', `subjectAltName=DNS:${HIT.host},DNS:*.bench.test,IP:127.0.0.1`], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`openssl could not make the ${CERT_KINDS[kind].name} certificate:\n${r.stderr}`)
    out[kind] = files
  }
  return out
}

/** What startProxy needs to run target `t` on `port`, TLS-terminating with t.cert's files. */
async function launchOf(ctx, t, port) {
  const files = ctx.certFiles[t.cert]
  const url = `https://127.0.0.1:${port}${HIT.path}`
  if (t.kind === 'node') {
    const env = { KONG_SSL_CERT: files.cert, KONG_SSL_CERT_KEY: files.key }
    return nodeLaunch(ctx, t.key, { config: ctx.config, proxyListen: `127.0.0.1:${port} ssl`, port, env })
  }
  if (t.kind === 'baseline') {
    const env = cleanEnv({ PROXY_PORT: String(port), UPSTREAM_HOST: '127.0.0.1', UPSTREAM_PORT: String(ctx.upstreamPort), TLS_CERT: files.cert, TLS_KEY: files.key })
    return { argv: [process.execPath, BASELINE], env, probe: answers(url) }
  }
  const server = `    listen 127.0.0.1:${port} ssl reuseport backlog=4096;
    ssl_certificate ${files.cert};
    ssl_certificate_key ${files.key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:10m;
    ssl_session_tickets on;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }`
  const http = `  upstream backend {
    server 127.0.0.1:${ctx.upstreamPort};
    keepalive 64;
    keepalive_requests 10000000;
    keepalive_timeout 60s;
  }
`
  return { argv: nginxCommand(join(ctx.tmp, `${t.key}-r${ctx.round}`), { http, server }), env: cleanEnv({}), probe: answers(url) }
}

/** Per-run figures of one load run and the proxy's window during it. */
const figures = ({ r, w }) => ({ rps: r.rps, p50: r.p50_us / 1000, p99: r.p99_us / 1000, perCpuS: r.requests / w.proxyCpuS, busy: w.proxyBusy })

async function measureTarget(ctx, t) {
  const port = await freePort()
  const started = await startProxy(ctx, t.key, await launchOf(ctx, t, port))
  if (started.error) return { failed: started.error }
  const { g, readyMs } = started
  try {
    const origin = `https://127.0.0.1:${port}`
    const notForwarding = await checkForwards(ctx, origin)
    if (notForwarding) return { notForwarding: `${notForwarding} (it was ready after ${readyMs.toFixed(0)} ms); log tail:\n${logTail(g.log)}` }
    const url = `${origin}${HIT.path}`
    const agreed = (await exchange(url, { host: HIT.host })).tls
    const keepAlive = (seconds) => load(ctx, url, ctx.connections, seconds, { host: HIT.host })
    const handshakes = (seconds) => load(ctx, url, ctx.hsConnections, seconds, { host: HIT.host, tool: 'handshakes' })
    const withKeepAlive = t.cert === ctx.certs[0]
    const m = await measureQuiet(
      ctx,
      g,
      t.label,
      async () => {
        if (ctx.warmupS === 0) return
        if (withKeepAlive) await keepAlive(ctx.warmupS)
        await handshakes(ctx.warmupS)
      },
      [...(withKeepAlive ? [() => keepAlive(ctx.seconds)] : []), () => handshakes(ctx.seconds)],
    )
    if (m.failed) return m
    const hs = m.runs.at(-1)
    const ka = withKeepAlive ? m.runs[0] : undefined
    return {
      agreed,
      ka: ka && figures(ka),
      hs: figures(hs),
      common: {
        rss: hs.w.rssKb / 1024,
        loadBusy: hs.w.loadCpuBusy,
        others: Math.max(...m.runs.map((x) => x.w.proxyCpuOthers)),
        errors: m.runs.reduce((n, x) => n + x.r.errors, 0),
        resumed: hs.r.resumed,
      },
    }
  } finally {
    await stopGroup(g)
  }
}

/** Medians over rounds of a target's figures, or undefined when it was not measured. */
function summarize(list) {
  if (list.length === 0) return undefined
  return {
    agreed: list[0].agreed,
    ka: list[0].ka && medians(list.map((x) => x.ka)),
    hs: medians(list.map((x) => x.hs)),
    ...medians(list.map((x) => x.common)),
    errors: list.reduce((n, x) => n + x.common.errors, 0),
    resumed: list.reduce((n, x) => n + x.common.resumed, 0),
  }
}

/** Runs the bench; true when the node met its target. */
export const run = () => withCleanup('tls', (tmp) => runIn(tmp, process.env))

async function runIn(tmp, env) {
  const certs = (env.TLS_BENCH_CERTS ?? 'rsa,ecdsa').split(',').map((c) => c.trim()).filter(Boolean)
  const unknown = certs.filter((c) => !CERT_KINDS[c])
  if (certs.length === 0 || unknown.length) throw new Error(`TLS_BENCH_CERTS=${env.TLS_BENCH_CERTS}: want a list of ${Object.keys(CERT_KINDS).join(', ')}`)
  const ctx = {
    ...benchContext(env, 'TLS_BENCH', tmp, { readyTimeoutS: 60 }),
    certs,
    hsConnections: envNum('TLS_BENCH_HANDSHAKE_CONNECTIONS', 16),
    certFiles: makeCerts(tmp, certs),
  }
  const rounds = envNum('TLS_BENCH_ROUNDS', 1)
  const withNginx = env.TLS_BENCH_NGINX !== '0' && has('nginx')
  requireBuild()

  const up = await startUpstream(ctx)
  ctx.upstreamPort = up.port
  ctx.upstreamBody = up.body
  ctx.config = join(tmp, 'kong-10.yml')
  writeFileSync(ctx.config, routesConfig(10, up.url))

  const kinds = [
    { kind: 'baseline', label: 'baseline (node:https + undici)' },
    { kind: 'node', label: 'node' },
    ...(withNginx ? [{ kind: 'nginx', label: 'nginx' }] : []),
  ]
  const targets = certs.flatMap((cert) => kinds.map((k) => ({ ...k, cert, key: `${k.kind}-${cert}`, label: `${k.label}, ${CERT_KINDS[cert].name}` })))

  console.log(
    `tls: kong-dbless (1 worker, 10 routes) against a node:https + undici Pool.stream proxy${withNginx ? ' and nginx (1 worker)' : ''}, TLS-terminating with the same certificates ` +
      `(${certs.map((c) => CERT_KINDS[c].name).join(', ')}); upstream ${ctx.upstream} ('ok'); ${ctx.pin ? `proxy on CPU ${ctx.proxyCpu}, load and upstream on CPU ${ctx.loadCpu}` : 'not pinned'}; ` +
      `${ctx.seconds} s runs: keep-alive ${ctx.loadgen} at ${ctx.connections} connections (${CERT_KINDS[certs[0]].name}), full handshakes by the Node client at ${ctx.hsConnections}; ` +
      `${ctx.warmupS} s warm-up each; ${rounds} round(s); GET ${HIT.path} Host and SNI ${HIT.host}`,
  )
  if (!withNginx) ctx.notes.push(env.TLS_BENCH_NGINX === '0' ? 'TLS_BENCH_NGINX=0: nginx left out' : 'nginx not installed (apt-get install -y nginx): measured against the Node baseline only')
  for (const n of ctx.notes) console.log(`  note: ${n}`)

  const { results, problems } = await measureRounds(ctx, targets, rounds, measureTarget, (t, r) =>
    `${t.label}: ${r.ka ? `keep-alive ${f0(r.ka.rps)} req/s, ${f0(r.ka.perCpuS)} req/CPU-s; ` : ''}` +
    `${f0(r.hs.rps)} handshakes/s, ${f0(r.hs.perCpuS)} per CPU-s (proxy CPU ${pctS(r.hs.busy)}); CPU ${ctx.proxyCpu} others ${pctS(r.common.others)}`,
  )
  for (const t of targets.filter((t) => t.kind !== 'node')) if (problems.has(t.key)) throw new Error(problems.get(t.key))

  // --- Table
  const sums = new Map(targets.map((t) => [t.key, summarize(results.get(t.key))]))
  const table = [['target', 'HTTPS req/s', 'p50 ms', 'p99 ms', 'req/CPU-s', 'proxy CPU', 'handshakes/s', 'p50 ms', 'p99 ms', 'hs/CPU-s', 'proxy CPU', 'RSS MiB', 'load CPU', `CPU${ctx.proxyCpu} others`, 'errors']]
  for (const t of targets) {
    const s = sums.get(t.key)
    if (!s) {
      table.push([t.label, `could not be measured: ${problems.get(t.key)?.includes('NOT FORWARDING') ? 'no 200 "ok" over https' : 'failed'}`])
      continue
    }
    const ka = s.ka ? [f0(s.ka.rps), f2(s.ka.p50), f2(s.ka.p99), f0(s.ka.perCpuS), pctS(s.ka.busy)] : ['-', '-', '-', '-', '-']
    table.push([t.label, ...ka, f0(s.hs.rps), f2(s.hs.p50), f2(s.hs.p99), f0(s.hs.perCpuS), pctS(s.hs.busy), f1(s.rss), pctS(s.loadBusy), pctS(s.others), String(s.errors)])
  }
  printTable(table)
  console.log(
    `  (medians over rounds; req/CPU-s and hs/CPU-s: requests, and handshakes, per CPU-second of the proxy's process group; "proxy CPU": its share of one CPU during the run; ` +
      `"load CPU": how busy CPU ${ctx.loadCpu} was during the handshake run; "CPU${ctx.proxyCpu} others": worst share of the proxy's CPU used by other processes)`,
  )
  const agreed = new Map() // protocol and cipher -> targets
  for (const t of targets.filter((t) => sums.get(t.key))) agreed.set(sums.get(t.key).agreed, [...(agreed.get(sums.get(t.key).agreed) ?? []), t])
  const who = (ts) => (ts.length === targets.length ? 'every target' : ts.map((t) => t.label).join(', '))
  console.log(`  TLS agreed with a Node client: ${[...agreed].map(([tls, ts]) => `${tls} (${who(ts)})`).join('; ')}`)
  for (const t of targets) if (sums.get(t.key)?.resumed) console.log(`  warning: ${t.label}: ${sums.get(t.key).resumed} connections of the handshake run were resumed, not full handshakes`)

  // --- Ratios
  const ratioLine = (label, a, b) => {
    if (!a || !b) return
    const parts = []
    if (a.ka && b.ka) parts.push(`HTTPS req per proxy CPU-s ${f2(a.ka.perCpuS / b.ka.perCpuS)}, req/s ${f2(a.ka.rps / b.ka.rps)}`)
    parts.push(`handshakes per proxy CPU-s ${f2(a.hs.perCpuS / b.hs.perCpuS)}, handshakes/s ${f2(a.hs.rps / b.hs.rps)}`)
    console.log(`  ${label}: ${parts.join('; ')}`)
  }
  for (const cert of certs) {
    const [base, node, nginx] = ['baseline', 'node', 'nginx'].map((k) => sums.get(`${k}-${cert}`))
    const name = CERT_KINDS[cert].name
    ratioLine(`node / baseline, ${name}`, node, base)
    ratioLine(`node / nginx, ${name}`, node, nginx)
    ratioLine(`baseline / nginx, ${name}`, base, nginx)
  }

  // --- Target
  const first = certs[0]
  const node = sums.get(`node-${first}`)
  const base = sums.get(`baseline-${first}`)
  if (!node) {
    console.log(`  node: HTTPS req per proxy CPU-s / baseline: not measured, see above (target >= ${TARGET}) MISSED`)
    return false
  }
  const ratio = node.ka.perCpuS / base.ka.perCpuS
  const errors = [...sums.values()].reduce((n, s) => n + (s?.errors ?? 0) + (s?.resumed ?? 0), 0)
  const ok = ratio >= TARGET && errors === 0 && problems.size === 0
  console.log(
    `  node: HTTPS req per proxy CPU-s ${f0(node.ka.perCpuS)} / baseline ${f0(base.ka.perCpuS)} = ${f2(ratio)} (target >= ${TARGET}, ${CERT_KINDS[first].name})` +
      `${errors ? `, ${errors} failed requests or resumed handshakes` : ''}${problems.size ? `, ${problems.size} target(s) not measured` : ''} ${verdict(ok)}`,
  )
  return ok
}

// A thrown error (a baseline that cannot run, a bad setting) prints its stack and exits 1.
if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = (await run()) ? 0 : 1
