/**
 * The control plane's cluster listener: TLS on every cluster_listen entry, the data plane's
 * client certificate checked as Kong checks it (shared: the same certificate as ours, by SHA-256
 * digest; pki: signed by cluster_ca_cert), and only a WebSocket upgrade of `/v1/outlet` with
 * node_id and node_version let through. A refused client gets its socket closed with no
 * response (Kong's 444), a bad path 404, missing parameters 400.
 */
import type { IncomingMessage } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { Socket } from 'node:net'
import { X509Certificate } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import type { NodeConf } from '../conf/settings.js'
import type { NodeLogger } from '../log.js'
import { bindFailure, ipv6Only } from '../http/listen.js'
import { CLUSTERING_TIMEOUT_MS, OUTLET_PATH } from './protocol.js'

/** The settings the listener reads. */
export type ClusterListenConf = Pick<NodeConf, 'cluster_cert' | 'cluster_cert_key' | 'cluster_ca_cert' | 'cluster_mtls' | 'cluster_listen'>

/** A data plane's upgrade request that passed the gate. */
export interface OutletRequest {
  readonly req: IncomingMessage
  readonly socket: TLSSocket
  readonly head: Buffer
  readonly nodeId: string
  readonly hostname: string
  readonly version: string
}

/** Kong's message for a shared-mode client certificate that is not ours. */
export const WRONG_SHARED_CERT = 'data plane presented incorrect client certificate during handshake (digest does not match the control plane certificate)'

/** Connections a control plane holds open at most: data planes, and clients still in their handshake. */
const MAX_CONNECTIONS = 10_000

/** A bare HTTP answer on a socket that will not be upgraded. */
function refuse(socket: Socket, status: 400 | 404, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length}\r\n\r\n${reason}`)
}

/** The TLS servers of cluster_listen; `onOutlet` receives every upgrade that passes the gate. */
export class ClusterListener {
  readonly #servers: Server[] = []
  readonly #sockets = new Set<Socket>()
  readonly #fingerprint: string

  constructor(
    private readonly conf: ClusterListenConf,
    private readonly log: NodeLogger,
    private readonly onOutlet: (request: OutletRequest) => void,
  ) {
    if (conf.cluster_cert === undefined || conf.cluster_cert_key === undefined) throw new Error('cluster certificate and key must be provided to use Hybrid mode')
    if (conf.cluster_mtls === 'pki' && conf.cluster_ca_cert === undefined) throw new Error('cluster_ca_cert must be specified when cluster_mtls = "pki"')
    this.#fingerprint = new X509Certificate(conf.cluster_cert).fingerprint256
  }

  #createServer(): Server {
    const pki = this.conf.cluster_mtls === 'pki'
    const server = createServer({
      cert: this.conf.cluster_cert,
      key: this.conf.cluster_cert_key,
      requestCert: true,
      // shared: any certificate is asked for and compared by digest below, as nginx's optional_no_ca.
      rejectUnauthorized: pki,
      ...(pki ? { ca: this.conf.cluster_ca_cert } : {}),
      // A client gets Kong's 5 s for its TLS handshake and its upgrade request, not Node's minutes.
      handshakeTimeout: CLUSTERING_TIMEOUT_MS,
      headersTimeout: CLUSTERING_TIMEOUT_MS,
      requestTimeout: CLUSTERING_TIMEOUT_MS,
    })
    server.maxConnections = MAX_CONNECTIONS
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket)
      socket.once('close', () => this.#sockets.delete(socket))
    })
    server.on('secureConnection', (socket: TLSSocket) => this.#checkClient(socket))
    server.on('tlsClientError', (err, socket) => {
      // At debug: anyone who reaches the port can cause one.
      this.log.debug({ ip: socket.remoteAddress, error: err.message }, 'data plane TLS handshake failed')
    })
    server.on('request', (req, res) => {
      // Only upgrades reach the outlet; a plain request is refused as Kong's failed handshake is.
      const { pathname } = new URL(req.url ?? '/', 'https://cluster')
      if (pathname !== OUTLET_PATH) {
        res.writeHead(404, { 'Content-Type': 'text/plain', Connection: 'close' }).end('Not Found')
      } else {
        this.log.error({ ip: req.socket.remoteAddress }, 'failed to perform server side websocket handshake: not a websocket upgrade')
        req.socket.destroy()
      }
    })
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.#gate(req, socket as TLSSocket, head))
    return server
  }

  /** Destroys a connection whose client certificate is not acceptable, before it can send a request. */
  #checkClient(socket: TLSSocket): void {
    const cert = socket.getPeerX509Certificate()
    if (!cert) {
      this.log.error({ ip: socket.remoteAddress }, 'data plane failed to present client certificate during handshake')
      socket.destroy()
    } else if (this.conf.cluster_mtls === 'shared' && cert.fingerprint256 !== this.#fingerprint) {
      this.log.error({ ip: socket.remoteAddress }, WRONG_SHARED_CERT)
      socket.destroy()
    }
  }

  #gate(req: IncomingMessage, socket: TLSSocket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'https://cluster')
    if (url.pathname !== OUTLET_PATH) return refuse(socket, 404, 'Not Found')
    const nodeId = url.searchParams.get('node_id')
    const version = url.searchParams.get('node_version')
    if (!nodeId || !version) return refuse(socket, 400, 'Bad Request')
    this.onOutlet({ req, socket, head, nodeId, version, hostname: url.searchParams.get('node_hostname') ?? '' })
  }

  /** Binds every cluster_listen entry; on a failure closes those bound and rejects naming the setting and the address. */
  async listen(): Promise<void> {
    for (const spec of this.conf.cluster_listen) {
      const server = this.#createServer()
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) => reject(bindFailure('cluster_listen', spec, err)))
        server.listen({ host: spec.host, port: spec.port, ...(spec.backlog === undefined ? {} : { backlog: spec.backlog }), ipv6Only: ipv6Only(spec) }, resolve)
      }).catch(async (err: unknown) => {
        await this.close()
        throw err
      })
      server.removeAllListeners('error')
      server.on('error', (err) => this.log.error({ error: err.message }, 'cluster listener error'))
      this.#servers.push(server)
    }
  }

  /** The bound addresses, in cluster_listen order. */
  addresses(): { host: string; port: number }[] {
    return this.#servers.map((s) => {
      const a = s.address()
      return typeof a === 'object' && a !== null ? { host: a.address, port: a.port } : { host: '', port: 0 }
    })
  }

  /** Stops accepting, destroys connections still open (upgraded ones are the caller's to close first), and resolves once every server is closed. */
  async close(): Promise<void> {
    const servers = this.#servers.splice(0)
    const closing = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))
    for (const socket of this.#sockets) socket.destroy()
    await Promise.all(closing)
  }
}
