/** What the admin and status APIs read about the running node, gathered in one place. */
import type { NodeConf } from '../conf/settings.js'
import type { WorkerPool } from '../workers/pool.js'
import type { ConfigStore } from './config-store.js'
import type { ConnectionCounters } from './connection-counters.js'
import type { NodeLogger } from './logger.js'
import type { SharedDict } from './shared-dict.js'

export interface NodeState {
  readonly conf: NodeConf
  readonly store: ConfigStore
  readonly pool: WorkerPool
  readonly dicts: ReadonlyMap<string, SharedDict>
  /** The primary's own connections (admin and status listeners). */
  readonly counters: ConnectionCounters
  readonly log: NodeLogger
  /** Stable id of this node, kept in the prefix. */
  readonly nodeId: string
  /** Set by `POST /status/ready` with status=draining; cleared by a restart. */
  draining: boolean
}
