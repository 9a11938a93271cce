/** Builds routers from config text and requests from a few fields, for the router tests. */
import type { Route, Service } from '../../src/declarative/schema/entities/index.js'
import { compileRouter, type Router, type RouterRequest } from '../../src/router/router.js'
import { load, yml } from './load.js'

export interface Loaded {
  readonly router: Router
  readonly routes: readonly Route[]
  readonly services: ReadonlyMap<string, Service>
}

/** Loads a 3.0 config body and compiles its router. */
export async function routerOf(body: string): Promise<Loaded> {
  const s = await load(yml(body))
  const routes = s.entities.routes ?? []
  const services = new Map((s.entities.services ?? []).map((x) => [x.id, x]))
  return { router: compileRouter(routes, services), routes, services }
}

export interface Req {
  method?: string
  path?: string
  host?: string
  port?: number
  scheme?: 'http' | 'https'
  sni?: string
  headers?: Record<string, string | string[]>
}

/** A request with GET, `/`, no Host, port 8000 and http unless told otherwise. */
export function request(r: Req): RouterRequest {
  const headers = new Map(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]))
  return {
    method: r.method ?? 'GET',
    rawPath: r.path ?? '/',
    host: r.host,
    port: r.port ?? 8000,
    scheme: r.scheme ?? 'http',
    sni: r.sni,
    header: (name) => headers.get(name),
  }
}

/** The name of the route a request matches through both the index and the linear scan, which must agree. */
export function matchName(router: Router, r: Req): string | undefined {
  const req = request(r)
  const indexed = router.match(req)
  const linear = router.matchLinear(req)
  if (indexed?.route.id !== linear?.route.id) throw new Error(`index and scan disagree on ${JSON.stringify(r)}`)
  return indexed ? (indexed.route.name ?? indexed.route.id) : undefined
}
