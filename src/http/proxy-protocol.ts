/**
 * The PROXY protocol header (haproxy's proxy-protocol.txt, versions 1 and 2) a load balancer
 * sends before the client's bytes on a `proxy_protocol` listener: who connected to it, and to
 * what. Only the header is read; what follows belongs to the HTTP or TLS server.
 *
 * Written here rather than taken from npm: the parsers there throw on a short read instead of
 * saying "incomplete", take v1 as a string, and set no bound on the v2 length.
 */
import { SocketAddress, isIP } from 'node:net'

/** An address and port a PROXY header names. */
export interface ProxiedAddress {
  /** IPv4 dotted quad, or IPv6 in its canonical (compressed, lower-case) text. */
  readonly address: string
  readonly port: number
}

/** What the first bytes of a connection say: wait for more, refuse, or a header of `length` bytes. */
export type ProxyHeaderResult =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'invalid'; readonly reason: string }
  | {
      readonly kind: 'header'
      /** Bytes the header takes; the client's own bytes start there. */
      readonly length: number
      /** The client; absent for v1 `UNKNOWN`, v2 `LOCAL`, and unix, unspecified or datagram sources. */
      readonly source?: ProxiedAddress
      /** Where the client connected to; absent when source is. */
      readonly destination?: ProxiedAddress
    }

/** A v1 line is at most 107 bytes, CRLF included (the spec's bound, and nginx's). */
export const V1_MAX_LENGTH = 107

/**
 * The largest v2 header taken, its 16 fixed bytes included: nginx's NGX_PROXY_PROTOCOL_MAX_HEADER.
 * The format allows 16 + 65535; nothing a balancer sends (addresses and a few TLVs) comes near
 * 4 KiB, and a larger length is refused at once rather than buffered.
 */
export const V2_MAX_LENGTH = 4096

const INCOMPLETE: ProxyHeaderResult = Object.freeze({ kind: 'incomplete' })

const V1_PREFIX = Buffer.from('PROXY ', 'latin1')
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a])
const V2_FIXED = 16

const invalid = (reason: string): ProxyHeaderResult => ({ kind: 'invalid', reason })

/**
 * Parses a PROXY v1 or v2 header at the start of `buf`. Says `incomplete` only while `buf` is a
 * proper start of a header that fits its bound, so a caller that waits on it waits for a bounded
 * number of bytes; anything else is `invalid` as soon as a byte shows it.
 */
export function parseProxyHeader(buf: Buffer): ProxyHeaderResult {
  if (buf.length === 0) return INCOMPLETE
  if (buf[0] === V1_PREFIX[0]) return parseV1(buf)
  if (buf[0] === V2_SIGNATURE[0]) return parseV2(buf)
  return invalid(`the connection does not start with a PROXY protocol header (first byte 0x${hex(buf[0])})`)
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0')
}

function parseV1(buf: Buffer): ProxyHeaderResult {
  const known = Math.min(buf.length, V1_PREFIX.length)
  if (buf.compare(V1_PREFIX, 0, known, 0, known) !== 0) return invalid('the connection does not start with a PROXY protocol header')
  // The CR of a line within the bound is at most at V1_MAX_LENGTH - 2.
  const scan = Math.min(buf.length, V1_MAX_LENGTH - 1)
  let end = -1
  for (let i = 0; i < scan; i++) {
    const c = buf[i]
    if (c === 0x0d) {
      if (i + 1 === buf.length) return INCOMPLETE
      if (buf[i + 1] !== 0x0a) return invalid(`v1 header: CR not followed by LF at byte ${i}`)
      end = i
      break
    }
    // The line is US-ASCII text: a control byte or a LF alone means this is no v1 header, and
    // there is no point waiting for a CRLF.
    if (c < 0x20 || c > 0x7e) return invalid(`v1 header: byte 0x${hex(c)} at ${i} is not printable text`)
  }
  if (end === -1) return buf.length >= V1_MAX_LENGTH - 1 ? invalid(`v1 header: no CRLF within ${V1_MAX_LENGTH} bytes`) : INCOMPLETE
  const line = buf.toString('latin1', 0, end)
  const fields = line.split(' ')
  const length = end + 2
  // UNKNOWN: the balancer could not say (or will not); the receiver ignores the rest of the line.
  if (fields[1] === 'UNKNOWN') return { kind: 'header', length }
  if (fields[1] !== 'TCP4' && fields[1] !== 'TCP6') return invalid(`v1 header: protocol '${fields[1]}' is not TCP4, TCP6 or UNKNOWN`)
  if (fields.length !== 6) return invalid(`v1 header: expected 'PROXY ${fields[1]} <src> <dst> <sport> <dport>', got '${line}'`)
  const family = fields[1] === 'TCP4' ? 4 : 6
  const source = v1Address(fields[2], fields[4], family)
  if (typeof source === 'string') return invalid(`v1 header: source ${source}`)
  const destination = v1Address(fields[3], fields[5], family)
  if (typeof destination === 'string') return invalid(`v1 header: destination ${destination}`)
  return { kind: 'header', length, source, destination }
}

function v1Address(address: string, port: string, family: 4 | 6): ProxiedAddress | string {
  // isIP takes IPv6 zone ids (`fe80::1%eth0`), which a PROXY header cannot carry.
  if (isIP(address) !== family || address.includes('%')) return `address '${address}' is not an IPv${family} address`
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return `port '${port}' is not a number from 0 to 65535`
  return { address: family === 4 ? address : canonicalIpv6(address), port: Number(port) }
}

function canonicalIpv6(address: string): string {
  return new SocketAddress({ address, family: 'ipv6' }).address
}

function parseV2(buf: Buffer): ProxyHeaderResult {
  const known = Math.min(buf.length, V2_SIGNATURE.length)
  if (buf.compare(V2_SIGNATURE, 0, known, 0, known) !== 0) return invalid('the connection does not start with a PROXY protocol header')
  if (buf.length < V2_FIXED) return INCOMPLETE
  const version = buf[12] >> 4
  const command = buf[12] & 0x0f
  const family = buf[13] >> 4
  const transport = buf[13] & 0x0f
  const length = V2_FIXED + buf.readUInt16BE(14)
  if (version !== 2) return invalid(`v2 header: version ${version} is not 2`)
  if (command > 1) return invalid(`v2 header: command 0x${hex(command)} is neither LOCAL nor PROXY`)
  if (family > 3) return invalid(`v2 header: address family 0x${hex(family)} is unknown`)
  if (transport > 2) return invalid(`v2 header: transport 0x${hex(transport)} is unknown`)
  if (length > V2_MAX_LENGTH) return invalid(`v2 header: ${length} bytes is more than the ${V2_MAX_LENGTH} taken`)
  if (buf.length < length) return INCOMPLETE
  // LOCAL: the balancer's own connection (a health check); the addresses, if any, are ignored.
  if (command === 0) return { kind: 'header', length }
  const need = family === 1 ? 12 : family === 2 ? 36 : family === 3 ? 216 : 0
  if (length - V2_FIXED < need) return invalid(`v2 header: ${length - V2_FIXED} bytes of addresses, the family needs ${need}`)
  // Addresses are taken for TCP over IPv4 and IPv6 only, as nginx does; unix, unspecified and
  // datagram sources leave the connection's own peer in place. TLVs after them are skipped.
  if (transport !== 1 || (family !== 1 && family !== 2)) return { kind: 'header', length }
  if (family === 1) {
    return {
      kind: 'header',
      length,
      source: { address: ipv4(buf, 16), port: buf.readUInt16BE(24) },
      destination: { address: ipv4(buf, 20), port: buf.readUInt16BE(26) },
    }
  }
  return {
    kind: 'header',
    length,
    source: { address: ipv6(buf, 16), port: buf.readUInt16BE(48) },
    destination: { address: ipv6(buf, 32), port: buf.readUInt16BE(50) },
  }
}

function ipv4(buf: Buffer, at: number): string {
  return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`
}

function ipv6(buf: Buffer, at: number): string {
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push(buf.readUInt16BE(at + i).toString(16))
  return canonicalIpv6(groups.join(':'))
}
