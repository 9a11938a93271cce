/** The typed messages between the primary and its worker processes. */
import type { ConnectionStats } from '../server/connection-counters.js'
import type { Snapshot } from '../declarative/snapshot.js'

/** Primary to worker. */
export type ToWorker =
  | { readonly type: 'config'; readonly version: number; readonly snapshot: Snapshot }
  | { readonly type: 'stats'; readonly id: number }
  | { readonly type: 'stop'; readonly graceful: boolean }

/** Worker to primary. */
export type FromWorker =
  | { readonly type: 'listening' }
  | { readonly type: 'applied'; readonly version: number; readonly hash: string }
  | { readonly type: 'stats'; readonly id: number; readonly heapUsed: number; readonly connections: ConnectionStats }

/** Narrows an unknown IPC message to a worker message. */
export function isFromWorker(message: unknown): message is FromWorker {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string'
}

/** Narrows an unknown IPC message to a primary message. */
export function isToWorker(message: unknown): message is ToWorker {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string'
}
