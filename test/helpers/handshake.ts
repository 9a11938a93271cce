/** One real TLS handshake against a throwaway server on a loopback port, and what the client saw. */
import { once } from 'node:events'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { TLSSocket, connect, createServer, type ConnectionOptions, type PeerCertificate, type SecureContext, type TlsOptions } from 'node:tls'
import { peekClientHello } from '../../src/tls/client-hello.js'

/** What a client learned from a completed handshake. */
export interface Handshake {
  readonly protocol: string | null
  readonly cipher: string
  /** Whether the server sent a session ticket. */
  readonly ticket: boolean
  readonly peer: PeerCertificate
}

/** Connects a client with `client` options to a server with `server` options; resolves with the outcome or the client's error code. */
export async function handshake(server: TlsOptions, client: ConnectionOptions = {}): Promise<Handshake | { error: string }> {
  const srv = createServer(server, (socket) => socket.end())
  // A server-side handshake failure is the client's error to report.
  srv.on('tlsClientError', () => undefined)
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  try {
    return await new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: (srv.address() as AddressInfo).port, rejectUnauthorized: false, ...client }, () => {
        resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().name, ticket: socket.getTLSTicket() !== undefined, peer: socket.getPeerCertificate() })
        socket.destroy()
      })
      socket.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }))
    })
  } finally {
    srv.close()
  }
}

/**
 * A handshake against a server that reads the ClientHello first (peekClientHello) and serves
 * the connection on the context `choose` picks for its server name, as a listener that
 * selects certificates does.
 */
export async function handshakeOn(choose: (servername: string | undefined) => SecureContext, client: ConnectionOptions = {}): Promise<Handshake | { error: string }> {
  const srv = createNetServer((raw) => {
    raw.on('error', () => undefined)
    void peekClientHello(raw, 5000).then((scan) => {
      let socket: TLSSocket
      try {
        socket = new TLSSocket(raw, { isServer: true, secureContext: choose(scan.kind === 'hello' ? scan.servername : undefined) })
      } catch {
        raw.destroy()
        return
      }
      socket.on('error', () => raw.destroy())
      socket.on('secure', () => socket.end())
    })
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  try {
    return await new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: (srv.address() as AddressInfo).port, rejectUnauthorized: false, ...client }, () => {
        resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().name, ticket: socket.getTLSTicket() !== undefined, peer: socket.getPeerCertificate() })
        socket.destroy()
      })
      socket.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }))
    })
  } finally {
    srv.close()
  }
}
