/**
 * A data plane's link to its control plane (Kong's sync v1): a WebSocket over mutual TLS to
 * `/v1/outlet`, `basic_info` first, then every config frame handed to the node to load (the
 * newest one waiting wins over older ones), a ping carrying the running hash every 30 s and
 * right after each applied config, and a reconnect with jittered back-off whenever the link
 * breaks. The node keeps serving its last config while the control plane is away.
 */
import { X509Certificate } from 'node:crypto'
import { isIP } from 'node:net'
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls'
import WebSocket, { type ClientOptions } from 'ws'
import type { NodeConf } from '../conf/settings.js'
import { EMPTY_CONFIG_HASH } from '../declarative/hash.js'
import type { NodeLogger } from '../log.js'
import type { ControlPlaneLink } from '../node/state.js'
import {
  CLUSTERING_TIMEOUT_MS,
  OUTLET_PATH,
  PING_INTERVAL_MS,
  PING_WAIT_MS,
  SHARED_SERVER_NAME,
  encodeBasicInfo,
  frameBytes,
  outletQuery,
  type PluginVersion,
} from './protocol.js'

/** What the node made of a config frame. */
export type ApplyResult =
  /** The config is live; the control plane is told at once with a ping. */
  | 'applied'
  /** Already running it. */
  | 'unchanged'
  /** Not a config (another message type). */
  | 'ignored'
  /** Refused, or could not be applied; the node logged why and keeps its config. */
  | 'rejected'

/** What the link needs from the node. */
export interface DataPlaneDeps {
  readonly conf: NodeConf
  readonly log: NodeLogger
  readonly nodeId: string
  readonly hostname: string
  /** The Kong version this node speaks as (node_version). */
  readonly version: string
  readonly plugins: readonly PluginVersion[]
  /** The hash of the config being served; undefined while there is none. */
  readonly currentHash: () => string | undefined
  /** Loads a config frame through the node's load path. */
  readonly apply: (frame: Buffer) => Promise<ApplyResult>
}

/** The first reconnect waits 1-2 s; each failure doubles the wait, up to Kong's 5-10 s. */
const FIRST_RETRY_S = 1
const LAST_RETRY_S = 5

/** How long a stopping data plane waits for the control plane to answer its close. */
const CLOSE_WAIT_MS = 1_000


/** A message that says which certificate was refused and what it must be, for TLS verification errors. */
function certificateRefused(err: NodeJS.ErrnoException, shared: boolean): string | undefined {
  const code = err.code ?? ''
  if (!/CERT|SELF_SIGNED|LEAF_SIGNATURE|ISSUER|ALTNAME/.test(code)) return undefined
  return `the control plane's certificate was refused (${err.message}): ${shared ? 'with cluster_mtls = shared it must be cluster_cert itself' : 'with cluster_mtls = pki it must be signed by cluster_ca_cert and name cluster_server_name'}`
}

/** A config frame and when it arrived. */
interface Arrived {
  readonly frame: Buffer
  readonly at: number
}

export class DataPlaneClient {
  readonly #url: string
  #socket: WebSocket | undefined
  #retryBase = FIRST_RETRY_S
  #retryTimer: NodeJS.Timeout | undefined
  #pingTimer: NodeJS.Timeout | undefined
  #watchdog: NodeJS.Timeout | undefined
  #stopped = false
  /** The newest frame waiting while another is being applied. */
  #pending: Arrived | undefined
  #applying = false
  #link: { connected: boolean; last_connected_at: number | null; last_push: ControlPlaneLink['last_push']; last_error: ControlPlaneLink['last_error'] } = {
    connected: false,
    last_connected_at: null,
    last_push: null,
    last_error: null,
  }

  constructor(private readonly deps: DataPlaneDeps) {
    this.#url = `wss://${deps.conf.cluster_control_plane}${OUTLET_PATH}`
  }

  /** The link as /status/config shows it. */
  link(): ControlPlaneLink {
    return { control_plane: this.#url, ...this.#link }
  }

  /** Connects, and keeps reconnecting until stop(). */
  start(): void {
    this.#connect()
  }

  /** Closes the link for good. */
  stop(): void {
    this.#stopped = true
    this.#pending = undefined
    clearTimeout(this.#retryTimer)
    this.#clearTimers()
    const socket = this.#socket
    this.#socket = undefined
    if (socket && socket.readyState === WebSocket.OPEN) socket.close(1001, 'data plane stopping')
    else socket?.terminate()
  }

  #connect(): void {
    if (this.#stopped) return
    try {
      this.#open()
    } catch (err) {
      // Whatever the WebSocket client throws at once (a bad URL, bad TLS material) is a broken link, not a dead node.
      this.#broken((err as Error).message)
    }
  }

  #open(): void {
    const { conf, nodeId, hostname, version } = this.deps
    const shared = conf.cluster_mtls === 'shared'
    const host = conf.cluster_control_plane.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1')
    const serverName = shared ? SHARED_SERVER_NAME : (conf.cluster_server_name ?? host)
    const ownCert = conf.cluster_cert as string
    const ownFingerprint = new X509Certificate(ownCert).fingerprint256
    const tls: ConnectionOptions = {
      cert: ownCert,
      key: conf.cluster_cert_key,
      ca: shared ? ownCert : conf.cluster_ca_cert,
      // An IP address is not a server name (TLS forbids it as SNI).
      servername: isIP(serverName) === 0 ? serverName : '',
      // shared: the control plane must present the very certificate this node holds.
      checkServerIdentity: (_name: string, cert: PeerCertificate): Error | undefined =>
        shared
          ? cert.fingerprint256 === ownFingerprint ? undefined : new Error('the control plane presented a certificate other than cluster_cert (cluster_mtls = shared)')
          : checkServerIdentity(serverName, cert),
    }
    const socket = new WebSocket(`${this.#url}?${outletQuery(nodeId, hostname, version)}`, {
      // ws passes these to tls.connect as they are; its own typing of checkServerIdentity is narrower than Node's.
      ...(tls as Omit<ConnectionOptions, 'checkServerIdentity'>),
      checkServerIdentity: tls.checkServerIdentity as unknown as (servername: string, cert: unknown) => boolean,
      handshakeTimeout: CLUSTERING_TIMEOUT_MS,
      // How long our close waits for the control plane's: a stopping node does not wait on it for long.
      closeTimeout: CLOSE_WAIT_MS,
      maxPayload: conf.cluster_max_payload,
      perMessageDeflate: false,
    } as ClientOptions & { closeTimeout: number })
    this.#socket = socket
    let failure: string | undefined
    socket.on('unexpected-response', (_req, res) => {
      failure = `the control plane answered HTTP ${res.statusCode} instead of switching to WebSocket`
      res.resume()
      socket.terminate()
    })
    socket.on('error', (err: NodeJS.ErrnoException) => {
      failure ??= certificateRefused(err, shared) ?? err.message
    })
    socket.on('open', () => {
      this.#link.connected = true
      this.#link.last_connected_at = Date.now()
      this.deps.log.notice({ control_plane: this.#url }, 'connected to the control plane')
      socket.send(encodeBasicInfo({ plugins: this.deps.plugins, process_conf: conf.public, ...(Object.keys(conf.cluster_dp_labels).length > 0 ? { labels: conf.cluster_dp_labels } : {}) }), { binary: true })
      this.#ping()
      this.#pingTimer = setInterval(() => this.#ping(), PING_INTERVAL_MS).unref()
      this.#arm()
    })
    socket.on('pong', () => this.#arm())
    socket.on('message', (data, isBinary) => {
      // A control plane that sends a config has proved the link: the next break starts the back-off again.
      this.#retryBase = FIRST_RETRY_S
      this.#arm()
      if (!isBinary) {
        this.deps.log.warn({ control_plane: this.#url }, 'ignored a text frame from the control plane (config frames are binary)')
        return
      }
      this.#receive(frameBytes(data))
    })
    socket.on('close', (code, reason) => {
      if (this.#socket !== socket) return
      this.#socket = undefined
      this.#clearTimers()
      // So does a link that stayed up a ping interval; one accepted and then dropped (an
      // incompatible version) keeps the back-off growing.
      if (this.#link.connected && Date.now() - (this.#link.last_connected_at ?? 0) >= PING_INTERVAL_MS) this.#retryBase = FIRST_RETRY_S
      this.#link.connected = false
      this.#broken(failure ?? `closed (${code}${reason.length > 0 ? `: ${reason.toString()}` : ''})`)
    })
  }

  /** Records why the link is down and tries again after a jittered wait that doubles up to Kong's. */
  #broken(why: string): void {
    this.#link.last_error = { at: Date.now(), message: why }
    if (this.#stopped) return
    const delay = Math.round((this.#retryBase + Math.random() * this.#retryBase) * 1000)
    this.#retryBase = Math.min(this.#retryBase * 2, LAST_RETRY_S)
    this.deps.log.error({ control_plane: this.#url, error: why, retry_ms: delay }, `connection to control plane ${this.#url} broken: ${why} (retrying after ${(delay / 1000).toFixed(1)} seconds)`)
    this.#retryTimer = setTimeout(() => this.#connect(), delay).unref()
  }


  /** Restarts the wait for any frame from the control plane; silence past it breaks the link. */
  #arm(): void {
    clearTimeout(this.#watchdog)
    const socket = this.#socket
    this.#watchdog = setTimeout(() => {
      if (socket !== this.#socket || !socket) return
      this.deps.log.error({ control_plane: this.#url }, `did not receive pong frame from control plane within ${PING_WAIT_MS / 1000} seconds`)
      socket.terminate()
    }, PING_WAIT_MS).unref()
  }

  #clearTimers(): void {
    clearInterval(this.#pingTimer)
    clearTimeout(this.#watchdog)
  }

  /** A ping whose payload is the running hash (32 zeros without one), as Kong's control plane expects. */
  #ping(): void {
    const socket = this.#socket
    if (!socket || socket.readyState !== WebSocket.OPEN) return
    socket.ping(this.deps.currentHash() ?? EMPTY_CONFIG_HASH)
  }

  #receive(frame: Buffer): void {
    const arrived = { frame, at: Date.now() }
    if (this.#applying) {
      if (this.#pending) this.deps.log.info({ control_plane: this.#url }, 'a newer config frame arrived while one was applied; the older waiting one is skipped')
      this.#pending = arrived
      return
    }
    void this.#apply(arrived)
  }

  async #apply(first: Arrived): Promise<void> {
    this.#applying = true
    let next: Arrived | undefined = first
    try {
      while (next && !this.#stopped) {
        const result = await this.deps.apply(next.frame).catch((err: unknown) => {
          this.deps.log.error({ control_plane: this.#url, error: (err as Error).message }, 'could not apply the configuration from the control plane')
          return 'rejected' as const
        })
        this.#link.last_push = { at: next.at, outcome: result, configuration_hash: this.deps.currentHash() ?? null }
        if (result === 'applied') this.#ping()
        next = this.#pending
        this.#pending = undefined
      }
    } finally {
      this.#applying = false
    }
  }
}
