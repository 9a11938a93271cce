// The indexed router against a plain reference written straight from the spec (§2.3-2.7): every
// route tried in priority order, each field checked the simple way. Random route sets and
// requests from a fixed seed; any disagreement prints the request.
import t from 'tap'
import { uuidV5In } from '../../src/declarative/ids.js'
import type { Route, Service } from '../../src/declarative/schema/entities/index.js'
import { compileRouter } from '../../src/router/router.js'
import { compileRustRegex, isRegexError, kongPathPattern, type RustRegex } from '../../src/util/rust-regex.js'
import { normalizePath } from '../../src/util/uri.js'
import { load } from '../helpers/load.js'
import { request, type Req } from '../helpers/router.js'
import { seededRandom as rng } from '../helpers/random.js'

const HOSTS = ['a.com', 'b.com', 'x.a.com', 'a.com:81', '*.a.com', 'b.*', 'c.org', 'x.a.com:8000']
const PATHS = ['/a', '/a/b', '/ab', '/a/b/c', '/b', '/users', '/users/1', '/a/bc', '~/a/\\d+', '~/users/(\\d+)', '~/b', '~/a', '~/(a|b)/x', '~/users/(?<id>\\d+)/?(x)?', '~/ab?c']
const REQ_HOSTS = [undefined, 'a.com', 'A.com', 'b.com:81', 'x.a.com', 'y.x.a.com:81', 'b.net', 'c.org', 'a.com:81']
const REQ_PATHS = ['/', '/a', '/a/1', '/a/b/c/d', '/ab', '/abc', '/users/12', '/users/12/x', '/b/x', '/x/a/x', '/h%61', '/a/%62c', '/ac', '/users']

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]
const some = <T>(r: () => number, xs: readonly T[], max: number): T[] => [...new Set(Array.from({ length: 1 + Math.floor(r() * max) }, () => pick(r, xs)))]
const hex = (r: () => number, n: number): string => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('')

function randomConfig(r: () => number, count: number): unknown {
  const services = [
    { name: 's-on', host: 'up', routes: [] as unknown[] },
    { name: 's-off', host: 'up', enabled: false, routes: [] as unknown[] },
  ]
  const routes: unknown[] = []
  for (let i = 0; i < count; i++) {
    const route: Record<string, unknown> = { name: `r${i}`, id: `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-8${hex(r, 3)}-${hex(r, 12)}` }
    if (r() < 0.3) route.methods = some(r, ['GET', 'POST'], 2)
    if (r() < 0.5) route.hosts = some(r, HOSTS, 2)
    if (r() < 0.8) route.paths = some(r, PATHS, 3)
    if (r() < 0.2) route.headers = r() < 0.5 ? { x: [pick(r, ['1', '~*^1', 'A'])] } : { x: ['1'], y: ['2'] }
    if (r() < 0.3) route.regex_priority = Math.floor(r() * 4) - 1
    if (!route.methods && !route.hosts && !route.paths && !route.headers) route.paths = ['/users']
    const home = r()
    if (home < 0.6) services[0].routes.push(route)
    else if (home < 0.7) services[1].routes.push(route)
    else routes.push(route)
  }
  return { _format_version: '3.0', services, routes }
}

function randomRequest(r: () => number): Req {
  const headers: Record<string, string> = {}
  if (r() < 0.4) headers.x = pick(r, ['1', 'a', '12'])
  if (r() < 0.3) headers.y = '2'
  return { method: pick(r, ['GET', 'POST']), host: pick(r, REQ_HOSTS), path: pick(r, REQ_PATHS), headers, port: pick(r, [8000, 81]) }
}

// The reference: §2.5's intended layout and §2.6's splitting, written out plainly.
interface Entry {
  route: Route
  id: string
  priority: bigint
  paths: string[] | undefined
}

function entries(routes: readonly Route[], services: ReadonlyMap<string, Service>): Entry[] {
  const out: Entry[] = []
  for (const route of routes) {
    const svc = route.service ? services.get(route.service.id) : undefined
    if (svc && !svc.enabled) continue
    const groups: string[][] = []
    const keyOf = (p: string): number => (p.startsWith('~') ? -1 : Buffer.byteLength(p))
    for (const p of route.paths ?? []) {
      const g = groups.find((x) => keyOf(x[0]) === keyOf(p))
      if (g) g.push(p)
      else groups.push([p])
    }
    const split = groups.length > 1
    for (const [i, paths] of (groups.length > 0 ? groups : [undefined]).entries()) {
      let w = 0n
      for (const f of [route.methods, route.hosts, route.snis, paths]) if (f && f.length > 0) w++
      const h = Object.keys(route.headers ?? {}).length
      if (h > 0) w++
      const regex = paths?.[0].startsWith('~') ?? false
      let priority = w << 61n
      if (route.hosts && route.hosts.every((x) => !x.includes('*'))) priority += 1n << 60n
      priority += BigInt(h) << 52n
      if (regex) priority += (1n << 51n) + ((BigInt(route.regex_priority) + 2n ** 31n) << 19n)
      else if (paths) priority += BigInt(Buffer.byteLength(paths[0]))
      out.push({ route, id: split ? uuidV5In('7f145bf9-0dce-4f91-98eb-debbce4b9f6b', `${route.id}#${i + 1}`) : route.id, priority, paths })
    }
  }
  return out.sort((a, b) => (a.priority !== b.priority ? (a.priority > b.priority ? -1 : 1) : a.id < b.id ? 1 : -1))
}

const regexes = new Map<string, RustRegex>()
function regex(p: string): RustRegex {
  let re = regexes.get(p)
  if (!re) {
    const c = compileRustRegex(kongPathPattern(p))
    if (isRegexError(c)) throw new Error(c.reason)
    regexes.set(p, (re = c))
  }
  return re
}

function hostOk(rule: string, host: string | undefined, port: number): boolean {
  if (host === undefined) return false
  const [name, rulePort] = rule.split(':')
  if (rulePort !== undefined && Number(rulePort) !== port) return false
  if (name.startsWith('*')) return host.endsWith(name.slice(1))
  if (name.endsWith('*')) return host.startsWith(name.slice(0, -1))
  return host === name
}

function reference(list: readonly Entry[], req: Req): { id: string; prefix: string | undefined } | undefined {
  let host = req.host
  let port = req.port ?? 8000
  const m = host === undefined ? null : /^([^:]*):(\d+)$/.exec(host)
  if (m) {
    host = m[1]
    port = Number(m[2])
  }
  const path = normalizePath(req.path ?? '/')
  for (const e of list) {
    const r = e.route
    if (r.methods && !r.methods.includes(req.method ?? 'GET')) continue
    if (r.hosts && r.hosts.length > 0 && !r.hosts.some((h) => hostOk(h, host, port))) continue
    const headersOk = Object.entries(r.headers ?? {}).every(([name, values]) => {
      const got = req.headers?.[name]
      if (typeof got !== 'string') return false
      return values.some((v) => (v.startsWith('~*') ? new RegExp(v.slice(2).toLowerCase()).test(got.toLowerCase()) : v.toLowerCase() === got.toLowerCase()))
    })
    if (!headersOk) continue
    if (!e.paths) return { id: r.id, prefix: undefined }
    for (const p of e.paths) {
      if (!p.startsWith('~')) {
        if (path.startsWith(p)) return { id: r.id, prefix: p }
        continue
      }
      const g = regex(p).exec(path)
      if (g) return { id: r.id, prefix: g[0] }
    }
  }
  return undefined
}

t.test('the index gives what a scan of every route in order gives', async (t) => {
  const r = rng(20260511)
  let compared = 0
  let matched = 0
  for (let set = 0; set < 30; set++) {
    const s = await load(JSON.stringify(randomConfig(r, 10 + Math.floor(r() * 120))), 'kong.json')
    const routes = s.entities.routes ?? []
    const services = new Map((s.entities.services ?? []).map((x) => [x.id, x]))
    const router = compileRouter(routes, services)
    const list = entries(routes, services)
    for (let i = 0; i < 300; i++) {
      const req = randomRequest(r)
      const want = reference(list, req)
      const got = router.match(request(req))
      const linear = router.matchLinear(request(req))
      compared++
      if (want) matched++
      if (got?.route.id !== want?.id || got?.prefix !== want?.prefix || linear?.route.id !== want?.id) {
        t.fail(`set ${set}: ${JSON.stringify(req)}: got ${got?.route.name} (${got?.prefix}), linear ${linear?.route.name}, want ${want?.id} (${want?.prefix})`)
        return
      }
    }
  }
  t.equal(compared, 9000, 'requests compared')
  t.ok(matched > 3000 && matched < 8800, `a useful mix of matches and misses (${matched} matched)`)
})
