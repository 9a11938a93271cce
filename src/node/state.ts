/**
 * What the admin and status APIs read about the running node and ask of it: the live
 * configuration, the workers, the stores and the node's own counters. Interfaces only: the
 * composition root (`server/`) implements them, so the APIs never import it.
 */
import type { BalancerStatus } from '../balancer/health.js'
import type { NodeConf } from '../conf/settings.js'
import type { LocatedIssue } from '../declarative/errors.js'
import type { Upstream } from '../declarative/schema/entities/index.js'
import type { Snapshot } from '../declarative/snapshot.js'
import type { SnapshotIndex } from '../declarative/snapshot-index.js'
import type { ConnectionCounters, ConnectionStats } from '../http/connection-counters.js'
import type { NodeLogger } from '../log.js'
import type { SharedDict } from '../stores/shared-dict.js'

/** An upstream's balancer as a worker reports it (Kong's `balancer:getStatus`), for the APIs that cannot import balancer/. */
export type { BalancerStatus }

/** The configuration being served, with its lookups and the version workers acknowledge. */
export interface LiveConfig {
  readonly snapshot: Snapshot
  readonly index: SnapshotIndex
  /** Increases with every swap. */
  readonly version: number
  /** Serialized bytes of the entities each worker holds, by collection. */
  readonly bytes: Readonly<Record<string, number>>
}

/** The last load that did not become live, and why. */
export interface Rejection {
  /** Milliseconds since the epoch. */
  readonly at: number
  readonly source: string
  readonly message: string
  /** The reported problems (at most MAX_REPORTED_ERRORS). */
  readonly errors: readonly LocatedIssue[]
  /** How many problems there were in all. */
  readonly errorsTotal: number
}

/** What a POST /config (or a reload) ended in. */
export type LoadOutcome =
  /** The new config is live everywhere it can be: `body` is Kong's 201 body (JSON bytes) when asked for. */
  | { readonly kind: 'loaded'; readonly live: LiveConfig; readonly body?: Buffer }
  /** `check_hash` and the same content: nothing reloaded. */
  | { readonly kind: 'unchanged'; readonly live: LiveConfig }
  /** Not a valid config: `body` is Kong's 400 body. */
  | { readonly kind: 'invalid'; readonly status: 400 | 415; readonly body: unknown; readonly rejection: Rejection }
  /** Another load is running (Kong's 429). */
  | { readonly kind: 'busy' }
  /** A configuration accepted after this one became live first; this one was not applied. */
  | { readonly kind: 'superseded'; readonly live: LiveConfig | undefined }
  /** Valid, but it could not be saved or handed to the workers; nothing changed. */
  | { readonly kind: 'failed'; readonly message: string }

/** A POST /config request as received: the body is decoded off the event loop with the config. */
export interface ConfigRequest {
  readonly raw: Buffer
  readonly contentType: string
  /** Query arguments (the last value of repeated ones). */
  readonly query: Readonly<Record<string, string>>
}

/** The live configuration and how to change it. */
export interface ConfigState {
  readonly live: LiveConfig | undefined
  readonly rejected: Rejection | undefined
  /** Why no configuration is available beyond the usual (e.g. the saved one was corrupt). */
  readonly problem: string | undefined
  /** A number taken when a request arrives, so that a later request always wins over an earlier one. */
  ticket(): number
  /** Loads a POST /config body; a `loaded` outcome carries Kong's 201 body. */
  loadRequest(request: ConfigRequest, ticket: number): Promise<LoadOutcome>
}

/** One worker's answer to a stats request. */
export type WorkerStats =
  | { readonly pid: number; readonly heapUsed: number; readonly connections: ConnectionStats }
  | { readonly pid: number; readonly error: string }

/** What a worker answered about some upstreams' balancers, or why none answered. */
export type UpstreamHealthAnswer =
  /** One report per upstream asked, in the order asked; null for an upstream the worker's config does not have. */
  | { readonly reports: readonly (BalancerStatus | null)[] }
  /** No worker answered in time (none listening, too slow, or gone): why, for the log. */
  | { readonly unanswered: string }

/** A manual health mark as the admin API asks for it: a whole target (`ip` null) or one address. */
export interface HealthRequest {
  readonly upstream: Upstream
  /** The target's host (IPv6 in brackets). */
  readonly hostname: string
  readonly port: number
  readonly ip: string | null
  readonly healthy: boolean
}

/** What one serving worker runs: the hash of the config it last applied (null before its first). */
export interface WorkerConfiguration {
  readonly pid: number
  readonly configuration_hash: string | null
}

/** The worker processes, as the APIs see them. */
export interface WorkerFleet {
  /** Records a health mark and sends it to every worker; returns Kong's 400 message when the upstream has no healthchecker. */
  markHealth(request: HealthRequest): string | undefined
  /** The balancers of these upstreams as one worker sees them once it has applied every config sent to it. */
  upstreamHealth(upstreamIds: readonly string[]): Promise<UpstreamHealthAnswer>
  /** Heap and connection counters of every worker. */
  stats(): Promise<WorkerStats[]>
  /** How many workers serve `version` (or later), of how many. */
  applied(version: number): { ready: number; total: number }
  /** The config each serving worker runs, by pid (sorted). */
  configurations(): WorkerConfiguration[]
  /** Worker pids, sorted. */
  pids(): number[]
}

/** Where a data plane stands with Kong's sync: one of Kong's `clustering_data_planes.sync_status` values. */
export type SyncStatus = 'unknown' | 'normal' | 'kong_version_incompatible' | 'plugin_set_incompatible' | 'plugin_version_incompatible' | 'filter_set_incompatible'

/** A data plane as a control plane lists it (Kong's `clustering_data_planes` row). */
export interface DataPlaneRecord {
  /** The data plane's node_id. */
  readonly id: string
  readonly ip: string
  readonly hostname: string
  readonly version: string
  readonly sync_status: SyncStatus
  /** The hash its last ping carried (32 zeros before its first). */
  readonly config_hash: string
  /** Epoch seconds of its last ping (or of its connection, before one). */
  readonly last_seen: number
  readonly updated_at: number
  readonly labels: Readonly<Record<string, string>>
  readonly cert_details: { readonly expiry_timestamp?: number }
  readonly rpc_capabilities: readonly string[]
  /** Seconds until the control plane forgets it (cluster_data_plane_purge_delay after its last ping). */
  readonly ttl: number
  /** Whether its connection is open now. */
  readonly connected: boolean
}

/** The control plane side: the data planes it serves. */
export interface ControlPlaneView {
  /** Every data plane known, connected or not (until purged), sorted by id. */
  dataPlanes(): readonly DataPlaneRecord[]
}

/** The data plane side: its link to the control plane, for /status/config. */
export interface ControlPlaneLink {
  /** `wss://host:port/v1/outlet`. */
  readonly control_plane: string
  readonly connected: boolean
  /** Milliseconds since the epoch; null before the first. */
  readonly last_connected_at: number | null
  /** When the last config frame arrived, and what came of it. */
  readonly last_push: { readonly at: number; readonly outcome: string; readonly configuration_hash: string | null } | null
  /** Why the connection last failed or closed; null while none has. */
  readonly last_error: { readonly at: number; readonly message: string } | null
}

/** Everything the admin and status APIs read. */
export interface NodeState {
  readonly conf: NodeConf
  readonly config: ConfigState
  readonly workers: WorkerFleet
  /** The runtime stores (rate-limiting counters, health, locks ...), by Kong's dict names. */
  readonly dicts: ReadonlyMap<string, SharedDict>
  /** The primary's own connections (admin and status listeners). */
  readonly counters: ConnectionCounters
  readonly log: NodeLogger
  /** Stable id of this node, kept in the prefix; set once the prefix is claimed. */
  nodeId: string
  /** Set by `POST /status/ready` with status=draining, or SIGQUIT; cleared by a restart. */
  draining: boolean
  /** role = control_plane: the data planes connected to it. */
  readonly controlPlane?: ControlPlaneView
  /** role = data_plane: the link to the control plane. */
  readonly dataPlane?: () => ControlPlaneLink
}
