/** Kong's listen grammar: `ADDR:PORT [ssl] [http2] [proxy_protocol] [reuseport] [backlog=N] ...`, comma-separated, or `off`. */

/** One listener as configured. */
export interface ListenSpec {
  /** Address to bind; IPv6 without brackets. */
  readonly host: string
  readonly port: number
  readonly ssl: boolean
  readonly http2: boolean
  readonly proxyProtocol: boolean
  readonly reuseport: boolean
  readonly deferred: boolean
  readonly bind: boolean
  /** Pending-connection queue length, when set. */
  readonly backlog?: number
  /** `ipv6only=on|off` on an IPv6 address: whether it leaves IPv4 to another socket. */
  readonly ipv6only?: boolean
  /** `so_keepalive`: TCP keep-alive on accepted connections; `idleSeconds` from its `idle:interval:count` form. */
  readonly soKeepalive?: { readonly idleSeconds?: number }
  /** The entry as written, for logs and errors. */
  readonly text: string
}

const FORM =
  'must be of form: [off] | <ip>:<port> [ssl] [http2] [proxy_protocol] [deferred] [bind] [reuseport] [backlog=%d+] [ipv6only=on] [ipv6only=off] [so_keepalive=on] [so_keepalive=off] [so_keepalive=%w*:%w*:%d*], [... next entry ...]'

/** nginx's `so_keepalive=idle:interval:count`: only the idle time has a Node counterpart; `30m` style units. */
function keepaliveOf(idle: string | undefined): { idleSeconds?: number } {
  const m = /^(\d+)(s|m|h)?$/.exec(idle ?? '')
  if (!m) return {}
  return { idleSeconds: Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1) }
}

/** Parses a listen setting; throws an Error naming the setting and Kong's expected form. */
export function parseListen(name: string, value: string): ListenSpec[] {
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
  if (entries.length === 0 || entries[0] === 'off') return []
  return entries.map((entry) => {
    const [address = '', ...flags] = entry.split(/\s+/)
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(address)
    if (!m || Number(m[3]) > 65535) throw new Error(`${name} ${FORM}`)
    let backlog: number | undefined
    let ipv6only: boolean | undefined
    let soKeepalive: ListenSpec['soKeepalive']
    const seen = new Set<string>()
    for (const flag of flags) {
      const b = /^backlog=(\d+)$/.exec(flag)
      const keepalive = /^so_keepalive=(on|off|(\w*):\w*:\d*)$/.exec(flag)
      if (b) backlog = Number(b[1])
      else if (/^(ssl|http2|proxy_protocol|deferred|bind|reuseport)$/.test(flag)) seen.add(flag)
      else if (flag === 'ipv6only=on' || flag === 'ipv6only=off') ipv6only = flag === 'ipv6only=on'
      else if (keepalive) soKeepalive = keepalive[1] === 'off' ? undefined : keepaliveOf(keepalive[2])
      else throw new Error(`${name} ${FORM}`)
    }
    return {
      host: (m[1] ?? m[2]),
      port: Number(m[3]),
      ssl: seen.has('ssl'),
      http2: seen.has('http2'),
      proxyProtocol: seen.has('proxy_protocol'),
      reuseport: seen.has('reuseport'),
      deferred: seen.has('deferred'),
      bind: seen.has('bind'),
      ...(backlog === undefined ? {} : { backlog }),
      ...(ipv6only === undefined ? {} : { ipv6only }),
      ...(soKeepalive === undefined ? {} : { soKeepalive }),
      text: entry,
    }
  })
}
