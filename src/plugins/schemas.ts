/** The bundled plugins' config schemas, by name: what `plugins:` entries are validated against. */
import type { PluginSchema } from '../declarative/schema/types.js'
import { schema as acl } from './acl/schema.js'
import { schema as basicAuth } from './basic-auth/schema.js'
import { schema as correlationId } from './correlation-id/schema.js'
import { schema as cors } from './cors/schema.js'
import { schema as fileLog } from './file-log/schema.js'
import { schema as httpLog } from './http-log/schema.js'
import { schema as ipRestriction } from './ip-restriction/schema.js'
import { schema as keyAuth } from './key-auth/schema.js'
import { schema as prometheus } from './prometheus/schema.js'
import { schema as rateLimiting } from './rate-limiting/schema.js'
import { schema as requestSizeLimiting } from './request-size-limiting/schema.js'
import { schema as requestTermination } from './request-termination/schema.js'
import { schema as requestTransformer } from './request-transformer/schema.js'
import { schema as responseTransformer } from './response-transformer/schema.js'

export const BUNDLED_PLUGIN_SCHEMAS: readonly PluginSchema[] = [
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

const BY_NAME = new Map(BUNDLED_PLUGIN_SCHEMAS.map((s) => [s.name, s]))

/** Looks up a bundled plugin's schema; undefined for plugins this node does not ship. */
export function bundledPluginSchema(name: string): PluginSchema | undefined {
  return BY_NAME.get(name)
}
