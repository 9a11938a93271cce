// The client address: trusted_ips and nginx's realip walk, after Kong's
// spec/02-integration/05-proxy/03-upstream_headers_spec.lua (client 127.0.0.1) and nginx's
// ngx_http_get_forwarded_addr.
import t from 'tap'
import { ClientAddressSettingsError, clientAddress, compileClientAddress, isTrustedPeer, parseForwardedAddress } from '../../src/proxy/client-address.js'

/** Node's rawHeaders from name, value pairs. */
const raw = (...pairs: [string, string][]): string[] => pairs.flat()

interface Case {
  readonly desc: string
  readonly trusted: string[]
  readonly header?: string
  readonly recursive?: boolean
  readonly peer?: string | undefined
  readonly headers: [string, string][]
  readonly client: string
}

const XFF = '127.0.0.1, 10.0.0.1, 192.168.0.1, 127.0.0.1, 172.16.0.1'
const XFF_PORTS = '127.0.0.1:14, 10.0.0.1:15, 192.168.0.1:16, 127.0.0.1:17, 172.16.0.1:18'
const RECURSIVE_TRUSTED = ['127.0.0.1', '172.16.0.1', '192.168.0.1']
const RECURSIVE_UNTRUSTED = ['10.0.0.1', '172.16.0.1', '192.168.0.1']

const cases: Case[] = [
  // (using the default configuration values)
  { desc: 'default: X-Real-IP added', trusted: [], headers: [], client: '127.0.0.1' },
  { desc: 'default: X-Real-IP replaced', trusted: [], headers: [['X-Real-IP', '10.0.0.1']], client: '127.0.0.1' },
  // (using the trusted configuration values)
  { desc: 'trusted: X-Real-IP added', trusted: ['127.0.0.1'], headers: [], client: '127.0.0.1' },
  { desc: 'trusted: X-Real-IP forwarded', trusted: ['127.0.0.1'], headers: [['X-Real-IP', '10.0.0.1']], client: '10.0.0.1' },
  // (using the non-trusted configuration values)
  { desc: 'untrusted: X-Real-IP replaced', trusted: ['10.0.0.1'], headers: [['X-Real-IP', '10.0.0.1']], client: '127.0.0.1' },
  // (using the recursive trusted configuration values)
  { desc: 'recursive trusted: nothing forwarded', trusted: RECURSIVE_TRUSTED, header: 'X-Forwarded-For', recursive: true, headers: [], client: '127.0.0.1' },
  {
    desc: 'recursive trusted: first untrusted hop from the right',
    trusted: RECURSIVE_TRUSTED, header: 'X-Forwarded-For', recursive: true,
    headers: [['X-Forwarded-For', XFF], ['X-Real-IP', '10.0.0.2']], client: '10.0.0.1',
  },
  {
    desc: 'recursive trusted: hops with ports',
    trusted: RECURSIVE_TRUSTED, header: 'X-Forwarded-For', recursive: true,
    headers: [['X-Forwarded-For', XFF_PORTS], ['X-Real-IP', '10.0.0.2'], ['X-Forwarded-Port', '14']], client: '10.0.0.1',
  },
  // (using the recursive non-trusted configuration values)
  {
    desc: 'recursive untrusted: the peer',
    trusted: RECURSIVE_UNTRUSTED, header: 'X-Forwarded-For', recursive: true,
    headers: [['X-Forwarded-For', '10.0.0.1, 127.0.0.2, 10.0.0.1, 192.168.0.1, 172.16.0.1'], ['X-Real-IP', '10.0.0.2']], client: '127.0.0.1',
  },
  // nginx realip semantics beyond Kong's tests
  { desc: 'not recursive: the last entry, trusted or not', trusted: ['127.0.0.1', '2.2.2.2'], header: 'X-Forwarded-For', headers: [['X-Forwarded-For', '1.1.1.1, 2.2.2.2']], client: '2.2.2.2' },
  { desc: 'not recursive: the last line only', trusted: ['127.0.0.1'], header: 'X-Forwarded-For', headers: [['X-Forwarded-For', '1.1.1.1'], ['X-Forwarded-For', '3.3.3.3']], client: '3.3.3.3' },
  {
    desc: 'recursive: lines are walked last first',
    trusted: ['127.0.0.1', '3.3.3.3'], header: 'X-Forwarded-For', recursive: true,
    headers: [['X-Forwarded-For', '1.1.1.1'], ['Accept', '*/*'], ['x-forwarded-for', '3.3.3.3']], client: '1.1.1.1',
  },
  {
    desc: 'recursive: an unreadable earlier line keeps the address found so far',
    trusted: ['127.0.0.1', '3.3.3.3'], header: 'X-Forwarded-For', recursive: true,
    headers: [['X-Forwarded-For', 'garbage'], ['X-Forwarded-For', '3.3.3.3']], client: '3.3.3.3',
  },
  {
    desc: 'recursive: an untrusted hop stops before earlier lines',
    trusted: ['127.0.0.1'], header: 'X-Forwarded-For', recursive: true,
    headers: [['X-Forwarded-For', '1.1.1.1'], ['X-Forwarded-For', '3.3.3.3']], client: '3.3.3.3',
  },
  {
    desc: 'recursive: every entry trusted gives the leftmost',
    trusted: ['127.0.0.1', '10.0.0.0/8'], header: 'X-Forwarded-For', recursive: true,
    headers: [['X-Forwarded-For', '10.0.0.3,10.0.0.2 , 10.0.0.1']], client: '10.0.0.3',
  },
  {
    desc: 'recursive: an unreadable entry stops the walk at the last good one',
    trusted: ['127.0.0.1', '172.16.0.1'], header: 'X-Forwarded-For', recursive: true,
    headers: [['X-Forwarded-For', '1.1.1.1, garbage, 172.16.0.1']], client: '172.16.0.1',
  },
  { desc: 'an unreadable last entry keeps the peer', trusted: ['127.0.0.1'], headers: [['X-Real-IP', 'garbage']], client: '127.0.0.1' },
  { desc: 'trailing separators are skipped', trusted: ['127.0.0.1'], header: 'X-Forwarded-For', headers: [['X-Forwarded-For', '1.1.1.1, 2.2.2.2, ,']], client: '2.2.2.2' },
  { desc: 'an empty header keeps the peer', trusted: ['127.0.0.1'], headers: [['X-Real-IP', '']], client: '127.0.0.1' },
  { desc: 'X-Real-IP: its first line', trusted: ['127.0.0.1'], headers: [['x-real-ip', '1.1.1.1'], ['X-Real-IP', '2.2.2.2']], client: '1.1.1.1' },
  {
    desc: 'another header name: its first line only, even when lower-case x-forwarded-for',
    trusted: ['127.0.0.1'], header: 'x-forwarded-for',
    headers: [['X-Forwarded-For', '1.1.1.1'], ['X-Forwarded-For', '2.2.2.2']], client: '1.1.1.1',
  },
  { desc: 'a custom header', trusted: ['127.0.0.1'], header: 'CF-Connecting-IP', headers: [['cf-connecting-ip', '9.9.9.9']], client: '9.9.9.9' },
  { desc: 'IPv6 with a port, written canonically', trusted: ['127.0.0.1'], headers: [['X-Real-IP', '[2001:DB8:0:0::1]:443']], client: '2001:db8::1' },
  { desc: 'an IPv6 peer in an IPv6 network', trusted: ['fd00::/8'], peer: 'fd00::5', headers: [['X-Real-IP', '1.2.3.4']], client: '1.2.3.4' },
  { desc: 'an IPv4-mapped peer matches its IPv4 entry', trusted: ['127.0.0.0/8'], peer: '::ffff:127.0.0.1', headers: [['X-Real-IP', '1.2.3.4']], client: '1.2.3.4' },
  { desc: 'trust everything', trusted: ['0.0.0.0/0', '::/0'], peer: '8.8.8.8', headers: [['X-Real-IP', '1.2.3.4']], client: '1.2.3.4' },
  { desc: 'a unix-socket peer with unix: trusted', trusted: ['unix:'], peer: undefined, headers: [['X-Real-IP', '1.2.3.4']], client: '1.2.3.4' },
  { desc: 'a unix-socket peer otherwise', trusted: ['127.0.0.1'], peer: undefined, headers: [['X-Real-IP', '1.2.3.4']], client: 'unix:' },
]

t.test('clientAddress: $remote_addr after realip', async (t) => {
  for (const c of cases) {
    const settings = compileClientAddress(c.trusted, c.header ?? 'X-Real-IP', c.recursive ?? false)
    const peer = 'peer' in c ? c.peer : '127.0.0.1'
    t.equal(clientAddress(settings, peer, raw(...c.headers)), c.client, c.desc)
  }
})

t.test('clientAddress with real_ip_header = proxy_protocol: the PROXY header source', async (t) => {
  // Kong's "(using trusted proxy protocol configuration values)": the balancer 127.0.0.1 sends
  // PROXY TCP4 192.168.0.1 ...; request headers play no part.
  const source = { address: '192.168.0.1', port: 56324 }
  const headers = raw(['X-Real-IP', '10.0.0.2'], ['X-Forwarded-For', '10.0.0.1, 127.0.0.2'])
  const rows: [string[], boolean, string | undefined, { address: string; port: number } | undefined, string, string][] = [
    [['127.0.0.1', '172.16.0.1', '192.168.0.1'], true, '127.0.0.1', source, '192.168.0.1', 'a trusted balancer: the header source, recursion ends there'],
    [['127.0.0.1'], false, '127.0.0.1', source, '192.168.0.1', 'not recursive: the same'],
    [['10.0.0.1', '172.16.0.1', '192.168.0.1'], true, '127.0.0.1', source, '127.0.0.1', 'an untrusted balancer: the TCP peer'],
    [['127.0.0.1'], false, '127.0.0.1', undefined, '127.0.0.1', 'no PROXY header (LOCAL, UNKNOWN, another listener): the TCP peer'],
    [['unix:'], false, undefined, source, '192.168.0.1', 'a trusted unix-socket balancer'],
    [['127.0.0.1'], false, '127.0.0.1', { address: '2001:DB8::1', port: 1 }, '2001:db8::1', 'an IPv6 source, in canonical text'],
    [['127.0.0.1'], false, '127.0.0.1', { address: 'garbage', port: 1 }, '127.0.0.1', 'an unreadable source keeps the peer'],
    [[], false, '127.0.0.1', source, '127.0.0.1', 'nothing trusted'],
  ]
  for (const [trusted, recursive, peer, proxied, expected, desc] of rows) {
    t.equal(clientAddress(compileClientAddress(trusted, 'proxy_protocol', recursive), peer, headers, proxied), expected, desc)
  }
  const xRealIp = compileClientAddress(['127.0.0.1'], 'X-Real-IP')
  t.equal(clientAddress(xRealIp, '127.0.0.1', headers, source), '10.0.0.2', 'another real_ip_header ignores the PROXY header, as nginx does')
  t.equal(compileClientAddress([], 'Proxy_Protocol').proxyProtocol, false, 'the keyword is exact, as in nginx')
})

t.test('isTrustedPeer: kong.ip.is_trusted of the TCP peer', async (t) => {
  const rows: [string[], string | undefined, boolean, string][] = [
    [[], '127.0.0.1', false, 'nothing listed'],
    [['127.0.0.1'], '127.0.0.1', true, 'an address'],
    [['10.0.0.1'], '127.0.0.1', false, 'another address'],
    [['10.0.0.0/8'], '10.200.3.4', true, 'a network'],
    [['10.1.2.3/8'], '10.9.9.9', true, 'a network written with host bits, as nginx accepts it'],
    [['::1'], '::1', true, 'IPv6'],
    [['::1'], '0:0:0:0:0:0:0:1', true, 'IPv6 in another spelling'],
    [['0.0.0.0/0'], '::1', false, 'all of IPv4 is not IPv6'],
    [['0.0.0.0/0', '::/0'], undefined, true, 'trusting everything trusts unix sockets too'],
    [['unix:'], undefined, false, 'unix: is for realip only (Kong\'s is_trusted skips it)'],
    [['unix:', '127.0.0.1'], undefined, false, 'a unix peer is not an address'],
  ]
  for (const [trusted, peer, expected, desc] of rows) t.equal(isTrustedPeer(compileClientAddress(trusted), peer), expected, desc)
})

t.test('settings that cannot work are refused', async (t) => {
  const refused = (trusted: string[], header?: string): unknown => {
    try {
      compileClientAddress(trusted, header)
    } catch (err) {
      return err instanceof ClientAddressSettingsError ? err.message : err
    }
    return 'accepted'
  }
  t.equal(refused([], 'proxy_protocol'), 'accepted', 'proxy_protocol (whether a listener reads PROXY headers is a settings check)')
  t.equal(refused(['10.0.0.0/33']), "trusted_ips: '10.0.0.0/33' is not an IPv4 or IPv6 address or CIDR block, or 'unix:'", 'a prefix too long')
  t.match(refused(['10.0.0.0/x']), /^trusted_ips: '10.0.0.0\/x'/, 'a prefix that is no number')
  t.match(refused(['10.0.0.0/']), /^trusted_ips: /, 'an empty prefix')
  t.match(refused(['example.com']), /^trusted_ips: 'example.com'/, 'a name')
  t.ok(compileClientAddress(['::/0', '2001:db8::/128']), 'IPv6 prefixes up to 128')
})

t.test('parseForwardedAddress reads what ngx_parse_addr_port reads', async (t) => {
  const rows: [string, string | undefined][] = [
    ['1.2.3.4', '1.2.3.4'],
    ['1.2.3.4:80', '1.2.3.4'],
    ['1.2.3.4:0', undefined],
    ['1.2.3.4:65536', undefined],
    ['1.2.3.4:', undefined],
    ['::1', '::1'],
    ['[::1]:8080', '::1'],
    ['[::1]', undefined],
    ['[::1]x', undefined],
    ['fe80::1%eth0', undefined],
    ['::FFFF:1.2.3.4', '::ffff:1.2.3.4'],
    ['unknown', undefined],
    ['', undefined],
  ]
  for (const [text, expected] of rows) t.equal(parseForwardedAddress(text), expected, JSON.stringify(text))
})

t.test('answers per address are kept, within a bound', async (t) => {
  const settings = compileClientAddress(['10.0.0.0/8'])
  let right = 0
  for (let i = 0; i < 5000; i++) {
    const inside = i % 2 === 0
    const address = `${inside ? 10 : 11}.0.${i >> 8}.${i & 255}`
    if (isTrustedPeer(settings, address) === inside && isTrustedPeer(settings, address) === inside) right++
  }
  t.equal(right, 5000, 'every answer right, first asked and when kept')
  t.ok(settings.verdicts.size <= 4096, 'the cache stays bounded')
})
