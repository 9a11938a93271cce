/** The `upstreams` entity (a load-balanced virtual host) and its `targets`. */
import { isIP } from 'node:net'
import * as t from '../typedefs.js'
import { defineEntity, type EntityOf, type EntityCheck, type Field, type RecordField } from '../types.js'

const HASH_ON = ['none', 'consumer', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'] as const

const statuses = (d: readonly number[], description: string): Field => ({
  type: 'array',
  default: d,
  description,
  elements: t.httpStatus({ description: 'An HTTP status code.' }),
})
const counter = (description: string): Field => ({ type: 'integer', between: [0, 255], default: 0, description })
const seconds = (d: number, description: string): Field => ({ type: 'number', between: [0, 65535], default: d, description })
const checkType = (description: string): Field => ({
  type: 'string',
  oneOf: ['tcp', 'http', 'https', 'grpc', 'grpcs'],
  default: 'http',
  description,
})

/** When a target counts as healthy: these statuses, this many successes (plus `extra` fields). */
const healthy = (codes: readonly number[], extra: Record<string, Field> = {}): RecordField => ({
  type: 'record',
  required: true,
  description: 'When a target counts as healthy.',
  fields: {
    ...extra,
    http_statuses: statuses(codes, 'Statuses counted as success.'),
    successes: counter('Successes needed to mark healthy.'),
  },
})

/** When a target counts as unhealthy: these statuses, and failure counters. */
const unhealthy = (codes: readonly number[], extra: Record<string, Field> = {}): RecordField => ({
  type: 'record',
  required: true,
  description: 'When a target counts as unhealthy.',
  fields: {
    ...extra,
    http_statuses: statuses(codes, 'Statuses counted as failure.'),
    tcp_failures: counter('TCP failures needed to mark unhealthy.'),
    timeouts: counter('Timeouts needed to mark unhealthy.'),
    http_failures: counter('HTTP failures needed to mark unhealthy.'),
  },
})

const HEALTHY_PASSIVE = [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308]

const healthchecks: RecordField = {
  type: 'record',
  description: 'Active and passive health checking of targets; 0 disables a counter or interval.',
  required: true,
  fields: {
    active: {
      type: 'record',
      required: true,
      description: 'Probes sent to targets on an interval.',
      fields: {
        type: checkType('Probe protocol.'),
        timeout: seconds(1, 'Probe timeout in seconds.'),
        concurrency: { type: 'integer', between: [1, 2 ** 31], default: 10, description: 'Parallel probes.' },
        http_path: t.urlPath({ default: '/', description: 'Path probed.' }),
        https_sni: { type: 'string', description: 'SNI sent by https probes.' },
        https_verify_certificate: { type: 'boolean', default: true, description: 'Verify target certificates.' },
        headers: {
          type: 'map',
          description: 'Headers sent with probes.',
          keys: t.headerName({ description: 'Header name.' }),
          values: { type: 'array', elements: { type: 'string', description: 'Value.' }, description: 'Values.' },
        },
        healthy: healthy([200, 302], { interval: seconds(0, 'Seconds between probes of healthy targets.') }),
        unhealthy: unhealthy([429, 404, 500, 501, 502, 503, 504, 505], { interval: seconds(0, 'Seconds between probes of unhealthy targets.') }),
      },
    },
    passive: {
      type: 'record',
      required: true,
      description: 'Health learned from proxied traffic.',
      fields: {
        type: checkType('Traffic protocol.'),
        healthy: healthy(HEALTHY_PASSIVE),
        unhealthy: unhealthy([429, 500, 503]),
      },
    },
    threshold: { type: 'number', between: [0, 100], default: 0, description: 'Percent of healthy weight below which the upstream is unhealthy.' },
  },
}

const upstreamName = (v: string): string | undefined => {
  const { host, port } = t.splitHostPort(v)
  if (isIP(host) !== 0 || isIP(v) !== 0) return `Invalid name ('${v}'); no ip addresses allowed`
  if (port !== undefined) return `Invalid name ('${v}'); no port allowed`
  return t.checkHost(v) === undefined ? undefined : `Invalid name ('${v}'); must be a valid hostname`
}

/** The extra field each hash source needs, e.g. `header` needs `hash_on_header`. */
const NEEDS: Readonly<Record<string, string>> = { header: 'header', cookie: 'cookie', query_arg: 'query_arg', uri_capture: 'uri_capture' }

const hashRules: EntityCheck = (r) => {
  const fields: Record<string, string> = {}
  const on = r.hash_on as string
  const fallback = r.hash_fallback as string
  if ((on === 'none' || on === 'cookie') && fallback !== 'none') fields.hash_fallback = 'expected one of: none'
  if (on !== 'none' && ['consumer', 'ip', 'path'].includes(on) && fallback === on) {
    fields.hash_fallback = `must not equal hash_on: ${on}`
  }
  const need = (which: 'on' | 'fallback', source: string): void => {
    const extra = NEEDS[source]
    if (extra === undefined) return
    const field = source === 'cookie' ? 'hash_on_cookie' : `hash_${which}_${extra}`
    if (r[field] === null) fields[field] = 'required field missing'
  }
  need('on', on)
  need('fallback', fallback)
  for (const extra of ['header', 'query_arg', 'uri_capture']) {
    const a = r[`hash_on_${extra}`]
    if (on === extra && fallback === extra && a !== null && a === r[`hash_fallback_${extra}`]) {
      fields[`hash_fallback_${extra}`] = `must be different from hash_on_${extra}`
    }
  }
  return Object.keys(fields).length > 0 ? { fields } : undefined
}

export const upstreams = defineEntity({
  name: 'upstreams',
  singular: 'upstream',
  endpointKey: 'name',
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the upstream was created (seconds).'),
    updated_at: t.timestamp('When the upstream was last updated (seconds).'),
    name: { type: 'string', required: true, unique: true, description: 'Hostname services use to reach this upstream.', checks: [upstreamName] },
    algorithm: {
      type: 'string',
      oneOf: ['consistent-hashing', 'least-connections', 'round-robin', 'latency'],
      default: 'round-robin',
      description: 'Load-balancing algorithm.',
    },
    hash_on: { type: 'string', oneOf: HASH_ON, default: 'none', description: 'Input of consistent hashing.' },
    hash_fallback: { type: 'string', oneOf: HASH_ON, default: 'none', description: 'Hash input when hash_on yields nothing.' },
    hash_on_header: t.headerName({ description: 'Header hashed when hash_on is header.' }),
    hash_fallback_header: t.headerName({ description: 'Header hashed when hash_fallback is header.' }),
    hash_on_cookie: { type: 'string', description: 'Cookie hashed when hashing on cookie.' },
    hash_on_cookie_path: t.urlPath({ default: '/', description: 'Path of the generated hash cookie.' }),
    hash_on_query_arg: { type: 'string', lenMin: 1, description: 'Query argument hashed when hash_on is query_arg.' },
    hash_fallback_query_arg: { type: 'string', lenMin: 1, description: 'Query argument hashed when hash_fallback is query_arg.' },
    hash_on_uri_capture: { type: 'string', lenMin: 1, description: 'Route capture hashed when hash_on is uri_capture.' },
    hash_fallback_uri_capture: { type: 'string', lenMin: 1, description: 'Route capture hashed when hash_fallback is uri_capture.' },
    slots: { type: 'integer', between: [10, 2 ** 16], default: 10000, description: 'Slots of the consistent-hashing ring.' },
    healthchecks: { ...healthchecks },
    tags: t.tags(),
    host_header: t.hostWithOptionalPort({ description: 'Host header sent upstream instead of the target host.' }),
    client_certificate: t.foreign('certificates', { description: 'Certificate presented to targets.' }),
    use_srv_name: { type: 'boolean', default: false, description: 'Use the SRV record name as the upstream Host.' },
  },
  entityChecks: [hashRules],
  prepare: (input) => {
    const on = input.hash_on
    if (input.algorithm === undefined && typeof on === 'string') {
      input.algorithm = on === 'none' ? 'round-robin' : 'consistent-hashing'
    }
    if ((input.algorithm === 'least-connections' || input.algorithm === 'latency') && input.hash_on === undefined) {
      input.hash_on = 'none'
    }
  },
})
/** A stored upstreams entity. */
export type Upstream = EntityOf<typeof upstreams>

/** Kong's test for an upstream having a healthchecker (`is_upstream_using_healthcheck`): an active interval or a passive unhealthy counter set. */
export function usesHealthchecks(upstream: Upstream): boolean {
  const checks = upstream.healthchecks as {
    readonly active?: { readonly healthy?: { readonly interval?: unknown }; readonly unhealthy?: { readonly interval?: unknown } }
    readonly passive?: { readonly unhealthy?: { readonly tcp_failures?: unknown; readonly timeouts?: unknown; readonly http_failures?: unknown } }
  } | null
  const set = (v: unknown): boolean => typeof v === 'number' && v !== 0
  const passive = checks?.passive?.unhealthy
  return set(checks?.active?.healthy?.interval) || set(checks?.active?.unhealthy?.interval) || set(passive?.tcp_failures) || set(passive?.timeouts) || set(passive?.http_failures)
}

/** Kong's target order: `created_at`, then `id`. */
export function compareTargets(a: Target, b: Target): number {
  return a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/** Kong's port for a target, or a health mark's address, given without one. */
export const DEFAULT_TARGET_PORT = 8000

/** Appends Kong's default target port and brackets IPv6 literals. */
export function formatTarget(value: string): string {
  if (isIP(value) === 6) return `[${value}]:${DEFAULT_TARGET_PORT}`
  const { host, port } = t.splitHostPort(value)
  const h = isIP(host) === 6 ? `[${host}]` : host
  return `${h}:${port ?? DEFAULT_TARGET_PORT}`
}

/** `host:port` of a formatted target (`[::1]:80` for IPv6) as Kong's balancer splits it: the hostname keeps the brackets. */
export function splitFormattedTarget(target: string): { readonly hostname: string; readonly port: number } {
  const m = /^(.*):(\d+)$/.exec(target)
  return m ? { hostname: m[1], port: Number(m[2]) } : { hostname: target, port: DEFAULT_TARGET_PORT }
}

const checkTarget = (v: string): string | undefined => {
  const { host, port } = isIP(v) === 6 ? { host: v, port: undefined } : t.splitHostPort(v)
  const bad = `Invalid target ('${v}'); not a valid hostname or ip address`
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) <= 65535)) return bad
  return t.checkHost(host) === undefined ? undefined : bad
}

export const targets = defineEntity({
  name: 'targets',
  singular: 'target',
  cacheKey: ['upstream', 'target'],
  fields: {
    id: t.id(),
    created_at: { type: 'number', auto: true, description: 'When the target was created (seconds, millisecond precision).' },
    updated_at: { type: 'number', auto: true, description: 'When the target was last updated (seconds, millisecond precision).' },
    upstream: t.foreign('upstreams', { required: true, description: 'The upstream this target belongs to.' }),
    target: { type: 'string', required: true, description: 'host[:port] of the target; the port defaults to 8000.', checks: [checkTarget] },
    weight: { type: 'integer', between: [0, 65535], default: 100, description: 'Relative weight; 0 keeps the target unused.' },
    tags: t.tags(),
  },
  finish: (record) => {
    record.target = formatTarget(record.target as string)
  },
})
/** A stored targets entity. */
export type Target = EntityOf<typeof targets>
