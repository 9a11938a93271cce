/**
 * The bundled plugins: each one's name, Kong's priority and config schema, read from its own
 * folder. What `plugins:` entries are validated against and what `GET /` lists.
 */
import type { PluginSchema } from '../declarative/schema/types.js'
import * as acl from './acl/schema.js'
import * as basicAuth from './basic-auth/schema.js'
import * as correlationId from './correlation-id/schema.js'
import * as cors from './cors/schema.js'
import * as fileLog from './file-log/schema.js'
import * as httpLog from './http-log/schema.js'
import * as ipRestriction from './ip-restriction/schema.js'
import * as keyAuth from './key-auth/schema.js'
import * as prometheus from './prometheus/schema.js'
import * as rateLimiting from './rate-limiting/schema.js'
import * as requestSizeLimiting from './request-size-limiting/schema.js'
import * as requestTermination from './request-termination/schema.js'
import * as requestTransformer from './request-transformer/schema.js'
import * as responseTransformer from './response-transformer/schema.js'

/** A bundled plugin as the registry knows it. */
export interface BundledPlugin {
  readonly name: string
  /** Kong's execution priority: higher runs first. */
  readonly priority: number
  readonly schema: PluginSchema
}

const MODULES: readonly { readonly priority: number; readonly schema: PluginSchema }[] = [
  acl,
  basicAuth,
  correlationId,
  cors,
  fileLog,
  httpLog,
  ipRestriction,
  keyAuth,
  prometheus,
  rateLimiting,
  requestSizeLimiting,
  requestTermination,
  requestTransformer,
  responseTransformer,
]

/** Every bundled plugin, sorted by name. */
export const BUNDLED_PLUGINS: readonly BundledPlugin[] = MODULES.map(({ priority, schema }) => ({ name: schema.name, priority, schema })).sort((a, b) =>
  a.name.localeCompare(b.name),
)

/** The bundled plugins' config schemas. */
export const BUNDLED_PLUGIN_SCHEMAS: readonly PluginSchema[] = BUNDLED_PLUGINS.map((p) => p.schema)

const BY_NAME = new Map(BUNDLED_PLUGINS.map((p) => [p.name, p]))

/** Looks up a bundled plugin's schema; undefined for plugins this node does not ship. */
export function bundledPluginSchema(name: string): PluginSchema | undefined {
  return BY_NAME.get(name)?.schema
}

/** name → {version, priority}, sorted by name: `GET /`'s `available_on_server`. */
export function availablePlugins(version: string): Record<string, { version: string; priority: number }> {
  const out: Record<string, { version: string; priority: number }> = {}
  for (const { name, priority } of BUNDLED_PLUGINS) out[name] = { version, priority }
  return out
}
