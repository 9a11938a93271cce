/** One real TLS handshake against a throwaway server on a loopback port, and what the client saw. */
import { once } from 'node:events'
import type { AddressInfo, Server as NetServer } from 'node:net'
import { connect, createServer, type ConnectionOptions, type PeerCertificate, type SecureContext, type TlsOptions } from 'node:tls'
import { createConnectionFront } from '../../src/http/connection-front.js'
import type { ClientHello } from '../../src/tls/client-hello.js'

/** What a client learned from a completed handshake. */
export interface Handshake {
  readonly protocol: string | null
  readonly cipher: string
  /** Whether the server sent a session ticket. */
  readonly ticket: boolean
  readonly peer: PeerCertificate
}

/** A client's handshake with whatever listens on `port`: what it saw, or its error code. */
function clientHandshake(port: number, client: ConnectionOptions): Promise<Handshake | { error: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...client }, () => {
      resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().name, ticket: socket.getTLSTicket() !== undefined, peer: socket.getPeerCertificate() })
      socket.destroy()
    })
    socket.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }))
  })
}

/** Listens with `srv` on a loopback port for one client handshake, then closes it. */
async function handshakeWith(srv: NetServer, client: ConnectionOptions): Promise<Handshake | { error: string }> {
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  try {
    return await clientHandshake((srv.address() as AddressInfo).port, client)
  } finally {
    srv.close()
  }
}

/** Connects a client with `client` options to a server with `server` options; resolves with the outcome or the client's error code. */
export async function handshake(server: TlsOptions, client: ConnectionOptions = {}): Promise<Handshake | { error: string }> {
  const srv = createServer(server, (socket) => socket.end())
  // A server-side handshake failure is the client's error to report.
  srv.on('tlsClientError', () => undefined)
  return handshakeWith(srv, client)
}

/**
 * A handshake against a listener's proxy path: a front that reads the ClientHello first, and a
 * TLS server with no certificate of its own whose SNICallback serves what `choose` picks for
 * the server name and the client's ECDSA support (`defaults` without a server name).
 */
export async function handshakeOn(choose: (servername: string, ecdsa: boolean) => SecureContext | undefined, client: ConnectionOptions = {}, defaults: TlsOptions = {}): Promise<Handshake | { error: string }> {
  const hellos = new WeakMap<object, ClientHello>()
  const byName = createServer({
    SNICallback(this: unknown, servername, callback) {
      const hello = hellos.get((this as { _parent?: object })._parent ?? {})
      callback(null, choose(servername, hello?.ecdsa ?? false))
    },
  }, (socket) => socket.end())
  const plain = createServer(defaults, (socket) => socket.end())
  for (const s of [byName, plain]) s.on('tlsClientError', () => undefined)
  const srv = createConnectionFront({ proxyProtocol: false, h2c: false, clientHello: true, headerTimeoutMs: 5000 }, (socket, _protocol, hello) => {
    if (hello?.servername === undefined) return void plain.emit('connection', socket)
    hellos.set(socket, hello)
    byName.emit('connection', socket)
  })
  return handshakeWith(srv, client)
}
