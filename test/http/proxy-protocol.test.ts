// The PROXY protocol header parser, against haproxy's proxy-protocol.txt: v1 lines, v2 binary
// headers, their bounds, and what a header that is cut short or made of garbage gives.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { parseProxyHeader, V1_MAX_LENGTH, V2_MAX_LENGTH } from '../../src/http/proxy-protocol.js'

const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a])

/** A v2 header: version/command byte, family/transport byte, then the address block and TLVs. */
function v2(verCmd: number, famProto: number, body: Buffer = Buffer.alloc(0), declared = body.length): Buffer {
  const fixed = Buffer.alloc(4)
  fixed[0] = verCmd
  fixed[1] = famProto
  fixed.writeUInt16BE(declared, 2)
  return Buffer.concat([SIGNATURE, fixed, body])
}

const ipv4Block = (src: number[], dst: number[], sport: number, dport: number): Buffer => {
  const b = Buffer.alloc(12)
  Buffer.from(src).copy(b, 0)
  Buffer.from(dst).copy(b, 4)
  b.writeUInt16BE(sport, 8)
  b.writeUInt16BE(dport, 10)
  return b
}

const ipv6Block = (src: string, dst: string, sport: number, dport: number): Buffer => {
  const bytes = (hex: string): Buffer => Buffer.from(hex.replace(/:/g, ''), 'hex')
  const b = Buffer.alloc(36)
  bytes(src).copy(b, 0)
  bytes(dst).copy(b, 16)
  b.writeUInt16BE(sport, 32)
  b.writeUInt16BE(dport, 34)
  return b
}

/** A TLV: type, 16-bit length, value. */
const tlv = (type: number, value: Buffer): Buffer => Buffer.concat([Buffer.from([type, value.length >> 8, value.length & 0xff]), value])

const text = (s: string): Buffer => Buffer.from(s, 'latin1')

t.test('v1: TCP4, TCP6 and UNKNOWN', async (t) => {
  const line = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n'
  t.same(parseProxyHeader(text(`${line}GET / HTTP/1.1\r\n`)), {
    kind: 'header',
    length: line.length,
    source: { address: '192.168.0.1', port: 56324 },
    destination: { address: '192.168.0.11', port: 443 },
  }, 'TCP4, with the request after it')
  t.same(parseProxyHeader(text('PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::1 0 65535\r\n')), {
    kind: 'header',
    length: 45,
    source: { address: '2001:db8::1', port: 0 },
    destination: { address: '::1', port: 65535 },
  }, 'TCP6, addresses in canonical text, ports 0 and 65535')
  t.same(parseProxyHeader(text('PROXY UNKNOWN\r\n')), { kind: 'header', length: 15 }, 'UNKNOWN alone: no addresses')
  const longest = 'PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n'
  t.equal(longest.length, V1_MAX_LENGTH, "the spec's worst case is the bound")
  t.same(parseProxyHeader(text(longest)), { kind: 'header', length: V1_MAX_LENGTH }, 'UNKNOWN: the rest of the line is ignored')
})

t.test('v1: a header cut short is incomplete at every length', async (t) => {
  const whole = text('PROXY TCP6 2001:db8::1 2001:db8::2 56324 443\r\n')
  let wrong = 0
  for (let n = 0; n < whole.length; n++) if (parseProxyHeader(whole.subarray(0, n)).kind !== 'incomplete') wrong++
  t.equal(wrong, 0, 'no prefix is taken or refused')
  t.equal(parseProxyHeader(whole).kind, 'header')
})

t.test('v1: refused as soon as a byte shows it', async (t) => {
  const rows: [string, RegExp][] = [
    ['PROXY TCP4 ::1 127.0.0.1 1 2\r\n', /source address '::1' is not an IPv4 address/],
    ['PROXY TCP6 ::1 127.0.0.1 1 2\r\n', /destination address '127.0.0.1' is not an IPv6 address/],
    ['PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n', /source address 'fe80::1%eth0'/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 65536 80\r\n', /source port '65536' is not a number from 0 to 65535/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 80 http\r\n', /destination port 'http'/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 80\r\n', /expected 'PROXY TCP4 <src> <dst> <sport> <dport>'/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 80 80 80\r\n', /expected/],
    ['PROXY TCP4  1.2.3.4 5.6.7.8 80 80\r\n', /expected/],
    ['PROXY UDP4 1.2.3.4 5.6.7.8 80 80\r\n', /protocol 'UDP4' is not TCP4, TCP6 or UNKNOWN/],
    ['PROXY \r\n', /protocol '' is not/],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 80 80\n', /byte 0x0a at 32 is not printable text/],
    ['PROXY TCP4 1.2.3.4\rX', /CR not followed by LF at byte 18/],
    ['PROXY \x00', /byte 0x00 at 6/],
    ['PROXY \xff', /byte 0xff at 6/],
    ['PROXZ', /does not start with a PROXY protocol header/],
    ['POST / HTTP/1.1\r\n', /does not start with a PROXY protocol header/],
    ['GET / HTTP/1.1\r\n', /does not start with a PROXY protocol header \(first byte 0x47\)/],
    [`PROXY UNKNOWN ${'x'.repeat(V1_MAX_LENGTH)}`, /no CRLF within 107 bytes/],
    [`PROXY UNKNOWN ${'x'.repeat(V1_MAX_LENGTH - 15)}\r\n`, /no CRLF within 107 bytes/],
    [`PROXY UNKNOWN ${'x'.repeat(V1_MAX_LENGTH - 15)}`, /no CRLF within 107 bytes/],
  ]
  for (const [input, reason] of rows) {
    const got = parseProxyHeader(text(input))
    t.equal(got.kind, 'invalid', JSON.stringify(input))
    if (got.kind === 'invalid') t.match(got.reason, reason, JSON.stringify(input))
  }
  t.equal(parseProxyHeader(text(`PROXY UNKNOWN ${'x'.repeat(V1_MAX_LENGTH - 16)}`)).kind, 'incomplete', '105 bytes without CRLF may still end in one')
  t.equal(parseProxyHeader(text(`PROXY UNKNOWN ${'x'.repeat(V1_MAX_LENGTH - 16)}\r`)).kind, 'incomplete', 'nor may 105 bytes and CR')
})

t.test('v2: PROXY over TCP, IPv4 and IPv6', async (t) => {
  const four = v2(0x21, 0x11, ipv4Block([10, 0, 0, 1], [10, 0, 0, 2], 56324, 443))
  t.same(parseProxyHeader(Buffer.concat([four, text('GET /')])), {
    kind: 'header',
    length: 28,
    source: { address: '10.0.0.1', port: 56324 },
    destination: { address: '10.0.0.2', port: 443 },
  }, 'IPv4')
  const six = v2(0x21, 0x21, ipv6Block('2001:0db8:0000:0000:0000:0000:0000:0001', '0000:0000:0000:0000:0000:ffff:0102:0304', 1, 65535))
  t.same(parseProxyHeader(six), {
    kind: 'header',
    length: 52,
    source: { address: '2001:db8::1', port: 1 },
    destination: { address: '::ffff:1.2.3.4', port: 65535 },
  }, 'IPv6, canonical text')
})

t.test('v2: TLVs are skipped, the length covers them', async (t) => {
  const body = Buffer.concat([
    ipv4Block([192, 168, 0, 1], [192, 168, 0, 11], 1000, 8000),
    tlv(0x01, text('h2')), // PP2_TYPE_ALPN
    tlv(0x02, text('api.example')), // PP2_TYPE_AUTHORITY
    tlv(0x04, Buffer.alloc(0)), // PP2_TYPE_NOOP
    tlv(0x20, Buffer.from([0x07, 0, 0, 0, 0])), // PP2_TYPE_SSL
  ])
  const header = v2(0x21, 0x11, body)
  const got = parseProxyHeader(Buffer.concat([header, text('rest')]))
  t.match(got, { kind: 'header', length: header.length, source: { address: '192.168.0.1', port: 1000 } })
})

t.test('v2: LOCAL, unix, unspecified and datagram sources give no address', async (t) => {
  t.same(parseProxyHeader(v2(0x20, 0x00)), { kind: 'header', length: 16 }, 'LOCAL with no address block')
  t.same(parseProxyHeader(v2(0x20, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2))), { kind: 'header', length: 28 }, 'LOCAL: addresses ignored')
  t.same(parseProxyHeader(v2(0x21, 0x31, Buffer.alloc(216))), { kind: 'header', length: 232 }, 'unix stream')
  t.same(parseProxyHeader(v2(0x21, 0x00)), { kind: 'header', length: 16 }, 'UNSPEC')
  t.same(parseProxyHeader(v2(0x21, 0x12, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 53, 53))), { kind: 'header', length: 28 }, 'UDP over IPv4')
})

t.test('v2: a header cut short is incomplete at every length', async (t) => {
  const whole = v2(0x21, 0x21, Buffer.concat([ipv6Block('20010db8000000000000000000000001', '20010db8000000000000000000000002', 5, 6), tlv(0x04, Buffer.alloc(40))]))
  let wrong = 0
  for (let n = 0; n < whole.length; n++) if (parseProxyHeader(whole.subarray(0, n)).kind !== 'incomplete') wrong++
  t.equal(wrong, 0, 'no prefix is taken or refused')
  t.equal(parseProxyHeader(whole).kind, 'header')
})

t.test('v2: refused as soon as the fixed part shows it', async (t) => {
  const rows: [Buffer, RegExp][] = [
    [v2(0x11, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)), /version 1 is not 2/],
    [v2(0x22, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)), /command 0x02 is neither LOCAL nor PROXY/],
    [v2(0x21, 0x41), /address family 0x04 is unknown/],
    [v2(0x21, 0x13), /transport 0x03 is unknown/],
    [v2(0x21, 0x11, Buffer.alloc(8)), /8 bytes of addresses, the family needs 12/],
    [v2(0x21, 0x21, Buffer.alloc(12)), /12 bytes of addresses, the family needs 36/],
    [v2(0x21, 0x31, Buffer.alloc(36)), /36 bytes of addresses, the family needs 216/],
    [v2(0x21, 0x11, Buffer.alloc(0), V2_MAX_LENGTH - 15), /4097 bytes is more than the 4096 taken/],
    [v2(0x21, 0x11, Buffer.alloc(0), 0xffff), /65551 bytes is more than the 4096 taken/],
    [Buffer.concat([SIGNATURE.subarray(0, 5), text('X')]), /does not start with a PROXY protocol header/],
  ]
  for (const [input, reason] of rows) {
    const got = parseProxyHeader(input)
    t.equal(got.kind, 'invalid', input.toString('hex'))
    if (got.kind === 'invalid') t.match(got.reason, reason, String(reason))
  }
  t.match(parseProxyHeader(v2(0x21, 0x11, Buffer.alloc(V2_MAX_LENGTH - 16), V2_MAX_LENGTH - 16)), { kind: 'header', length: V2_MAX_LENGTH }, 'exactly the bound is taken')
})

t.test('random bytes never throw and never ask for more than the bounds', async (t) => {
  let bad = 0
  const starts = [Buffer.alloc(0), text('PROXY '), text('PROXY TCP4 '), SIGNATURE, Buffer.concat([SIGNATURE, Buffer.from([0x21])])]
  for (let i = 0; i < 20000; i++) {
    const start = starts[i % starts.length]
    const input = Buffer.concat([start, randomBytes(i % 97)])
    const got = parseProxyHeader(input)
    if (got.kind === 'incomplete' && input.length >= V2_MAX_LENGTH) bad++
    if (got.kind === 'header' && got.length > input.length) bad++
    if (got.kind === 'invalid' && got.reason === '') bad++
  }
  t.equal(bad, 0, 'every answer within its contract')
  let wrong = 0
  for (let i = 0; i < 2000; i++) {
    // Any header followed by anything: the same header, whatever follows.
    const header = v2(0x21, 0x11, Buffer.concat([randomBytes(12), tlv(0x04, randomBytes(i % 50))]))
    const got = parseProxyHeader(Buffer.concat([header, randomBytes(i % 30)]))
    if (got.kind !== 'header' || got.length !== header.length || got.source === undefined) wrong++
  }
  t.equal(wrong, 0, 'random addresses and TLVs read back as a header of the right length')
})
