/**
 * nginx stub_status counters, kept from socket events on an HTTP server: accepted and handled
 * connections, active ones split into reading (request head not yet in), writing (a request
 * in progress) and waiting (idle keep-alive), and total requests.
 */
import type { EventEmitter } from 'node:events'
import { Server as HttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse, Http2Session } from 'node:http2'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'

/** The seven counters of `/status`'s `server` object (without the `connections_` prefix). */
export interface ConnectionStats {
  accepted: number
  handled: number
  active: number
  reading: number
  writing: number
  waiting: number
  requests: number
}

type State = 'reading' | 'writing' | 'waiting'

/** What a connection's state is kept by: its socket (TLS socket once encrypted) or its HTTP/2 session. */
type Key = object

/**
 * Counts one process's connections across every server it tracks. An HTTP/2 connection is
 * writing while any of its streams is open and waiting otherwise.
 */
export class ConnectionCounters {
  readonly #stats: ConnectionStats = { accepted: 0, handled: 0, active: 0, reading: 0, writing: 0, waiting: 0, requests: 0 }
  readonly #state = new WeakMap<Key, State>()
  readonly #streams = new WeakMap<Http2Session, number>()

  /**
   * Starts counting a server's connections and requests: an HTTP, HTTPS or HTTP/2 server, or
   * one that is handed connections by a front. With `finishedByCaller`, the request handler
   * reports each finished HTTP/1.x response with `responded` instead of a listener being added
   * to every response (the proxy's hot path).
   */
  track(server: EventEmitter, finishedByCaller = false): void {
    // Only plain HTTP/1.x reads requests off the accepted socket itself.
    const plain = server instanceof HttpServer
    server.on('connection', (socket: Socket) => {
      this.#stats.accepted++
      this.#stats.handled++
      this.#stats.active++
      socket.once('close', () => this.#stats.active--)
      // A TLS connection is reading once its handshake is done; a session keeps HTTP/2's state.
      if (plain) this.#open(socket)
    })
    server.on('secureConnection', (socket: TLSSocket) => {
      if (socket.alpnProtocol !== 'h2') this.#open(socket)
    })
    server.on('session', (session: Http2Session) => {
      this.#streams.set(session, 0)
      this.#enter(session, 'waiting')
      session.once('close', () => this.#leave(session))
    })
    // Before the server's own request handler: one that answers at once (Kong's 404) reports the
    // response done before a listener added after it would mark the request in progress.
    server.prependListener('request', (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
      this.#stats.requests++
      if (req.httpVersionMajor === 2) {
        const session = (req as Http2ServerRequest).stream.session
        if (session === undefined) return
        this.#streams.set(session, (this.#streams.get(session) ?? 0) + 1)
        this.#enter(session, 'writing')
        res.once('close', () => {
          const left = (this.#streams.get(session) ?? 1) - 1
          this.#streams.set(session, left)
          if (left === 0 && this.#state.has(session)) this.#enter(session, 'waiting')
        })
        return
      }
      const socket = req.socket
      this.#enter(socket, 'writing')
      if (!finishedByCaller) res.once('finish', () => this.responded(socket))
    })
  }

  /** A response on `socket` is done: the connection waits for the next request. */
  responded(socket: Socket): void {
    if (!socket.destroyed && this.#state.has(socket)) this.#enter(socket, 'waiting')
  }

  #open(socket: Socket): void {
    this.#enter(socket, 'reading')
    socket.once('close', () => this.#leave(socket))
  }

  #leave(key: Key): void {
    const state = this.#state.get(key)
    if (state) this.#stats[state]--
    this.#state.delete(key)
  }

  #enter(key: Key, next: State): void {
    const prev = this.#state.get(key)
    if (prev === next) return
    if (prev) this.#stats[prev]--
    this.#stats[next]++
    this.#state.set(key, next)
  }

  /** A copy of the counters now. */
  snapshot(): ConnectionStats {
    return { ...this.#stats }
  }
}

/** Adds counters from several processes. */
export function sumStats(all: readonly ConnectionStats[]): ConnectionStats {
  const total: ConnectionStats = { accepted: 0, handled: 0, active: 0, reading: 0, writing: 0, waiting: 0, requests: 0 }
  for (const s of all) for (const k of Object.keys(total) as (keyof ConnectionStats)[]) total[k] += s[k]
  return total
}
