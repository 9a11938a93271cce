/**
 * Who the client is: Kong's `trusted_ips` (kong/pdk/ip.lua `is_trusted`) and nginx's realip
 * module as Kong configures it (`set_real_ip_from` for every trusted entry, `real_ip_header`,
 * `real_ip_recursive`), which replaces `$remote_addr` with an address a trusted peer forwarded,
 * in real_ip_header or, with `real_ip_header = proxy_protocol`, in the connection's PROXY header.
 */
import { BlockList, SocketAddress, isIP } from 'node:net'
import type { ProxiedAddress } from '../http/proxy-protocol.js'
import { firstHeader, nameIs } from './header-text.js'

/** What `$remote_addr` reads for a peer on a unix socket (nginx's text for one). */
export const UNIX_PEER = 'unix:'

/** trusted_ips, real_ip_header and real_ip_recursive, compiled once. */
export interface ClientAddressSettings {
  /** The trusted addresses and networks; undefined when none is listed. */
  readonly trusted: BlockList | undefined
  /** Both `0.0.0.0/0` and `::/0` are listed: Kong then trusts every peer, unix sockets included. */
  readonly trustAll: boolean
  /** `unix:` is listed: realip trusts unix-socket peers (kong.ip.is_trusted never does). */
  readonly trustUnix: boolean
  /** real_ip_header, lower-cased. */
  readonly header: string
  /** real_ip_header is `proxy_protocol`: the address comes from the PROXY header, not a request header. */
  readonly proxyProtocol: boolean
  /** real_ip_header is exactly `X-Forwarded-For`: nginx then reads every line of it, last first. */
  readonly everyLine: boolean
  readonly recursive: boolean
  /** Whether an address is listed, per address already checked (a bounded cache). */
  readonly verdicts: Map<string, boolean>
}

/** Why a trusted_ips entry or real_ip_header was refused. */
export class ClientAddressSettingsError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ClientAddressSettingsError'
  }
}

function addTrusted(list: BlockList, entry: string): void {
  const slash = entry.indexOf('/')
  const address = slash === -1 ? entry : entry.slice(0, slash)
  const family = isIP(address)
  const bits = slash === -1 ? NaN : Number(entry.slice(slash + 1))
  const max = family === 4 ? 32 : 128
  if (family === 0 || (slash !== -1 && !(/^\d{1,3}$/.test(entry.slice(slash + 1)) && bits <= max))) {
    throw new ClientAddressSettingsError(`trusted_ips: '${entry}' is not an IPv4 or IPv6 address or CIDR block, or 'unix:'`)
  }
  if (slash === -1) list.addAddress(address, family === 4 ? 'ipv4' : 'ipv6')
  else list.addSubnet(address, bits, family === 4 ? 'ipv4' : 'ipv6')
}

/**
 * Compiles the client-address settings; throws ClientAddressSettingsError naming a bad entry.
 * Whether a proxy_listen entry reads PROXY headers when real_ip_header asks for them is checked
 * with the other settings (src/conf/settings.ts).
 */
export function compileClientAddress(trustedIps: readonly string[], realIpHeader = 'X-Real-IP', realIpRecursive = false): ClientAddressSettings {
  let trusted: BlockList | undefined
  let trustUnix = false
  let all4 = false
  let all6 = false
  for (const entry of trustedIps) {
    if (entry === 'unix:') {
      trustUnix = true
      continue
    }
    trusted ??= new BlockList()
    addTrusted(trusted, entry)
    if (entry === '0.0.0.0/0') all4 = true
    else if (entry === '::/0') all6 = true
  }
  return {
    trusted,
    trustAll: all4 && all6,
    trustUnix,
    header: realIpHeader.toLowerCase(),
    // nginx's real_ip_header compares the keyword exactly, as it does `X-Forwarded-For` below.
    proxyProtocol: realIpHeader === 'proxy_protocol',
    everyLine: realIpHeader === 'X-Forwarded-For',
    recursive: realIpRecursive,
    verdicts: new Map(),
  }
}

// BlockList.check parses its address text into a SocketAddress on every call, which costs
// more than the rest of the forwarding work; peers and proxy hops repeat, so each address's
// answer is kept, in a map that is emptied when it grows past its bound.
const VERDICTS_BOUND = 4096

// IPv4-mapped IPv6 peers (a dual-stack listener's view of an IPv4 client) match IPv4 entries in
// BlockList, as they do in nginx's ngx_cidr_match.
function listed(settings: ClientAddressSettings, address: string): boolean {
  const list = settings.trusted
  if (list === undefined) return false
  const known = settings.verdicts.get(address)
  if (known !== undefined) return known
  const family = isIP(address)
  const verdict = family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6')
  if (settings.verdicts.size >= VERDICTS_BOUND) settings.verdicts.clear()
  settings.verdicts.set(address, verdict)
  return verdict
}

/**
 * Kong's `kong.ip.is_trusted($realip_remote_addr)`: whether the TCP peer may set X-Forwarded-*.
 * `peer` is undefined for a unix-socket peer.
 */
export function isTrustedPeer(settings: ClientAddressSettings, peer: string | undefined): boolean {
  if (settings.trustAll) return true
  return peer !== undefined && listed(settings, peer)
}

// realip's own test (set_real_ip_from), which unlike is_trusted knows `unix:`.
function realipTrusts(settings: ClientAddressSettings, address: string): boolean {
  return address === UNIX_PEER ? settings.trustUnix : listed(settings, address)
}

/**
 * nginx's ngx_parse_addr_port: an IPv4 or IPv6 address, optionally with a port (`a.b.c.d:p`,
 * `[v6]:p`); the address in nginx's canonical text, or undefined.
 */
export function parseForwardedAddress(text: string): string | undefined {
  let address = text
  let family = isIP(address)
  if (family === 0) {
    let colon: number
    if (text.charCodeAt(0) === 0x5b) {
      const close = text.indexOf(']')
      if (close === -1 || text.charCodeAt(close + 1) !== 0x3a) return undefined
      address = text.slice(1, close)
      colon = close + 1
    } else {
      colon = text.indexOf(':')
      if (colon === -1) return undefined
      address = text.slice(0, colon)
    }
    const port = text.slice(colon + 1)
    if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) return undefined
    family = isIP(address)
    if (family === 0) return undefined
  }
  // nginx's parser has no zone ids (`fe80::1%eth0`); Node's would accept them.
  if (family === 6 && address.includes('%')) return undefined
  // nginx prints the address it parsed, so `0:0::1` reads back as `::1`.
  return family === 4 ? address : new SocketAddress({ address, family: 'ipv6' }).address
}

const DECLINED = 0
const DONE = 1
const OK = 2

// One header line, walked from its last entry as ngx_http_get_forwarded_addr_internal does:
// while the current address is trusted, the entry before it becomes the address (only the last
// entry unless recursive). Returns the walk's outcome; `state.address` holds the address.
function walkLine(settings: ClientAddressSettings, state: { address: string }, value: string): number {
  let found = false
  let len = value.length
  let p: number
  do {
    if (!realipTrusts(settings, state.address)) return found ? DONE : DECLINED
    // Index 0 is never tested as a separator, as in nginx's loops.
    for (p = len - 1; p > 0; p--, len--) {
      const c = value.charCodeAt(p)
      if (c !== 0x20 && c !== 0x2c) break
    }
    for (; p > 0; p--) {
      const c = value.charCodeAt(p)
      if (c === 0x20 || c === 0x2c) {
        p++
        break
      }
    }
    const parsed = len <= 0 ? undefined : parseForwardedAddress(value.slice(Math.max(p, 0), len))
    if (parsed === undefined) return found ? DONE : DECLINED
    state.address = parsed
    found = true
    len = p - 1
  } while (settings.recursive && p > 0)
  return OK
}

/**
 * nginx's `$remote_addr` after realip: the TCP peer, or the address a trusted peer forwarded in
 * real_ip_header. `peer` is undefined for a unix-socket peer; `rawHeaders` is Node's flat list;
 * `proxied` is the source of the connection's PROXY header, when it had one with an address.
 */
export function clientAddress(settings: ClientAddressSettings, peer: string | undefined, rawHeaders: readonly string[], proxied?: ProxiedAddress): string {
  const start = peer ?? UNIX_PEER
  if (settings.trusted === undefined && !settings.trustUnix) return start
  if (!realipTrusts(settings, start)) return start
  const state = { address: start }
  if (settings.proxyProtocol) {
    // nginx declines when the connection had no PROXY header (another listener, LOCAL, UNKNOWN),
    // and otherwise walks the header's source as a one-entry list: recursion ends there.
    return proxied === undefined || walkLine(settings, state, proxied.address) === DECLINED ? start : state.address
  }
  if (!settings.everyLine) {
    const value = firstHeader(rawHeaders, settings.header)
    return value === undefined || walkLine(settings, state, value) === DECLINED ? start : state.address
  }
  // Every X-Forwarded-For line, last line first; a later line is read only while recursive
  // and every entry so far was trusted.
  let rc = DECLINED
  let found = false
  for (let i = rawHeaders.length - 2; i >= 0; i -= 2) {
    if (!nameIs(rawHeaders[i], 'x-forwarded-for')) continue
    rc = walkLine(settings, state, rawHeaders[i + 1])
    if (!settings.recursive) break
    if (rc === DECLINED && found) {
      rc = DONE
      break
    }
    if (rc !== OK) break
    found = true
  }
  return rc === DECLINED ? start : state.address
}
