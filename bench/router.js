// bench/router: compiles 20,000 routes (plain and wildcard hosts, prefixes, 5% regexes) and
// matches a mix of requests that hit and miss, against a linear scan of the same router in the
// same run (target: median match < 5 us). Also sets the regex engine beside V8's: compile and
// exec cost of the same route regexes, and the classic ReDoS pattern on both.
import { fileURLToPath } from 'node:url'
import { compileRouter } from '../dist/router/router.js'
import { compileRustRegex, kongPathPattern } from '../dist/util/rust-regex.js'

const ROUTES = 20000
const REQUESTS = 20000
const LINEAR_REQUESTS = 300

/** mulberry32, so every run measures the same configuration. */
function rng(seed) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const hex = (r, n) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('')
const uuid = (r) => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-8${hex(r, 3)}-${hex(r, 12)}`
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
const RESOURCES = ['users', 'orders', 'items', 'carts', 'payments', 'invoices', 'search', 'reports']

function route(r, i, service) {
  return {
    id: uuid(r),
    name: `route-${i}`,
    protocols: ['http', 'https'],
    methods: null,
    hosts: null,
    paths: null,
    headers: null,
    snis: null,
    sources: null,
    destinations: null,
    regex_priority: 0,
    strip_path: true,
    preserve_host: false,
    service: { id: service.id },
  }
}

/** The routes, their services, and for each route a request that it (or a higher one) answers. */
function generate() {
  const r = rng(7)
  const services = Array.from({ length: 500 }, (_, i) => ({ id: uuid(r), name: `svc-${i}`, enabled: true, host: `backend-${i}.internal` }))
  const routes = []
  const hits = []
  for (let i = 0; i < ROUTES; i++) {
    const s = i % services.length
    const rt = route(r, i, services[s])
    const res = RESOURCES[i % RESOURCES.length]
    const kind = r()
    let host
    if (kind < 0.4) rt.hosts = [(host = `api${i % 400}.example.com`)]
    else if (kind < 0.45) {
      rt.hosts = [`*.tenant${i % 50}.example.net`]
      host = `t${i}.tenant${i % 50}.example.net`
    } else if (kind < 0.5) {
      rt.hosts = [`edge${i % 50}.*`]
      host = `edge${i % 50}.example.org`
    }
    if (r() < 0.3) rt.methods = r() < 0.5 ? ['GET'] : ['GET', 'POST']
    let path
    if (i % 20 === 0) {
      rt.paths = [`~/s${i}/${res}/(?<id>\\d+)(/[a-z]+)?$`]
      path = `/s${i}/${res}/${i * 7}/detail`
    } else {
      rt.paths = [`/s${i}/${res}`, ...(r() < 0.2 ? [`/v2/s${i}/${res}`] : [])]
      path = `/s${i}/${res}/${i % 97}`
    }
    routes.push(rt)
    hits.push({ method: rt.methods?.[0] ?? 'GET', host: host ?? `any${i % 13}.example.com`, path })
  }
  return { routes, services, hits }
}

function requestOf(h) {
  const headers = { 'user-agent': 'bench', accept: '*/*' }
  return { method: h.method, rawPath: h.path, host: h.host, port: 8000, scheme: 'http', header: (n) => headers[n] }
}

function timeEach(router, reqs, fn) {
  const out = new Float64Array(reqs.length)
  let found = 0
  for (let i = 0; i < reqs.length; i++) {
    const t0 = process.hrtime.bigint()
    const m = fn.call(router, reqs[i])
    out[i] = Number(process.hrtime.bigint() - t0) / 1000
    if (m) found++
  }
  return { times: Array.from(out).sort((a, b) => a - b), found }
}

/** The route regexes on both engines: compile and exec cost, and a ReDoS probe. */
function engines(routes) {
  const patterns = routes.filter((rt) => rt.paths[0].startsWith('~')).map((rt) => kongPathPattern(rt.paths[0]))
  const texts = patterns.map((_, i) => `/s${i * 20}/users/${i}/detail`)
  let t0 = performance.now()
  const re2 = patterns.map((p) => compileRustRegex(p))
  const re2Compile = ((performance.now() - t0) * 1000) / patterns.length
  t0 = performance.now()
  const v8 = patterns.map((p) => new RegExp(p.replaceAll('?P<', '?<'), 'u'))
  const v8Compile = ((performance.now() - t0) * 1000) / patterns.length
  const execNs = (list) => {
    for (let k = 0; k < 3; k++) for (let i = 0; i < list.length; i++) list[i].exec(texts[i])
    const start = process.hrtime.bigint()
    const rounds = 20
    for (let k = 0; k < rounds; k++) for (let i = 0; i < list.length; i++) list[i].exec(texts[(i + k) % texts.length])
    return Number(process.hrtime.bigint() - start) / (rounds * list.length)
  }
  const evil = '^/(a+)+$'
  const probe = (n, test) => {
    const text = `/${'a'.repeat(n)}!`
    const s = performance.now()
    test(text)
    return performance.now() - s
  }
  const evilRe2 = compileRustRegex(evil)
  const evilV8 = new RegExp(evil, 'u')
  return {
    count: patterns.length,
    re2Compile,
    v8Compile,
    re2Exec: execNs(re2),
    v8Exec: execNs(v8),
    redos: { v8at24: probe(24, (x) => evilV8.test(x)), re2at24: probe(24, (x) => evilRe2.test(x)), re2at100k: probe(100000, (x) => evilRe2.test(x)) },
  }
}

/** Runs the benchmark, prints its figures, and says whether the median match is under 5 us. */
export async function run() {
  console.log('router: 20,000 routes (40% plain hosts, 10% wildcard hosts, 5% regex paths)')
  const { routes, services, hits } = generate()
  const byId = new Map(services.map((s) => [s.id, s]))
  const t0 = performance.now()
  const router = compileRouter(routes, byId)
  const compileMs = performance.now() - t0
  const r = rng(11)
  const reqs = []
  for (let i = 0; i < REQUESTS; i++) {
    const h = hits[Math.floor(r() * hits.length)]
    const miss = r() < 0.1
    reqs.push(requestOf(miss ? { ...h, path: `/nothing/${i}` } : h))
  }
  timeEach(router, reqs.slice(0, 2000), router.match)
  const indexed = timeEach(router, reqs, router.match)
  const linear = timeEach(router, reqs.slice(0, LINEAR_REQUESTS), router.matchLinear)
  const med = pct(indexed.times, 50)
  const p99 = pct(indexed.times, 99)
  const linMed = pct(linear.times, 50)
  console.log(`  compile: ${compileMs.toFixed(0)} ms for ${router.size} matchers`)
  console.log(`  match: median ${med.toFixed(2)} us, p99 ${p99.toFixed(2)} us (${indexed.found} of ${reqs.length} matched)`)
  console.log(`  linear scan: median ${linMed.toFixed(0)} us, p99 ${pct(linear.times, 99).toFixed(0)} us; indexed is ${(linMed / med).toFixed(0)} x faster`)
  const e = engines(routes)
  console.log(`  regex engines on ${e.count} route regexes: compile RE2 ${e.re2Compile.toFixed(0)} us (translation included), V8 ${e.v8Compile.toFixed(1)} us; exec RE2 ${e.re2Exec.toFixed(0)} ns, V8 ${e.v8Exec.toFixed(0)} ns`)
  console.log(`  ReDoS probe ^/(a+)+$ on 24 a's and '!': V8 ${e.redos.v8at24.toFixed(0)} ms, RE2 ${e.redos.re2at24.toFixed(3)} ms; RE2 on 100,000 a's ${e.redos.re2at100k.toFixed(1)} ms`)
  const ok = med < 5
  console.log(`  median match < 5 us ${ok ? 'OK' : 'MISSED'}`)
  return ok
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = (await run()) ? 0 : 1
