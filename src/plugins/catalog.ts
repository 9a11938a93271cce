/** What `GET /` lists under `plugins.available_on_server`: each bundled plugin's version and priority. */
import { KONG_COMPAT_VERSION } from '../version.js'
import { BUNDLED_PLUGIN_SCHEMAS } from './schemas.js'

/** Kong's execution priorities (higher runs first). */
export const PRIORITIES: Readonly<Record<string, number>> = {
  'correlation-id': 100001,
  cors: 2000,
  'key-auth': 1250,
  'basic-auth': 1100,
  'ip-restriction': 990,
  'request-size-limiting': 951,
  acl: 950,
  'rate-limiting': 910,
  'request-transformer': 801,
  'response-transformer': 800,
  prometheus: 13,
  'http-log': 12,
  'file-log': 9,
  'request-termination': 2,
}

/** name → {version, priority}, sorted by name. */
export function availablePlugins(): Record<string, { version: string; priority: number }> {
  const out: Record<string, { version: string; priority: number }> = {}
  for (const { name } of [...BUNDLED_PLUGIN_SCHEMAS].sort((a, b) => a.name.localeCompare(b.name))) {
    out[name] = { version: KONG_COMPAT_VERSION, priority: PRIORITIES[name] ?? 0 }
  }
  return out
}
