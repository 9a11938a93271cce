/**
 * The control plane of Kong's hybrid mode, sync v1: data planes connect to `/v1/outlet`, send
 * basic_info, get the current configuration as one gzip'ed reconfigure frame (again on every
 * update), and ping with the hash they run; the control plane lists them with that hash and
 * their sync status.
 */
import { WebSocketServer, type WebSocket } from 'ws'
import type { NodeConf } from '../conf/settings.js'
import { exportTable } from '../declarative/export-table.js'
import type { Snapshot } from '../declarative/snapshot.js'
import type { NodeLogger } from '../log.js'
import type { ControlPlaneView, DataPlaneRecord } from '../node/state.js'
import { bundledPluginVersions } from '../plugins/registry.js'
import { ClusterListener, type ClusterListenConf, type OutletRequest } from './cluster-listener.js'
import { checkConfiguredPlugins, checkHandshakePlugins, checkKongVersion } from './compat.js'
import { DataPlaneRegistry, type DataPlaneDetails } from './data-plane-registry.js'
import { CLUSTERING_TIMEOUT_MS, PING_WAIT_MS, decodeBasicInfo, encodeReconfigure, frameBytes, type BasicInfo, type PluginVersion } from './protocol.js'

/** The largest frame a data plane may send (its basic_info is the only big one). */
export const DP_MAX_PAYLOAD = 4 * 1024 * 1024

/** The settings a control plane reads. */
export type ControlPlaneConf = ClusterListenConf & Pick<NodeConf, 'cluster_max_payload' | 'cluster_data_plane_purge_delay'>

/** What a control plane is made of. */
export interface ControlPlaneOptions {
  readonly conf: ControlPlaneConf
  readonly log: NodeLogger
  /** The Kong version we claim (KONG_COMPAT_VERSION): data planes are checked against it, and our plugins carry it. */
  readonly version: string
  /** Milliseconds since the epoch; Date.now when absent. */
  readonly now?: () => number
  /** How long a data plane has to send basic_info, in ms; Kong's CLUSTERING_TIMEOUT when absent (tests shorten it). */
  readonly handshakeTimeoutMs?: number
  /** How long a data plane may go without a ping, in ms; Kong's 45 s when absent (tests shorten it). */
  readonly pingWaitMs?: number
}

/** The configuration being served, compressed once for every data plane. */
interface Payload {
  readonly hash: string
  readonly bytes: Buffer
  /** The plugins the configuration uses, in our version: a data plane must run each. */
  readonly plugins: readonly PluginVersion[]
}

/** One data plane connection. */
interface Connection {
  readonly ws: WebSocket
  readonly id: string
  readonly details: DataPlaneDetails
  /** What every log line about this data plane carries. */
  readonly fields: Readonly<Record<string, string>>
  /** Set once basic_info is accepted. */
  info?: BasicInfo
  timer?: NodeJS.Timeout
  closing: boolean
  /** A push is being written to this data plane. */
  sending: boolean
  /** The newest payload that came while one was being written: sent next, never queued behind others. */
  next?: Payload
}


/** Payload text for a log line: Kong logs it whole; a frame may be megabytes, so it is cut. */
function shown(data: Buffer): string {
  const text = data.subarray(0, 128).toString('utf8')
  return data.length > 128 ? `${text}...` : text
}

/** The v4 address of a v4-mapped one, as nginx's remote_addr shows it. */
function plainIp(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '')
}

/** Serves data planes on cluster_listen. */
export class ControlPlane implements ControlPlaneView {
  readonly #conf: ControlPlaneConf
  readonly #log: NodeLogger
  readonly #version: string
  readonly #now: () => number
  readonly #handshakeMs: number
  readonly #pingWaitMs: number
  readonly #registry: DataPlaneRegistry
  readonly #listener: ClusterListener
  readonly #wss: WebSocketServer
  readonly #connections = new Set<Connection>()
  readonly #plugins: readonly PluginVersion[]
  #payload: Payload | undefined
  /** The hash asked for last, and how many updates were asked: a slower older update never replaces a newer one. */
  #wanted: string | undefined
  #updates = 0
  #closed = false

  constructor(options: ControlPlaneOptions) {
    this.#conf = options.conf
    this.#log = options.log
    this.#version = options.version
    this.#now = options.now ?? Date.now
    this.#handshakeMs = options.handshakeTimeoutMs ?? CLUSTERING_TIMEOUT_MS
    this.#pingWaitMs = options.pingWaitMs ?? PING_WAIT_MS
    this.#registry = new DataPlaneRegistry(options.conf.cluster_data_plane_purge_delay, this.#now)
    this.#plugins = bundledPluginVersions(options.version)
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: DP_MAX_PAYLOAD, autoPong: false, clientTracking: false, perMessageDeflate: false })
    this.#listener = new ClusterListener(options.conf, options.log, (request) => this.#accept(request))
  }

  /** Binds every cluster_listen entry (TLS); rejects naming cluster_listen and the address when one cannot be bound. */
  listen(): Promise<void> {
    return this.#listener.listen()
  }

  /** The bound addresses, in cluster_listen order. */
  addresses(): { host: string; port: number }[] {
    return this.#listener.addresses()
  }

  /** Serves `snapshot` from now on: compressed once, pushed to every connected data plane that runs its plugins. */
  async update(snapshot: Snapshot): Promise<void> {
    if (this.#closed || snapshot.hash === this.#wanted) return
    this.#wanted = snapshot.hash
    const ticket = ++this.#updates
    const { config, routes, services, plugins, upstreams, targets } = snapshot.hashes
    const bytes = await encodeReconfigure({
      timestamp: this.#now() / 1000,
      config_table: exportTable(snapshot),
      config_hash: snapshot.hash,
      hashes: { config, routes, services, plugins, upstreams, targets },
    })
    if (ticket !== this.#updates || this.#closed) return
    const names = [...new Set((snapshot.entities.plugins ?? []).map((p) => p.name))].sort()
    this.#payload = { hash: snapshot.hash, bytes, plugins: names.map((name) => ({ name, version: this.#version })) }
    for (const conn of this.#connections) if (conn.info && !conn.closing) this.#push(conn, this.#payload)
  }

  /** Every data plane known, connected or not (until purged), sorted by id. */
  dataPlanes(): readonly DataPlaneRecord[] {
    return this.#registry.list()
  }

  /** Stops listening and closes every data plane connection with a close frame (cut after Kong's timeout if unanswered). */
  async close(): Promise<void> {
    this.#closed = true
    const open = [...this.#connections]
    await Promise.all(
      open.map(
        (conn) =>
          new Promise<void>((resolve) => {
            clearTimeout(conn.timer)
            conn.closing = true
            conn.ws.once('close', () => resolve())
            conn.ws.close(1001)
            conn.timer = setTimeout(() => conn.ws.terminate(), CLUSTERING_TIMEOUT_MS).unref()
          }),
      ),
    )
    this.#wss.close()
    await this.#listener.close()
  }

  #accept(request: OutletRequest): void {
    if (this.#closed) {
      request.socket.destroy()
      return
    }
    this.#wss.handleUpgrade(request.req, request.socket, request.head, (ws) => this.#serve(ws, request))
  }

  #serve(ws: WebSocket, request: OutletRequest): void {
    const ip = plainIp(request.socket.remoteAddress)
    const validTo = request.socket.getPeerX509Certificate()?.validTo
    const expiry = validTo === undefined ? NaN : Math.floor(Date.parse(validTo) / 1000)
    const conn: Connection = {
      ws,
      id: request.nodeId,
      details: { ip, hostname: request.hostname, version: request.version, labels: {}, ...(Number.isFinite(expiry) ? { certExpiry: expiry } : {}) },
      fields: { node_id: request.nodeId, hostname: request.hostname, ip, version: request.version },
      closing: false,
      sending: false,
    }
    this.#connections.add(conn)
    this.#log.debug(conn.fields, 'data plane connected')
    conn.timer = setTimeout(() => this.#drop(conn, 'failed to receive websocket basic info frame: timeout'), this.#handshakeMs).unref()
    ws.on('message', (data, isBinary) => {
      if (conn.closing) return
      if (conn.info) this.#refuseFrame(conn, frameBytes(data), isBinary)
      else this.#handshake(conn, frameBytes(data))
    })
    ws.on('ping', (data) => this.#ping(conn, data))
    ws.on('error', (err) => this.#log.warn({ ...conn.fields, error: err.message }, 'data plane connection error'))
    ws.on('close', () => {
      clearTimeout(conn.timer)
      this.#connections.delete(conn)
      if (conn.info) this.#registry.closed(conn.id)
      this.#log.debug(conn.fields, 'data plane disconnected')
    })
  }

  /** The first frame: basic_info, then Kong's version check, then the current configuration. */
  #handshake(conn: Connection, data: Buffer): void {
    clearTimeout(conn.timer)
    const info = decodeBasicInfo(data)
    if (typeof info === 'string') return this.#drop(conn, info)
    const details = { ...conn.details, labels: info.labels ?? {} }
    const version = checkKongVersion(this.#version, conn.details.version)
    if (!version.ok) {
      this.#registry.handshake(conn.id, details, version.status)
      return this.#drop(conn, version.message)
    }
    if (version.note) this.#log.info(conn.fields, version.note)
    for (const note of checkHandshakePlugins(this.#plugins, info.plugins)) this.#log[note.level](conn.fields, note.message)
    this.#registry.handshake(conn.id, details, 'normal')
    this.#registry.opened(conn.id)
    conn.info = info
    this.#armPingWait(conn)
    if (this.#payload) this.#push(conn, this.#payload)
  }

  #ping(conn: Connection, data: Buffer): void {
    if (conn.closing) return
    // Before basic_info a ping proves nothing: answered, not recorded.
    if (conn.info && data.length !== 32) return this.#drop(conn, `received a ping frame from the data plane with an invalid hash: '${shown(data)}'`)
    if (conn.info) {
      this.#registry.ping(conn.id, data.toString('latin1'))
      this.#armPingWait(conn)
    }
    conn.ws.pong()
  }

  /** After basic_info a data plane sends pings only: Kong checks the length before the type. */
  #refuseFrame(conn: Connection, data: Buffer, isBinary: boolean): void {
    this.#drop(conn, data.length === 32 ? `invalid websocket frame received from data plane: ${isBinary ? 'binary' : 'text'}` : `received a ping frame from the data plane with an invalid hash: '${shown(data)}'`)
  }

  #armPingWait(conn: Connection): void {
    clearTimeout(conn.timer)
    conn.timer = setTimeout(() => this.#drop(conn, `did not receive ping frame from data plane within ${this.#pingWaitMs / 1000} seconds`), this.#pingWaitMs).unref()
  }

  /** Logs why, sends a close frame and closes (cut after Kong's timeout if the data plane does not answer it). */
  #drop(conn: Connection, message: string): void {
    if (conn.closing) return
    conn.closing = true
    clearTimeout(conn.timer)
    this.#log.error(conn.fields, message)
    conn.ws.close()
    conn.timer = setTimeout(() => conn.ws.terminate(), CLUSTERING_TIMEOUT_MS).unref()
  }

  /** Sends the configuration if the data plane runs every plugin it uses; records the sync status either way. */
  #push(conn: Connection, payload: Payload): void {
    const check = checkConfiguredPlugins(payload.plugins, conn.info?.plugins ?? [])
    if (!check.ok) {
      this.#registry.setStatus(conn.id, check.status)
      this.#log.warn(conn.fields, `unable to send updated configuration to data plane: ${check.message}`)
      return
    }
    if (payload.bytes.length > this.#conf.cluster_max_payload) {
      this.#log.error(conn.fields, `unable to send updated configuration to data plane: the compressed configuration is ${payload.bytes.length} bytes, more than cluster_max_payload (${this.#conf.cluster_max_payload})`)
      return
    }
    this.#registry.setStatus(conn.id, 'normal')
    // A data plane that reads slowly holds one payload in flight and the newest one waiting, however many changes come.
    if (conn.sending) {
      conn.next = payload
      return
    }
    conn.sending = true
    const started = performance.now()
    conn.ws.send(payload.bytes, { binary: true }, (err) => {
      conn.sending = false
      if (err) this.#log.warn({ ...conn.fields, error: err.message }, `unable to send updated configuration to data plane: ${err.message}`)
      else this.#log.info({ ...conn.fields, bytes: payload.bytes.length, ms: Math.round((performance.now() - started) * 100) / 100 }, `pushed configuration ${payload.hash} to data plane ${conn.id}`)
      const next = conn.next
      conn.next = undefined
      if (next && !err && !conn.closing) this.#push(conn, next)
    })
  }
}
