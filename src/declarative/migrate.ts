/**
 * The on-the-fly migration of `_format_version` 1.1 and 2.1 files: route paths that are not
 * plain become `~`-prefixed regexes, plain ones are normalized, as Kong's route_path migration.
 */
import { normalizePath } from '../util/uri.js'
import { isRecord } from '../util/json.js'

const PLAIN = /^[a-zA-Z0-9.\-_~/%]*$/

/** Rewrites one pre-3.0 route path to its 3.0 form. */
export function migratePath(path: string): string {
  if (PLAIN.test(path)) return normalizePath(path)
  return `~${path}`
}

function migrateRoutes(routes: unknown): void {
  if (!Array.isArray(routes)) return
  for (const route of routes) {
    if (!isRecord(route) || !Array.isArray(route.paths)) continue
    route.paths = (route.paths as unknown[]).map((p) => (typeof p === 'string' ? migratePath(p) : p))
  }
}

/** Migrates top-level routes and routes nested under services, in place. */
export function migrateRoutePaths(doc: Record<string, unknown>): void {
  migrateRoutes(doc.routes)
  if (Array.isArray(doc.services)) {
    for (const service of doc.services) if (isRecord(service)) migrateRoutes(service.routes)
  }
}
