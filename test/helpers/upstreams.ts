/**
 * Real upstream servers for proxy tests, on loopback ports the system picks: an echo server
 * that answers with what it received, one that resets connections, one that sends garbage, and
 * one that never answers. Each is closed with `close()`.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'

/** What the echo upstream received, as it returns it in its JSON body. */
export interface Echoed {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string | string[] | undefined>
  /** Header names and values in the order and case they came in. */
  readonly rawHeaders: string[]
  readonly body: string
  readonly bodyBytes: number
  readonly httpVersion: string
  /** Which echo server answered (its name). */
  readonly server: string
}

export interface Upstream {
  readonly port: number
  /** Connections accepted so far. */
  readonly connections: () => number
  close(): Promise<void>
}

function track(server: Server | NetServer): { count: () => number; sockets: Set<Socket> } {
  let count = 0
  const sockets = new Set<Socket>()
  server.on('connection', (s: Socket) => {
    count++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  return { count: () => count, sockets }
}

async function listening(server: Server | NetServer, sockets: Set<Socket>, count: () => number): Promise<Upstream> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    connections: count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/**
 * An echo server: answers 200 with JSON of what it received, or, when the request has
 * `x-respond-status`, that status; `x-respond-header: name=value` adds a response header.
 * With `count: true` in the query it only counts the body bytes (for big bodies).
 */
export async function echoUpstream(name = 'echo'): Promise<Upstream> {
  const server = createHttpServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = []
    let bytes = 0
    const countOnly = (req.url ?? '').includes('count=true')
    req.on('data', (c: Buffer) => {
      bytes += c.length
      if (!countOnly) chunks.push(c)
    })
    req.on('end', () => {
      const echoed: Echoed = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
        bodyBytes: bytes,
        httpVersion: req.httpVersion,
        server: name,
      }
      const status = Number(req.headers['x-respond-status'] ?? 200)
      const extra = req.headers['x-respond-header']
      if (typeof extra === 'string') {
        const at = extra.indexOf('=')
        res.setHeader(extra.slice(0, at), extra.slice(at + 1))
      }
      const body = JSON.stringify(echoed)
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) })
      res.end(req.method === 'HEAD' ? undefined : body)
    })
  })
  const { count, sockets } = track(server)
  return listening(server, sockets, count)
}

/** A server that accepts connections and resets each one as soon as a request starts arriving. */
export async function resetUpstream(): Promise<Upstream> {
  const server = createNetServer((socket) => {
    socket.once('data', () => socket.resetAndDestroy())
  })
  const { count, sockets } = track(server)
  return listening(server, sockets, count)
}

/** A server that answers every request with bytes that are not HTTP. */
export async function garbageUpstream(): Promise<Upstream> {
  const server = createNetServer((socket) => {
    socket.once('data', () => socket.end('this is not http\r\n\r\n'))
  })
  const { count, sockets } = track(server)
  return listening(server, sockets, count)
}

/** A server that accepts connections and reads requests but never answers. */
export async function silentUpstream(): Promise<Upstream> {
  const server = createNetServer((socket) => {
    socket.resume()
  })
  const { count, sockets } = track(server)
  return listening(server, sockets, count)
}

/** A server that sends a response head and part of the body, then resets the connection. */
export async function truncatingUpstream(): Promise<Upstream> {
  const server = createNetServer((socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial', () => socket.resetAndDestroy())
    })
  })
  const { count, sockets } = track(server)
  return listening(server, sockets, count)
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
