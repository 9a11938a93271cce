/**
 * The server that listens in front of a listener's HTTP, HTTPS or HTTP/2 server: it reads the
 * start of each connection (the PROXY protocol header on a `proxy_protocol` listener, the
 * HTTP/2 preface on a plaintext `http2` one), puts back what follows the header, and hands the
 * socket to the inner server with `inner.emit('connection', socket)`. The inner servers never
 * listen; in a cluster worker the front is the server whose handle the primary shares.
 *
 * Node's HTTP/1 parser, TLS and HTTP/2 sessions each take bytes a socket already buffered before
 * reading its handle, so the bytes put back with `unshift` reach them first and in order.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { parseClientHello, type ClientHello } from '../tls/client-hello.js'
import { parseProxyHeader, type ProxiedAddress } from './proxy-protocol.js'

/** How a front reads the start of a connection. */
export interface FrontOptions {
  /** The listener has the `proxy_protocol` flag: every connection must start with a PROXY header. */
  readonly proxyProtocol: boolean
  /** A plaintext listener with `http2`: the HTTP/2 preface means h2c, anything else HTTP/1.x. */
  readonly h2c: boolean
  /** A TLS listener that picks certificates per server name: the ClientHello is read before TLS starts. */
  readonly clientHello?: boolean
  /** How long a client has to send what the front needs to read before it is closed. */
  readonly headerTimeoutMs: number
}

/** What the PROXY header of a connection said; both absent for `UNKNOWN`, `LOCAL` and unix sources. */
export interface ProxiedClient {
  readonly source?: ProxiedAddress
  readonly destination?: ProxiedAddress
}

/** Which server a delivered socket belongs to: `h2` only when h2c is on and the preface came. */
export type FrontProtocol = 'http1' | 'h2'

// A symbol on the raw socket: a TLSSocket reaches it through `_parent`, and the socket proxy
// of an HTTP/2 compat request passes property reads through to its session's socket.
const PROXIED = Symbol('kong-dbless.proxied-client')

/** The HTTP/2 connection preface (RFC 9113, 3.4) a prior-knowledge h2c client starts with. */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

type Held = Socket & { [PROXIED]?: ProxiedClient }

/** Where the front hands a connection: its socket, its protocol, and its ClientHello when one was read. */
export type Deliver = (socket: Socket, protocol: FrontProtocol, hello?: ClientHello) => void

/**
 * A net.Server that reads the start of each connection as `options` says, then calls `deliver`
 * with the socket (what was read after any PROXY header put back) and the protocol it speaks.
 * A connection without a valid PROXY header, or silent past the timeout, is closed and given to
 * `onRefused` with the reason; one the client closes first is dropped without a word.
 */
export function createConnectionFront(options: FrontOptions, deliver: Deliver, onRefused?: (socket: Socket, reason: string) => void): Server {
  // As http.Server accepts its sockets: the inner server decides when to end its side after the
  // client's FIN, and small writes go out at once.
  return createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    // The raw socket under a TLS server has no error listener of its own; an error on it must not
    // be uncaught. The inner servers add their own listeners, which this one does not replace.
    socket.on('error', ignore)
    if (!options.proxyProtocol && !options.h2c && options.clientHello !== true) {
      deliver(socket, 'http1')
      return
    }
    preRead(socket, options, deliver, onRefused)
  })
}

function ignore(): void {}

function preRead(socket: Held, options: FrontOptions, deliver: Deliver, onRefused: ((socket: Socket, reason: string) => void) | undefined): void {
  let buf: Buffer = Buffer.alloc(0)
  let headerRead = !options.proxyProtocol

  const finish = (): void => {
    clearTimeout(timer)
    socket.removeListener('readable', onReadable)
    socket.removeListener('end', onEnd)
    socket.removeListener('close', onClose)
  }
  const refuse = (reason: string): void => {
    finish()
    socket.destroy()
    onRefused?.(socket, reason)
  }
  const onEnd = (): void => {
    // The client closed before the front could decide: nothing to serve, nothing to report.
    finish()
    socket.destroy()
  }
  const onClose = (): void => finish()
  const onReadable = (): void => {
    let chunk: Buffer | null
    while ((chunk = socket.read() as Buffer | null) !== null) buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
    if (!headerRead) {
      const header = parseProxyHeader(buf)
      if (header.kind === 'incomplete') return
      if (header.kind === 'invalid') {
        refuse(`broken PROXY protocol header: ${header.reason}`)
        return
      }
      const client: ProxiedClient = header.source === undefined ? {} : { source: header.source, destination: header.destination }
      socket[PROXIED] = client
      headerRead = true
      buf = buf.subarray(header.length)
    }
    let protocol: FrontProtocol = 'http1'
    let hello: ClientHello | undefined
    if (options.clientHello === true) {
      // Not a ClientHello: the TLS server refuses it in its own words.
      const read = parseClientHello(buf)
      if (read.kind === 'incomplete') return
      if (read.kind === 'hello') hello = read.hello
    } else if (options.h2c) {
      const seen = prefaceMatch(buf)
      if (seen === undefined) return
      if (seen) protocol = 'h2'
    }
    finish()
    if (buf.length > 0) socket.unshift(buf)
    // An HTTP/2 session does not end its side when the client's does: a socket accepted by an
    // http2 server is not half-open, so a client that sends a partial frame and its FIN is
    // closed rather than kept.
    if (protocol === 'h2') socket.allowHalfOpen = false
    deliver(socket, protocol, hello)
  }

  const timer = setTimeout(() => {
    refuse(headerRead ? `no request within ${options.headerTimeoutMs} ms` : `no PROXY protocol header within ${options.headerTimeoutMs} ms`)
  }, options.headerTimeoutMs)
  // The listening handle keeps the process alive; a pending connection should not.
  timer.unref()
  socket.on('readable', onReadable)
  socket.on('end', onEnd)
  socket.on('close', onClose)
}

/** Whether `buf` starts with the HTTP/2 preface: true, false, or undefined while it cannot tell yet. */
function prefaceMatch(buf: Buffer): boolean | undefined {
  const n = Math.min(buf.length, PREFACE.length)
  for (let i = 0; i < n; i++) if (buf[i] !== PREFACE[i]) return false
  return n === PREFACE.length ? true : undefined
}

/**
 * What the front read from a connection's PROXY header, from the raw socket, a TLSSocket over
 * it, or an HTTP/2 compat request's `req.socket`; undefined when the connection had none.
 */
export function proxiedClient(socket: object): ProxiedClient | undefined {
  const own = (socket as Held)[PROXIED]
  if (own !== undefined) return own
  // A TLSSocket made by a TLS server over an accepted socket keeps that socket as `_parent`.
  const parent = (socket as { _parent?: unknown })._parent
  return typeof parent === 'object' && parent !== null ? (parent as Held)[PROXIED] : undefined
}
