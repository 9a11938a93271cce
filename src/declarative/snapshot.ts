/** The Snapshot: one validated, normalized, hashed and frozen configuration. Pure data. */
import type { LocatedIssue } from './errors.js'
import type { ConfigHashes } from './hash.js'
import type { Entity } from './normalize.js'
import type { EntityTypes } from './schema/entities/index.js'

/** Entities by collection: typed for the collections the node declares, each list sorted by id. */
export type SnapshotEntities = { readonly [K in keyof EntityTypes]?: readonly EntityTypes[K][] } & Readonly<Record<string, readonly Entity[]>>

export interface Snapshot {
  /** Always "3.0": older formats are migrated on load. */
  readonly formatVersion: '3.0'
  /** Whether load-time transformations (password hashing) were applied. */
  readonly transform: boolean
  /** Entities by collection, each list sorted by id. */
  readonly entities: SnapshotEntities
  /** configuration_hash: 32 lowercase hex, never all zeros. */
  readonly hash: string
  /** The config hash and the per-group hashes. */
  readonly hashes: ConfigHashes
  /** Where the config came from: a file path, "POST /config", ... */
  readonly source: string
  /** When it was loaded, in milliseconds since the epoch. */
  readonly loadedAt: number
  /** What the load cost, in milliseconds, by phase. */
  readonly timings: LoadTimings
  /**
   * What valid entities hold that their authors likely want to know (a certificate expired or
   * not yet valid), located like errors; at most MAX_REPORTED_ERRORS. Kong accepts them.
   */
  readonly warnings: readonly LocatedIssue[]
  /**
   * The vault references the config holds, where the entities hold the secrets they resolved
   * to; what the Admin API and the export show instead of the secrets.
   */
  readonly references: readonly VaultReference[]
}

/** A field of an entity that was written as a vault reference. */
export interface VaultReference {
  readonly collection: string
  readonly id: string
  /** The field's path inside the entity (`['pem', 'private_key']`). */
  readonly path: readonly (string | number)[]
  readonly reference: string
}

/** Milliseconds spent loading a config, by phase. */
export interface LoadTimings {
  /** Reading the text (zero for an already-parsed body). */
  readonly parse: number
  /** Schemas, ids, uniqueness and references. */
  readonly validate: number
  /** The configuration hash and the group hashes. */
  readonly hash: number
  /** Everything, freezing and sorting included. */
  readonly total: number
}

/** Freezes a value and everything reachable from it, so no request can mutate a live config. */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value
  Object.freeze(value)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child: unknown = value[i]
      if (child !== null && typeof child === 'object') deepFreeze(child)
    }
  } else {
    const record = value as Record<string, unknown>
    for (const key in record) {
      const child = record[key]
      if (child !== null && typeof child === 'object') deepFreeze(child)
    }
  }
  return value
}

/** How many entities a snapshot holds, by collection. */
export function countEntities(snapshot: Snapshot): Record<string, number> {
  return Object.fromEntries(Object.entries(snapshot.entities).map(([k, v]) => [k, v.length]))
}
