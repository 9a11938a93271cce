/**
 * nginx stub_status counters, kept from socket events on an HTTP server: accepted and handled
 * connections, active ones split into reading (request head not yet in), writing (a request
 * in progress) and waiting (idle keep-alive), and total requests.
 */
import type { Server } from 'node:http'
import type { Socket } from 'node:net'

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

/** Counts one process's connections across every server it tracks. */
export class ConnectionCounters {
  readonly #stats: ConnectionStats = { accepted: 0, handled: 0, active: 0, reading: 0, writing: 0, waiting: 0, requests: 0 }
  readonly #state = new WeakMap<Socket, State>()

  /**
   * Starts counting a server's connections and requests. With `finishedByCaller`, the request
   * handler reports each finished response with `responded` instead of a listener being added
   * to every response (the proxy's hot path).
   */
  track(server: Server, finishedByCaller = false): void {
    server.on('connection', (socket: Socket) => {
      this.#stats.accepted++
      this.#stats.handled++
      this.#stats.active++
      this.#enter(socket, 'reading')
      socket.once('close', () => {
        const state = this.#state.get(socket)
        if (state) this.#stats[state]--
        this.#state.delete(socket)
        this.#stats.active--
      })
    })
    server.on('request', (req, res) => {
      this.#stats.requests++
      const socket = req.socket
      this.#enter(socket, 'writing')
      if (!finishedByCaller) res.once('finish', () => this.responded(socket))
    })
  }

  /** A response on `socket` is done: the connection waits for the next request. */
  responded(socket: Socket): void {
    if (!socket.destroyed) this.#enter(socket, 'waiting')
  }

  #enter(socket: Socket, next: State): void {
    const prev = this.#state.get(socket)
    if (prev === next) return
    if (prev) this.#stats[prev]--
    this.#stats[next]++
    this.#state.set(socket, next)
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
