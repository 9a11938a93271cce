/**
 * The server name of a TLS ClientHello, read from the first bytes a client sends, before any
 * TLS object exists. Node applies an SNICallback's context only partly (it copies one
 * certificate into a connection that keeps the listener's others: nodejs/node#54235), so an
 * RSA-only SNI certificate on a listener with Kong's RSA and ECDSA defaults would lose to the
 * default ECDSA one. Choosing the whole context from the server name before the handshake
 * serves exactly the SNI's certificates, as Kong's `clear_certs` + `set_cert` does.
 */
import type { Socket } from 'node:net'

/** OpenSSL's bound on a ClientHello message; a longer one is not a client we can serve. */
export const MAX_CLIENT_HELLO_BYTES = 131_396

/** What the first bytes of a connection say. */
export type ClientHelloScan =
  /** Not all of the ClientHello is in yet. */
  | { readonly kind: 'partial' }
  /** A TLS ClientHello, with its server name if it sent one. */
  | { readonly kind: 'hello'; readonly servername: string | undefined }
  /** Not a TLS handshake (plain HTTP to a TLS port, SSLv2, garbage), or one too large or malformed to read. */
  | { readonly kind: 'other'; readonly reason: string }

const HANDSHAKE = 0x16
const CLIENT_HELLO = 0x01
const SERVER_NAME = 0x0000
const HOST_NAME = 0x00

/** Reads the server_name extension of a whole ClientHello body; throws RangeError when it is cut short. */
function serverNameOf(body: Buffer): string | undefined {
  let at = 2 + 32 // client_version, random
  at += 1 + body.readUInt8(at) // session_id
  at += 2 + body.readUInt16BE(at) // cipher_suites
  at += 1 + body.readUInt8(at) // compression_methods
  if (at === body.length) return undefined // no extensions at all
  const end = at + 2 + body.readUInt16BE(at)
  at += 2
  while (at + 4 <= end) {
    const type = body.readUInt16BE(at)
    const length = body.readUInt16BE(at + 2)
    at += 4
    if (type === SERVER_NAME) {
      const listEnd = at + 2 + body.readUInt16BE(at)
      let p = at + 2
      while (p + 3 <= listEnd) {
        const nameType = body.readUInt8(p)
        const nameLength = body.readUInt16BE(p + 1)
        if (nameType === HOST_NAME) {
          if (p + 3 + nameLength > body.length) throw new RangeError('server name cut short')
          return body.toString('latin1', p + 3, p + 3 + nameLength)
        }
        p += 3 + nameLength
      }
      return undefined
    }
    at += length
  }
  return undefined
}

/** Scans the bytes a client sent so far for its ClientHello's server name. */
export function scanClientHello(data: Buffer): ClientHelloScan {
  if (data.length === 0) return { kind: 'partial' }
  if (data[0] !== HANDSHAKE) return { kind: 'other', reason: 'not a TLS handshake' }
  // The handshake message may span several records; gather whole records until it is in.
  const parts: Buffer[] = []
  let have = 0
  let at = 0
  let need: number | undefined
  while (at + 5 <= data.length) {
    if (data[at] !== HANDSHAKE) return { kind: 'other', reason: 'the ClientHello is interrupted by another record' }
    const recordLength = data.readUInt16BE(at + 3)
    if (at + 5 + recordLength > data.length) break
    parts.push(data.subarray(at + 5, at + 5 + recordLength))
    have += recordLength
    at += 5 + recordLength
    if (need === undefined && have >= 4) {
      const head = Buffer.concat(parts)
      if (head[0] !== CLIENT_HELLO) return { kind: 'other', reason: 'the first handshake message is not a ClientHello' }
      need = 4 + head.readUIntBE(1, 3)
      if (need > MAX_CLIENT_HELLO_BYTES) return { kind: 'other', reason: 'the ClientHello is too large' }
    }
    if (need !== undefined && have >= need) {
      try {
        return { kind: 'hello', servername: serverNameOf(Buffer.concat(parts).subarray(4, need)) }
      } catch {
        return { kind: 'other', reason: 'the ClientHello is malformed' }
      }
    }
  }
  if (data.length > MAX_CLIENT_HELLO_BYTES + 5 * Math.ceil(MAX_CLIENT_HELLO_BYTES / 16_384)) return { kind: 'other', reason: 'the ClientHello is too large' }
  return { kind: 'partial' }
}

/**
 * Reads a new connection's first bytes until its ClientHello is in, then puts them back and
 * pauses the socket, so that a TLSSocket made on it next (`new TLSSocket(socket, {isServer:
 * true, secureContext})`) handshakes from the start. Resolves with what was read; a socket that
 * ends, fails or stays silent for `timeoutMs` resolves as `other`.
 */
export function peekClientHello(socket: Socket, timeoutMs: number): Promise<ClientHelloScan> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const finish = (scan: ClientHelloScan): void => {
      socket.off('data', onData).off('end', onEnd).off('error', onEnd).off('close', onEnd)
      clearTimeout(timer)
      socket.pause()
      if (size > 0) socket.unshift(Buffer.concat(chunks, size))
      resolve(scan)
    }
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk)
      size += chunk.length
      const scan = scanClientHello(chunks.length === 1 ? chunk : Buffer.concat(chunks, size))
      if (scan.kind !== 'partial') finish(scan)
    }
    const onEnd = (): void => finish({ kind: 'other', reason: 'the client left before its ClientHello' })
    const timer = setTimeout(() => finish({ kind: 'other', reason: 'no ClientHello in time' }), timeoutMs)
    socket.on('data', onData).once('end', onEnd).once('error', onEnd).once('close', onEnd)
  })
}
