/** `GET /endpoints`: the paths the admin API serves, read from its router, in Kong's form and order. */
import type { Router } from '@koa/router'

/** A router path in Kong's notation: `/services/:services` becomes `/services/{services}`. */
export function kongPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}')
}

/** Kong's order: segment by segment, so `/a/z` sorts before `/ab`. */
export function compareEndpoints(a: string, b: string): number {
  const ka = a.replaceAll('/', '\u0000')
  const kb = b.replaceAll('/', '\u0000')
  return ka < kb ? -1 : ka > kb ? 1 : 0
}

/** Every path `router` answers with a method (middleware layers have none), deduplicated and sorted. */
export function listEndpoints(router: Router): string[] {
  const paths = new Set<string>()
  // Our routes are all string paths; a RegExp route would have no Kong form, so it is left out.
  for (const layer of router.stack) if (layer.methods.length > 0 && typeof layer.path === 'string') paths.add(kongPath(layer.path))
  return [...paths].sort(compareEndpoints)
}

/** Mounts `GET /endpoints`; the list is read when asked, so it includes routes added after this one. */
export function addEndpointsRoute(router: Router): void {
  router.get('/endpoints', (ctx) => {
    ctx.body = { data: listEndpoints(router) }
  })
}
