/**
 * Hybrid-mode test kit for the control plane side: Kong-style cluster certificates, a control plane's settings read as a
 * node reads them, a logger whose lines a test can wait for, and scripted data planes (`ws`
 * clients with a client certificate) that record every frame, pong and close they see.
 */
import { EventEmitter, once } from 'node:events'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { WebSocket, type ClientOptions } from 'ws'
import { outletQuery, encodeBasicInfo, SHARED_SERVER_NAME, type PluginVersion } from '../../src/clustering/protocol.js'
import { loadConf, type NodeConf } from '../../src/conf/settings.js'
import type { NodeLogger } from '../../src/log.js'
import { generateSelfSigned, SERVER_AND_CLIENT_AUTH, type PemPair } from '../../src/tls/self-signed.js'

/** A certificate as `kong hybrid gen_cert` makes it: ECDSA P-384, CN kong_clustering. */
export function clusterPair(): Promise<PemPair> {
  const now = Date.now()
  return generateSelfSigned({
    key: { type: 'ec', curve: 'P-384' },
    subject: 'CN=kong_clustering',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3 * 365 * 86_400_000),
    extendedKeyUsage: SERVER_AND_CLIENT_AUTH,
  })
}

/** A control plane's settings, read from KONG_* variables as a node reads them. */
export function controlPlaneConf(pair: PemPair, port: number, extra: Record<string, string> = {}): NodeConf {
  return loadConf({
    env: { KONG_ROLE: 'control_plane', KONG_CLUSTER_CERT: pair.cert, KONG_CLUSTER_CERT_KEY: pair.key, KONG_CLUSTER_LISTEN: `127.0.0.1:${port}`, ...extra },
    cwd: process.cwd(),
  })
}

/** One logged line. */
export interface LogLine {
  readonly level: string
  readonly msg: string
  readonly [field: string]: unknown
}

/** A logger at debug level that keeps its lines. */
export interface CapturedLog {
  readonly log: NodeLogger
  readonly lines: LogLine[]
  /** Resolves with the first line (already logged or to come) whose message matches. */
  waitFor(match: string | RegExp): Promise<LogLine>
}

/** A logger that keeps what it logs, for assertions. */
export function captureLog(): CapturedLog {
  const lines: LogLine[] = []
  const events = new EventEmitter()
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = JSON.parse(chunk.toString('utf8')) as LogLine
      lines.push(line)
      events.emit('line', line)
      done()
    },
  })
  const log = pino(
    { level: 'debug', customLevels: { notice: 35, crit: 55, alert: 58, emerg: 60 }, formatters: { level: (label) => ({ level: label }) } },
    sink,
  ) as NodeLogger
  const matches = (line: LogLine, m: string | RegExp): boolean => (typeof m === 'string' ? line.msg === m : m.test(line.msg))
  return {
    log,
    lines,
    waitFor(match) {
      const found = lines.find((l) => matches(l, match))
      if (found) return Promise.resolve(found)
      return new Promise((resolve) => {
        const on = (line: LogLine): void => {
          if (!matches(line, match)) return
          events.off('line', on)
          resolve(line)
        }
        events.on('line', on)
      })
    },
  }
}

/** What a scripted data plane presents. */
export interface PeerOptions {
  readonly port: number
  readonly pair: PemPair
  /** The CA the peer trusts; the pair's own certificate when absent (shared mode). */
  readonly ca?: string
  readonly id?: string
  readonly hostname?: string
  readonly version?: string
  /** The outlet URL's query, when not the usual one. */
  readonly query?: string
  readonly path?: string
  /** The server name sent and checked; kong_clustering (shared mode) when absent. */
  readonly servername?: string
}

/** A scripted data plane's view of its connection. */
export interface Peer {
  readonly ws: WebSocket
  /** Binary frames received, in order. */
  readonly frames: Buffer[]
  /** Pong payloads received, in order. */
  readonly pongs: Buffer[]
  /** Resolves when the connection closes: the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>
  /** Resolves with the next frame (one already received and not yet taken first). */
  nextFrame(): Promise<Buffer>
  /** Sends a ping and resolves when its pong arrives. */
  ping(payload: string | Buffer): Promise<void>
}

/** Connects a data plane and resolves once the upgrade succeeded. */
export async function connectPeer(o: PeerOptions): Promise<Peer> {
  const ws = openSocket(o)
  const frames: Buffer[] = []
  const pongs: Buffer[] = []
  let taken = 0
  const arrived = new EventEmitter()
  ws.on('message', (data: Buffer) => {
    frames.push(data)
    arrived.emit('frame')
  })
  ws.on('pong', (data: Buffer) => {
    pongs.push(data)
    arrived.emit('pong')
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  await once(ws, 'open')
  return {
    ws,
    frames,
    pongs,
    closed,
    async nextFrame() {
      while (frames.length <= taken) await once(arrived, 'frame')
      return frames[taken++]
    },
    async ping(payload) {
      const before = pongs.length
      ws.ping(payload)
      while (pongs.length <= before) await once(arrived, 'pong')
    },
  }
}

/** A WebSocket to the outlet with the peer's certificate, not yet open. */
export function openSocket(o: PeerOptions): WebSocket {
  const query = o.query ?? outletQuery(o.id ?? 'dp-1', o.hostname ?? 'dp-host', o.version ?? '3.10.0')
  // ws hands servername to tls.connect; its types leave it out.
  const options: ClientOptions & { servername: string } = { cert: o.pair.cert, key: o.pair.key, ca: o.ca ?? o.pair.cert, servername: o.servername ?? SHARED_SERVER_NAME }
  return new WebSocket(`wss://127.0.0.1:${o.port}${o.path ?? '/v1/outlet'}?${query}`, options)
}

/** basic_info naming these plugins (every one at `version`). */
export function basicInfo(plugins: readonly string[], version = '3.10.0', labels?: Record<string, string>): Buffer {
  const list: PluginVersion[] = plugins.map((name) => ({ name, version }))
  return encodeBasicInfo({ plugins: list, ...(labels ? { labels } : {}) })
}
