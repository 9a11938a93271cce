/**
 * Reads what certificate choice needs from a TLS ClientHello before the handshake starts: the
 * server name, and whether the client can verify an ECDSA certificate. Node hands a per-name
 * context only one certificate, so choosing between an RSA and an ECDSA pair (nginx lets
 * OpenSSL choose) has to happen before Node sees the connection.
 */

/** What a ClientHello says about the certificate it can take. */
export interface ClientHello {
  /** The `server_name` extension's host name, if any. */
  readonly servername: string | undefined
  /** The client accepts an ECDSA certificate (ECDSA signature schemes, or for TLS 1.2 an ECDSA cipher suite). */
  readonly ecdsa: boolean
}

/** The parse of a connection's first bytes. */
export type HelloParse = { readonly kind: 'incomplete' } | { readonly kind: 'not-hello' } | { readonly kind: 'hello'; readonly hello: ClientHello }

/** A ClientHello larger than this is not waited for (TLS allows 16 KiB per record; real ones are under 2 KiB). */
export const MAX_HELLO_BYTES = 16 * 1024 + 5

const INCOMPLETE: HelloParse = Object.freeze({ kind: 'incomplete' })
const NOT_HELLO: HelloParse = Object.freeze({ kind: 'not-hello' })

/** TLS 1.2 cipher suites whose certificate is ECDSA (RFC 8422, 5289, 7905). */
function isEcdsaSuite(suite: number): boolean {
  return (suite >= 0xc006 && suite <= 0xc00a) || suite === 0xc023 || suite === 0xc024 || suite === 0xc02b || suite === 0xc02c || suite === 0xcca9 || (suite >= 0xc0ac && suite <= 0xc0af)
}

/** Signature schemes an ECDSA certificate signs with (RFC 8446 §4.2.3; ecdsa_sha1 too). */
function isEcdsaScheme(scheme: number): boolean {
  return scheme === 0x0403 || scheme === 0x0503 || scheme === 0x0603 || scheme === 0x0203
}

/**
 * Parses the first TLS record of a connection as a ClientHello. Only the first record is read:
 * a ClientHello split over records (only seen from deliberately odd clients) counts as having
 * no server name and no ECDSA support, which gives the default RSA certificate.
 */
export function parseClientHello(buf: Buffer): HelloParse {
  if (buf.length < 1) return INCOMPLETE
  if (buf[0] !== 0x16) return NOT_HELLO
  if (buf.length < 5) return INCOMPLETE
  const recordLength = buf.readUInt16BE(3)
  if (recordLength + 5 > MAX_HELLO_BYTES || recordLength < 4) return NOT_HELLO
  if (buf.length < 5 + recordLength) return INCOMPLETE
  const end = 5 + recordLength
  if (buf[5] !== 0x01) return NOT_HELLO
  let at = 9 + 2 + 32 // handshake header, legacy_version, random
  const need = (n: number): boolean => at + n <= end
  if (!need(1)) return NOT_HELLO
  at += 1 + buf[at] // session id
  if (!need(2)) return NOT_HELLO
  const suitesLength = buf.readUInt16BE(at)
  at += 2
  if (!need(suitesLength)) return NOT_HELLO
  let ecdsaSuite = false
  for (let i = at; i + 1 < at + suitesLength; i += 2) if (isEcdsaSuite(buf.readUInt16BE(i))) ecdsaSuite = true
  at += suitesLength
  if (!need(1)) return NOT_HELLO
  at += 1 + buf[at] // compression methods
  let servername: string | undefined
  let schemes: boolean | undefined
  let tls13 = false
  if (need(2)) {
    const extEnd = Math.min(end, at + 2 + buf.readUInt16BE(at))
    at += 2
    while (at + 4 <= extEnd) {
      const type = buf.readUInt16BE(at)
      const length = buf.readUInt16BE(at + 2)
      const body = at + 4
      at = body + length
      if (at > extEnd) break
      if (type === 0x0000 && length >= 5) {
        // server_name_list: the first host_name entry.
        if (buf[body + 2] === 0x00) {
          const nameLength = buf.readUInt16BE(body + 3)
          if (body + 5 + nameLength <= at) servername = buf.toString('latin1', body + 5, body + 5 + nameLength)
        }
      } else if (type === 0x000d && length >= 2) {
        schemes = false
        const listEnd = Math.min(at, body + 2 + buf.readUInt16BE(body))
        for (let i = body + 2; i + 1 < listEnd; i += 2) if (isEcdsaScheme(buf.readUInt16BE(i))) schemes = true
      } else if (type === 0x002b && length >= 3) {
        for (let i = body + 1; i + 1 < at; i += 2) if (buf.readUInt16BE(i) === 0x0304) tls13 = true
      }
    }
  }
  // TLS 1.3 certificates are chosen by signature scheme alone; TLS 1.2 also needs an ECDSA suite.
  const ecdsa = schemes === undefined ? ecdsaSuite : schemes && (tls13 || ecdsaSuite)
  return { kind: 'hello', hello: { servername: servername === '' ? undefined : servername, ecdsa } }
}
