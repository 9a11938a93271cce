/**
 * What a worker builds from a snapshot: one immutable object holding everything a request
 * needs. A worker builds it fully, swaps it whole, and only then acknowledges the config; a
 * request keeps the runtime it started with. The router, balancers, plugin index and
 * certificates join it as the proxy grows.
 */
import type { Snapshot } from '../declarative/snapshot.js'
import { indexEntities, type SnapshotIndex } from '../declarative/snapshot-index.js'

export interface Runtime {
  /** The config version the primary numbered this snapshot with. */
  readonly version: number
  readonly snapshot: Snapshot
  /** Entities by id, by endpoint key, and by parent. */
  readonly index: SnapshotIndex
}

/** Builds the runtime of a snapshot; `index` may be passed when it was built while reading the snapshot in. */
export function buildRuntime(snapshot: Snapshot, version: number, index: SnapshotIndex = indexEntities(snapshot.entities)): Runtime {
  return Object.freeze({ version, snapshot, index })
}
