/**
 * The bundled plugins: each one's name, Kong's priority and config schema, read from its own
 * folder. What `plugins:` entries are validated against and what `GET /` lists.
 */
import type { PluginSchema } from '../declarative/schema/types.js'
import * as acl from './acl/schema.js'
import * as acme from './acme/schema.js'
import * as aiPromptDecorator from './ai-prompt-decorator/schema.js'
import * as aiPromptGuard from './ai-prompt-guard/schema.js'
import * as aiPromptTemplate from './ai-prompt-template/schema.js'
import * as aiProxy from './ai-proxy/schema.js'
import * as aiRequestTransformer from './ai-request-transformer/schema.js'
import * as aiResponseTransformer from './ai-response-transformer/schema.js'
import * as awsLambda from './aws-lambda/schema.js'
import * as azureFunctions from './azure-functions/schema.js'
import * as basicAuth from './basic-auth/schema.js'
import * as botDetection from './bot-detection/schema.js'
import * as correlationId from './correlation-id/schema.js'
import * as cors from './cors/schema.js'
import * as datadog from './datadog/schema.js'
import * as fileLog from './file-log/schema.js'
import * as grpcGateway from './grpc-gateway/schema.js'
import * as grpcWeb from './grpc-web/schema.js'
import * as hmacAuth from './hmac-auth/schema.js'
import * as httpLog from './http-log/schema.js'
import * as ipRestriction from './ip-restriction/schema.js'
import * as jwt from './jwt/schema.js'
import * as keyAuth from './key-auth/schema.js'
import * as ldapAuth from './ldap-auth/schema.js'
import * as loggly from './loggly/schema.js'
import * as oauth2 from './oauth2/schema.js'
import * as opentelemetry from './opentelemetry/schema.js'
import * as postFunction from './post-function/schema.js'
import * as preFunction from './pre-function/schema.js'
import * as prometheus from './prometheus/schema.js'
import * as proxyCache from './proxy-cache/schema.js'
import * as rateLimiting from './rate-limiting/schema.js'
import * as redirect from './redirect/schema.js'
import * as requestSizeLimiting from './request-size-limiting/schema.js'
import * as requestTermination from './request-termination/schema.js'
import * as requestTransformer from './request-transformer/schema.js'
import * as responseRatelimiting from './response-ratelimiting/schema.js'
import * as responseTransformer from './response-transformer/schema.js'
import * as session from './session/schema.js'
import * as standardWebhooks from './standard-webhooks/schema.js'
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
  acme,
  aiPromptDecorator,
  aiPromptGuard,
  aiPromptTemplate,
  aiProxy,
  aiRequestTransformer,
  aiResponseTransformer,
  awsLambda,
  azureFunctions,
  basicAuth,
  botDetection,
  correlationId,
  cors,
  datadog,
  fileLog,
  grpcGateway,
  grpcWeb,
  hmacAuth,
  httpLog,
  ipRestriction,
  jwt,
  keyAuth,
  ldapAuth,
  loggly,
  oauth2,
  opentelemetry,
  postFunction,
  preFunction,
  prometheus,
  proxyCache,
  rateLimiting,
  redirect,
  requestSizeLimiting,
  requestTermination,
  requestTransformer,
  responseRatelimiting,
  responseTransformer,
  session,
  standardWebhooks,
  statsd,
  syslog,
  tcpLog,
  udpLog,
  zipkin,
]

/**
 * Bundled plugins whose handlers run on this node: the one list `GET /` reports and load
 * warnings are judged by. Every bundled plugin's config is validated, but none runs yet.
 */
export const RUNNING_PLUGINS: ReadonlySet<string> = new Set<string>()

/** Every bundled plugin, sorted by name; a plugin that does not run says so in its schema. */
export const BUNDLED_PLUGINS: readonly BundledPlugin[] = MODULES.map(({ priority, schema }) => ({
  name: schema.name,
  priority,
  schema: RUNNING_PLUGINS.has(schema.name) ? schema : { ...schema, runs: false },
})).sort((a, b) => a.name.localeCompare(b.name))

/** The bundled plugins' config schemas. */
export const BUNDLED_PLUGIN_SCHEMAS: readonly PluginSchema[] = BUNDLED_PLUGINS.map((p) => p.schema)

const BY_NAME = new Map(BUNDLED_PLUGINS.map((p) => [p.name, p]))

/** Looks up a bundled plugin's schema; undefined for plugins this node does not ship. */
export function bundledPluginSchema(name: string): PluginSchema | undefined {
  return BY_NAME.get(name)?.schema
}

/** Every bundled plugin at `version`, as hybrid mode lists them (a data plane's basic_info, a control plane's own set). */
export function bundledPluginVersions(version: string): { name: string; version: string }[] {
  return BUNDLED_PLUGINS.map(({ name }) => ({ name, version }))
}

/** name → {version, priority}, sorted by name: `GET /`'s `available_on_server`. */
export function availablePlugins(version: string): Record<string, { version: string; priority: number }> {
  const out: Record<string, { version: string; priority: number }> = {}
  for (const { name, priority } of BUNDLED_PLUGINS) out[name] = { version, priority }
  return out
}
