/**
 * The bundled plugins: each one's name, Kong's priority and config schema, read from its own
 * folder. What `plugins:` entries are validated against and what `GET /` lists.
 */
import type { PluginSchema } from '../declarative/schema/types.js'
import * as acl from './acl/schema.js'
import * as aiPromptDecorator from './ai-prompt-decorator/schema.js'
import * as aiPromptGuard from './ai-prompt-guard/schema.js'
import * as aiPromptTemplate from './ai-prompt-template/schema.js'
import * as aiProxy from './ai-proxy/schema.js'
import * as aiRequestTransformer from './ai-request-transformer/schema.js'
import * as aiResponseTransformer from './ai-response-transformer/schema.js'
import * as awsLambda from './aws-lambda/schema.js'
import * as azureFunctions from './azure-functions/schema.js'
import * as basicAuth from './basic-auth/schema.js'
import * as correlationId from './correlation-id/schema.js'
import * as cors from './cors/schema.js'
import * as datadog from './datadog/schema.js'
import * as fileLog from './file-log/schema.js'
import * as httpLog from './http-log/schema.js'
import * as ipRestriction from './ip-restriction/schema.js'
import * as keyAuth from './key-auth/schema.js'
import * as loggly from './loggly/schema.js'
import * as opentelemetry from './opentelemetry/schema.js'
import * as prometheus from './prometheus/schema.js'
import * as rateLimiting from './rate-limiting/schema.js'
import * as requestSizeLimiting from './request-size-limiting/schema.js'
import * as requestTermination from './request-termination/schema.js'
import * as requestTransformer from './request-transformer/schema.js'
import * as responseTransformer from './response-transformer/schema.js'
import * as statsd from './statsd/schema.js'
import * as syslog from './syslog/schema.js'
import * as tcpLog from './tcp-log/schema.js'
import * as udpLog from './udp-log/schema.js'
import * as zipkin from './zipkin/schema.js'

/** A bundled plugin as the registry knows it. */
export interface BundledPlugin {
  readonly name: string
  /** Kong's execution priority: higher runs first. */
  readonly priority: number
  readonly schema: PluginSchema
}

const MODULES: readonly { readonly priority: number; readonly schema: PluginSchema }[] = [
  acl,
  aiPromptDecorator,
  aiPromptGuard,
  aiPromptTemplate,
  aiProxy,
  aiRequestTransformer,
  aiResponseTransformer,
  awsLambda,
  azureFunctions,
  basicAuth,
  correlationId,
  cors,
  datadog,
  fileLog,
  httpLog,
  ipRestriction,
  keyAuth,
  loggly,
  opentelemetry,
  prometheus,
  rateLimiting,
  requestSizeLimiting,
  requestTermination,
  requestTransformer,
  responseTransformer,
  statsd,
  syslog,
  tcpLog,
  udpLog,
  zipkin,
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
