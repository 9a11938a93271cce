/**
 * The data planes a control plane knows (Kong's `clustering_data_planes` rows): what each
 * reported at its handshake, its last ping, its sync status, whether it is connected, and when
 * it is forgotten (cluster_data_plane_purge_delay after its last ping, once disconnected).
 */
import type { DataPlaneRecord, SyncStatus } from '../node/state.js'
import { EMPTY_CONFIG_HASH } from '../declarative/hash.js'

/** What a data plane told about itself when it connected. */
export interface DataPlaneDetails {
  readonly ip: string
  readonly hostname: string
  readonly version: string
  readonly labels: Readonly<Record<string, string>>
  /** Epoch seconds when its client certificate expires, when it presented one. */
  readonly certExpiry?: number
}

interface Entry {
  details: DataPlaneDetails
  syncStatus: SyncStatus
  configHash: string
  /** Epoch seconds. */
  lastSeen: number
  updatedAt: number
  /** Open connections under this id (a restarted data plane may overlap its old connection). */
  connections: number
}

/** The known data planes, by node id. */
export class DataPlaneRegistry {
  readonly #entries = new Map<string, Entry>()

  constructor(
    /** cluster_data_plane_purge_delay, in seconds. */
    private readonly purgeDelay: number,
    /** Milliseconds since the epoch. */
    private readonly now: () => number = Date.now,
  ) {}

  #seconds(): number {
    return Math.floor(this.now() / 1000)
  }

  /** Records a data plane's handshake (connected or refused): its details, its status and now as last seen. */
  handshake(id: string, details: DataPlaneDetails, syncStatus: SyncStatus): void {
    const now = this.#seconds()
    this.#purge(now)
    const entry = this.#entries.get(id)
    if (entry) {
      Object.assign(entry, { details, syncStatus, lastSeen: now, updatedAt: now })
    } else {
      this.#entries.set(id, { details, syncStatus, configHash: EMPTY_CONFIG_HASH, lastSeen: now, updatedAt: now, connections: 0 })
    }
  }

  /** A connection under `id` opened (after `handshake`). */
  opened(id: string): void {
    const entry = this.#entries.get(id)
    if (entry) entry.connections += 1
  }

  /** A connection under `id` closed. */
  closed(id: string): void {
    const entry = this.#entries.get(id)
    if (entry) entry.connections = Math.max(0, entry.connections - 1)
  }

  /** Sets the sync status (a push refused or made). */
  setStatus(id: string, syncStatus: SyncStatus): void {
    const entry = this.#entries.get(id)
    if (!entry || entry.syncStatus === syncStatus) return
    entry.syncStatus = syncStatus
    entry.updatedAt = this.#seconds()
  }

  /** A ping carried `hash`: the data plane runs that config, and is alive now. */
  ping(id: string, hash: string): void {
    const entry = this.#entries.get(id)
    if (!entry) return
    const now = this.#seconds()
    entry.configHash = hash
    entry.lastSeen = now
    entry.updatedAt = now
  }

  #ttl(entry: Entry, now: number): number {
    return Math.max(0, this.purgeDelay - (now - entry.lastSeen))
  }

  /** Forgets the disconnected data planes whose time is up. */
  #purge(now: number): void {
    for (const [id, e] of this.#entries) if (e.connections === 0 && this.#ttl(e, now) === 0) this.#entries.delete(id)
  }

  /** Every data plane not yet purged, sorted by id; purges the expired ones first. */
  list(): DataPlaneRecord[] {
    const now = this.#seconds()
    this.#purge(now)
    const out: DataPlaneRecord[] = []
    for (const [id, e] of this.#entries) {
      const ttl = this.#ttl(e, now)
      out.push({
        id,
        ip: e.details.ip,
        hostname: e.details.hostname,
        version: e.details.version,
        sync_status: e.syncStatus,
        config_hash: e.configHash,
        last_seen: e.lastSeen,
        updated_at: e.updatedAt,
        labels: e.details.labels,
        cert_details: e.details.certExpiry === undefined ? {} : { expiry_timestamp: e.details.certExpiry },
        rpc_capabilities: [],
        ttl,
        connected: e.connections > 0,
      })
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }
}
