/**
 * Hybrid-mode test peers: a cluster certificate made as `hybrid gen_cert` makes one, a scripted
 * control plane that speaks Kong's sync v1 exactly as Kong's control plane does (mTLS with the
 * shared certificate, `/v1/outlet`, gzip-compressed reconfigure frames, pong for ping), and the
 * frames a Kong control plane sends.
 */
import { X509Certificate } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TLSSocket } from 'node:tls'
import { gzipSync } from 'node:zlib'
import { WebSocketServer, type WebSocket } from 'ws'
import { kongConfigHash } from '../../src/clustering/kong-hash.js'
import { clusterPair } from './cluster-peers.js'

/** A cluster certificate pair written into `dir`: paths and PEM texts. */
export interface ClusterCert {
  readonly cert: string
  readonly key: string
  readonly certPem: string
  readonly keyPem: string
}

/** An EC P-384 certificate with CN kong_clustering, as Kong's gen_cert makes it, written to dir/<name>.crt and .key. */
export async function clusterCert(dir: string, name = 'cluster'): Promise<ClusterCert> {
  const pair = await clusterPair()
  const cert = join(dir, `${name}.crt`)
  const key = join(dir, `${name}.key`)
  writeFileSync(cert, pair.cert)
  writeFileSync(key, pair.key, { mode: 0o600 })
  return { cert, key, certPem: pair.cert, keyPem: pair.key }
}

/** The cluster certificate kept in test/fixtures (made by `hybrid gen_cert`), for settings that need one. */
export const CLUSTER_FIXTURE = {
  KONG_CLUSTER_CERT: fileURLToPath(new URL('../fixtures/cluster.crt', import.meta.url)),
  KONG_CLUSTER_CERT_KEY: fileURLToPath(new URL('../fixtures/cluster.key', import.meta.url)),
} as const

/** The KONG_* settings of a data plane of `cpPort` with this certificate. */
export function dataPlaneEnv(cert: ClusterCert, cpPort: number): Record<string, string> {
  return {
    KONG_ROLE: 'data_plane',
    KONG_CLUSTER_CONTROL_PLANE: `127.0.0.1:${cpPort}`,
    KONG_CLUSTER_CERT: cert.cert,
    KONG_CLUSTER_CERT_KEY: cert.key,
  }
}

/** One data plane connected to the scripted control plane. */
export interface PeerConnection {
  readonly socket: WebSocket
  readonly query: URLSearchParams
  /** The first frame's JSON (basic_info). */
  readonly basicInfo: Promise<Record<string, unknown>>
  /** Ping payloads received so far, in order. */
  readonly pings: string[]
  /** Resolves with the next ping's payload. */
  nextPing(): Promise<string>
}

/** A control plane scripted to answer as Kong's does; the test decides what it sends. */
export interface ScriptedControlPlane {
  readonly port: number
  /** Data planes that passed the TLS check, in connection order. */
  readonly connections: PeerConnection[]
  /** Resolves with the next data plane to connect. */
  nextConnection(): Promise<PeerConnection>
  /** TLS connections refused for their client certificate. */
  refused(): number
  close(): Promise<void>
}

/** Starts a scripted control plane with the shared certificate `cert` (cluster_mtls = shared) on `port` (0: any). */
export async function scriptedControlPlane(cert: ClusterCert, port = 0): Promise<ScriptedControlPlane> {
  const fingerprint = new X509Certificate(cert.certPem).fingerprint256
  const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem, requestCert: true, rejectUnauthorized: false })
  const wss = new WebSocketServer({ noServer: true })
  const connections: PeerConnection[] = []
  const waiting: ((c: PeerConnection) => void)[] = []
  let refused = 0
  server.on('upgrade', (req, socket, head) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate()
    // Kong's control plane closes without an answer (444) when the digest differs.
    if (!peer || peer.fingerprint256 !== fingerprint) {
      refused++
      socket.destroy()
      return
    }
    const url = new URL(req.url ?? '/', 'https://cp')
    if (url.pathname !== '/v1/outlet') {
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const pings: string[] = []
      const pingWaiters: ((p: string) => void)[] = []
      const basicInfo = new Promise<Record<string, unknown>>((resolve) => ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString('utf8')) as Record<string, unknown>)))
      ws.on('ping', (data) => {
        pings.push(data.toString())
        pingWaiters.shift()?.(data.toString())
      })
      const connection: PeerConnection = {
        socket: ws,
        query: url.searchParams,
        basicInfo,
        pings,
        nextPing: () => new Promise((resolve) => pingWaiters.push(resolve)),
      }
      connections.push(connection)
      waiting.shift()?.(connection)
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    nextConnection: () => new Promise((resolve) => waiting.push(resolve)),
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A reconfigure frame as Kong's control plane sends it: gzip JSON, config_hash by Kong's algorithm unless given. */
export function kongFrame(configTable: Record<string, unknown>, options: { hash?: string | null; type?: string } = {}): Buffer {
  const hashes = kongConfigHash(configTable)
  const hash = options.hash === undefined ? hashes.config : options.hash
  return gzipSync(
    JSON.stringify({
      type: options.type ?? 'reconfigure',
      timestamp: Date.now() / 1000,
      config_table: configTable,
      ...(hash === null ? {} : { config_hash: hash, hashes: { ...hashes, config: hash } }),
    }),
  )
}

const T = 1764590000

/** A config_table as Kong 3.10's control plane exports it: workspaces, parameters, flat lists, foreign keys as ids, every field present (null when unset). */
export function kongConfigTable(upstreamPort: number, paths: readonly string[] = ['/orders']): Record<string, unknown> {
  const serviceId = '0855b320-0dd2-547d-891d-601e9b38647f'
  return {
    _format_version: '3.0',
    _transform: false,
    workspaces: [{ id: 'a5f8e3c1-4b7d-4e2a-9c1f-2d3e4f5a6b7c', name: 'default', comment: null, config: {}, meta: {}, created_at: T, updated_at: T }],
    parameters: [{ key: 'cluster_id', value: '9b1d6b8e-2c3f-4a5b-8d7e-1f2a3b4c5d6e', created_at: null }],
    services: [
      {
        id: serviceId,
        name: 'orders',
        protocol: 'http',
        host: '127.0.0.1',
        port: upstreamPort,
        path: null,
        retries: 5,
        connect_timeout: 60000,
        write_timeout: 60000,
        read_timeout: 60000,
        tags: null,
        client_certificate: null,
        tls_verify: null,
        tls_verify_depth: null,
        ca_certificates: null,
        enabled: true,
        created_at: T,
        updated_at: T,
      },
    ],
    routes: paths.map((path, i) => ({
      id: `7f5c3b2a-1d4e-4f6a-8b9c-0d1e2f3a4b${String(i).padStart(2, '0')}`,
      name: `orders-${i}`,
      protocols: ['http', 'https'],
      methods: null,
      hosts: null,
      paths: [path],
      headers: null,
      https_redirect_status_code: 426,
      regex_priority: 0,
      strip_path: true,
      path_handling: 'v0',
      preserve_host: false,
      request_buffering: true,
      response_buffering: true,
      snis: null,
      sources: null,
      destinations: null,
      tags: null,
      service: serviceId,
      created_at: T,
      updated_at: T,
    })),
    plugins: [
      {
        id: '3c2e1f0a-9b8c-4d7e-a6f5-e4d3c2b1a0f9',
        name: 'correlation-id',
        instance_name: null,
        config: { header_name: 'Kong-Request-ID', generator: 'uuid#counter', echo_downstream: false },
        enabled: true,
        protocols: ['grpc', 'grpcs', 'http', 'https'],
        route: null,
        service: null,
        consumer: null,
        tags: null,
        ordering: null,
        created_at: T,
        updated_at: T,
      },
    ],
  }
}
