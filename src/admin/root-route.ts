/** `GET /`: what this node is, its plugins, its settings (in Kong's value shapes) and its processes. */
import type { Router } from '@koa/router'
import { hostname } from 'node:os'
import { RUNNING_PLUGINS, availablePlugins } from '../plugins/registry.js'
import type { NodeState } from '../node/state.js'
import { KONG_COMPAT_VERSION, PRODUCT, VERSION } from '../version.js'

// Through NodeState, as the admin folder does not import conf.
type NodeConf = NodeState['conf']
type ListenSpec = NodeConf['proxy_listen'][number]

/** One of Kong's listen flags: its key in a listener object when absent, and the tokens it takes. */
interface ListenFlag {
  readonly key: string
  readonly match: RegExp
}
const exactly = (key: string): ListenFlag => ({ key, match: new RegExp(`^${key}$`) })

/** Kong's listen flags, in the order its conf loader checks them; a pattern flag keeps its Lua pattern as key when absent. */
const HTTP_FLAGS: readonly ListenFlag[] = [
  ...['ssl', 'http2', 'proxy_protocol', 'deferred', 'bind', 'reuseport'].map(exactly),
  { key: 'backlog=%d+', match: /^backlog=\d+$/ },
  ...['ipv6only=on', 'ipv6only=off', 'so_keepalive=on', 'so_keepalive=off'].map(exactly),
  { key: 'so_keepalive=%w*:%w*:%d*', match: /^so_keepalive=\w*:\w*:\d*$/ },
]
/** Kong parses status_listen with the `ssl` flag only. */
const STATUS_FLAGS: readonly ListenFlag[] = [exactly('ssl')]

/** Settings Kong holds as arrays (comma-separated text, each entry trimmed). */
const ARRAYS: ReadonlySet<string> = new Set([
  'proxy_listen',
  'admin_listen',
  'status_listen',
  'cluster_listen',
  'trusted_ips',
  'headers',
  'headers_upstream',
  'ssl_cert',
  'ssl_cert_key',
  'admin_ssl_cert',
  'admin_ssl_cert_key',
  'status_ssl_cert',
  'status_ssl_cert_key',
])
/** Settings Kong holds as numbers. */
const NUMBERS: ReadonlySet<string> = new Set(['upstream_keepalive_pool_size', 'upstream_keepalive_max_requests', 'upstream_keepalive_idle_timeout'])
/** Settings Kong holds as booleans (its `ngx_boolean` ones stay `on`/`off` text). */
const BOOLEANS: ReadonlySet<string> = new Set(['allow_debug_header'])

/** Kong's JSON encoder writes an empty Lua table as `{}`, so its empty lists read that way. */
const kongList = <T>(items: readonly T[]): readonly T[] | Record<string, never> => (items.length === 0 ? {} : items)

/** An IPv6 address in Kong's normalized form: eight zero-padded groups, in brackets. */
function kongIpv6(host: string): string {
  // An address with an embedded IPv4 part is left as written.
  if (host.includes('.')) return `[${host}]`
  const [head = '', tail] = host.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = [...left, ...Array<string>(tail === undefined ? 0 : 8 - left.length - right.length).fill('0'), ...right]
  return `[${groups.map((g) => g.toLowerCase().padStart(4, '0')).join(':')}]`
}

/** One listener as Kong's conf loader renders it: ip, port, one boolean per flag, and the nginx `listener` line. */
function kongListener(spec: ListenSpec, flags: readonly ListenFlag[]): Record<string, unknown> {
  const ip = spec.host.includes(':') ? kongIpv6(spec.host) : spec.host
  const tokens = spec.text.trim().split(/\s+/).slice(1)
  const out: Record<string, unknown> = { ip, port: spec.port }
  const written: string[] = []
  for (const flag of flags) {
    const found = tokens.find((token) => flag.match.test(token))
    if (found !== undefined) written.push(found)
    out[found ?? flag.key] = found !== undefined
  }
  out.listener = [`${ip}:${spec.port}`, ...written].join(' ')
  return out
}

/** A setting's text in the shape Kong's `GET /` gives it. */
function kongValue(name: string, text: unknown): unknown {
  if (typeof text !== 'string' || text === '******') return text
  if (ARRAYS.has(name)) return kongList(text.split(',').map((s) => s.trim()).filter((s) => s !== ''))
  if (NUMBERS.has(name)) return Number(text)
  if (BOOLEANS.has(name)) return text === 'on' || text === 'true'
  return text
}

/** `configuration` as Kong reports it: every setting (secrets masked) plus the listeners and flags Kong derives. */
export function kongConfiguration(conf: NodeConf): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, text] of Object.entries(conf.public)) out[name] = kongValue(name, text)
  out.prefix = conf.prefix
  // A data plane serves no admin API whatever admin_listen says; Kong then shows it as `off`.
  if (conf.role === 'data_plane') out.admin_listen = ['off']
  const listeners = {
    proxy_listeners: conf.proxy_listen.map((l) => kongListener(l, HTTP_FLAGS)),
    admin_listeners: conf.admin_listen.map((l) => kongListener(l, HTTP_FLAGS)),
    status_listeners: conf.status_listen.map((l) => kongListener(l, STATUS_FLAGS)),
    cluster_listeners: conf.cluster_listen.map((l) => kongListener(l, HTTP_FLAGS)),
  }
  for (const [name, list] of Object.entries(listeners)) out[name] = kongList(list)
  out.proxy_ssl_enabled = conf.proxy_listen.some((l) => l.ssl)
  out.admin_ssl_enabled = conf.admin_listen.some((l) => l.ssl)
  out.status_ssl_enabled = conf.status_listen.some((l) => l.ssl)
  // Kong lists only the plugins a node executes under `loaded_plugins` (and `available_on_server`).
  out.loaded_plugins = Object.fromEntries([...RUNNING_PLUGINS].sort().map((name) => [name, true]))
  out.log_level = conf.log_level
  return out
}

/** Mounts `GET /`. */
export function addRootRoute(router: Router, state: NodeState): void {
  router.get('/', (ctx) => {
    const plugins = state.config.live?.snapshot.entities.plugins ?? []
    // Only the plugins this node executes, as Kong lists them.
    const available = Object.entries(availablePlugins(KONG_COMPAT_VERSION)).filter(([name]) => RUNNING_PLUGINS.has(name))
    ctx.body = {
      tagline: 'Welcome to kong',
      version: KONG_COMPAT_VERSION,
      edition: 'community',
      product: { name: PRODUCT, version: VERSION },
      hostname: hostname(),
      node_id: state.nodeId,
      timers: { running: 0, pending: 0 },
      plugins: {
        available_on_server: Object.fromEntries(available),
        enabled_in_cluster: [...new Set(plugins.map((p) => p.name))].sort(),
      },
      lua_version: `Node.js ${process.version}`,
      configuration: kongConfiguration(state.conf),
      pids: { master: process.pid, workers: state.workers.pids() },
    }
  })
}
