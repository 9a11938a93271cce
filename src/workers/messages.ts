/**
 * The messages between the primary and its worker processes, and the checks every received
 * message passes before it is acted on: a message that does not have its declared shape is
 * dropped, whatever its `type` says.
 */
import type { BalancerStatus, HealthMark } from '../balancer/health.js'
import type { NodeConf } from '../conf/settings.js'
import type { ConnectionStats } from '../http/connection-counters.js'
import { isRecord } from '../util/json.js'

/** Primary to worker. */
export type ToWorker =
  /**
   * The settings the node started with, and the live config if there is one: the worker takes
   * both in before it listens, so it never answers a request without its config.
   */
  | {
      readonly type: 'init'
      readonly conf: NodeConf
      readonly live?: { readonly version: number; readonly path: string }
      /** TLS session ticket keys shared by every worker (as nginx's master makes them), so a ticket resumes on any worker. */
      readonly ticketKeys: Uint8Array
      /** The node's manual health marks, applied before the first request. */
      readonly health?: readonly HealthMark[]
    }
  /** A new live config: the snapshot file to read. */
  | { readonly type: 'config'; readonly version: number; readonly path: string }
  /** The node's manual health marks changed: the whole list, in place of the one held. */
  | { readonly type: 'health'; readonly marks: readonly HealthMark[] }
  /**
   * Asks for some upstreams' balancer status, answered with a `health-report` of the same id once
   * every config sent before this message is applied.
   */
  | { readonly type: 'health-report'; readonly id: number; readonly upstreams: readonly string[] }
  | { readonly type: 'stats'; readonly id: number }
  /** Stop: gracefully (in-flight requests finish) within `deadlineMs`, or at once. */
  | { readonly type: 'stop'; readonly graceful: boolean; readonly deadlineMs: number }

/** Worker to primary. */
export type FromWorker =
  /** The worker listens for messages now: messages sent before this one would have been lost. */
  | { readonly type: 'hello' }
  | { readonly type: 'listening' }
  | { readonly type: 'applied'; readonly version: number; readonly hash: string }
  | { readonly type: 'apply-failed'; readonly version: number; readonly error: string }
  | { readonly type: 'stats'; readonly id: number; readonly heapUsed: number; readonly connections: ConnectionStats }
  /** The upstreams' balancer status, in the order asked; null for one the worker's config does not have. */
  | { readonly type: 'health-report'; readonly id: number; readonly reports: readonly (BalancerStatus | null)[] }

const COUNTERS = ['accepted', 'handled', 'active', 'reading', 'writing', 'waiting', 'requests'] as const

const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const text = (v: unknown): v is string => typeof v === 'string'

function isConnectionStats(v: unknown): v is ConnectionStats {
  return isRecord(v) && COUNTERS.every((k) => typeof v[k] === 'number' && Number.isFinite(v[k]))
}

function isListenSpecs(v: unknown): boolean {
  return Array.isArray(v) && v.every((s) => isRecord(s) && text(s.host) && count(s.port) && typeof s.ssl === 'boolean' && text(s.text))
}

function isHealthMark(v: unknown): v is HealthMark {
  return isRecord(v) && text(v.upstream) && text(v.hostname) && count(v.port) && (v.ip === null || text(v.ip)) && typeof v.healthy === 'boolean'
}

const isHealthMarks = (v: unknown): boolean => Array.isArray(v) && v.every(isHealthMark)

function isWeights(v: unknown): boolean {
  return isRecord(v) && count(v.total) && count(v.unavailable) && count(v.available)
}

function isAddressStatus(v: unknown): boolean {
  return isRecord(v) && text(v.ip) && count(v.port) && count(v.weight) && typeof v.healthy === 'boolean'
}

function isTargetStatus(v: unknown): boolean {
  return isRecord(v) && text(v.host) && count(v.port) && text(v.dns) && count(v.nodeWeight) && isWeights(v.weight) && Array.isArray(v.addresses) && v.addresses.every(isAddressStatus)
}

function isBalancerStatus(v: unknown): v is BalancerStatus {
  return isRecord(v) && typeof v.healthy === 'boolean' && isWeights(v.weight) && Array.isArray(v.hosts) && v.hosts.every(isTargetStatus)
}

/** The settings a worker relies on are there and have their types. */
function isNodeConf(v: unknown): v is NodeConf {
  return isRecord(v) && isListenSpecs(v.proxy_listen) && text(v.log_level) && Array.isArray(v.headers) && v.headers.every(text) && text(v.prefix)
}

/** A primary message, or undefined when the message is not one. */
export function parseToWorker(m: unknown): ToWorker | undefined {
  if (!isRecord(m)) return undefined
  switch (m.type) {
    case 'init':
      return isNodeConf(m.conf) && (m.live === undefined || (isRecord(m.live) && count(m.live.version) && text(m.live.path))) && m.ticketKeys instanceof Uint8Array && m.ticketKeys.length === 48 && (m.health === undefined || isHealthMarks(m.health))
        ? (m as ToWorker)
        : undefined
    case 'config':
      return count(m.version) && text(m.path) ? (m as ToWorker) : undefined
    case 'health':
      return isHealthMarks(m.marks) ? (m as ToWorker) : undefined
    case 'health-report':
      return count(m.id) && Array.isArray(m.upstreams) && m.upstreams.every(text) ? (m as ToWorker) : undefined
    case 'stats':
      return count(m.id) ? (m as ToWorker) : undefined
    case 'stop':
      return typeof m.graceful === 'boolean' && count(m.deadlineMs) ? (m as ToWorker) : undefined
    default:
      return undefined
  }
}

/** A worker message, or undefined when the message is not one. */
export function parseFromWorker(m: unknown): FromWorker | undefined {
  if (!isRecord(m)) return undefined
  switch (m.type) {
    case 'hello':
    case 'listening':
      return m as FromWorker
    case 'applied':
      return count(m.version) && text(m.hash) ? (m as FromWorker) : undefined
    case 'apply-failed':
      return count(m.version) && text(m.error) ? (m as FromWorker) : undefined
    case 'stats':
      return count(m.id) && count(m.heapUsed) && isConnectionStats(m.connections) ? (m as FromWorker) : undefined
    case 'health-report':
      return count(m.id) && Array.isArray(m.reports) && m.reports.every((r) => r === null || isBalancerStatus(r)) ? (m as FromWorker) : undefined
    default:
      return undefined
  }
}
