/**
 * Static settings: Kong's names, read as `KONG_<NAME>` env (or `KONG_<NAME>_FILE`) over a
 * `kong.conf` file over defaults, checked once and frozen. Each setting is one declaration
 * (name, default, doc, how its text is read); every problem is listed, not just the first.
 */
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { LOG_LEVELS, type LogLevel } from '../log.js'
import { readEnvSettings } from './env-settings.js'
import { parseListen, type ListenSpec } from './listen.js'
import { checkClusterSettings } from './cluster-settings.js'
import { CIPHER_SUITE_NAMES, checkTlsSettings, parseNginxSeconds, parseProtocols } from './tls-settings.js'

/** Why a setting's text is refused (the message names the setting). */
class Problem {
  constructor(readonly message: string) {}
}

/** One setting: its default as kong.conf would write it, a doc line, and how its text is read. */
interface Setting<T> {
  readonly default?: string
  readonly doc: string
  /** Masked as `******` where settings are shown. */
  readonly sensitive?: boolean
  /** The value of the text (absent when neither set nor defaulted), or a Problem. */
  readonly read: (raw: string | undefined, name: string, cwd: string) => T | Problem
}

const setting = <T>(s: Setting<T>): Setting<T> => s

const optionalText = (raw: string | undefined): string | undefined => (raw === undefined || raw === '' ? undefined : raw)
const text = (raw: string | undefined): string => raw ?? ''
const listen = (raw: string | undefined, name: string): ListenSpec[] | Problem => {
  try {
    return parseListen(name, raw ?? '')
  } catch (err) {
    return new Problem((err as Error).message)
  }
}
const list = (raw: string | undefined): string[] =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
const oneOf =
  <const V extends string>(values: readonly V[], message: (raw: string) => string) =>
  (raw: string | undefined): V | Problem =>
    (values as readonly string[]).includes(raw ?? '') ? (raw as V) : new Problem(message(raw ?? ''))

const count =
  (name: string) =>
  (raw: string | undefined): number | Problem =>
    /^\d+$/.test(raw ?? '') ? Number(raw) : new Problem(`${name} must be a whole number, got '${raw}'`)
const flag =
  (name: string) =>
  (raw: string | undefined): boolean | Problem => {
    const v = (raw ?? '').toLowerCase()
    if (v === 'on' || v === 'true') return true
    if (v === 'off' || v === 'false') return false
    return new Problem(`${name} must be on or off, got '${raw}'`)
  }
const size =
  (name: string) =>
  (raw: string | undefined): number | Problem =>
    parseSize(raw ?? '') ?? new Problem(`${name} must be a size such as 8k or 10m, got '${raw}'`)

/** Parses a size such as `128m`, `512k` or `1048576` into bytes. */
export function parseSize(value: string): number | undefined {
  const m = /^(\d+)([kmg]?)$/i.exec(value.trim())
  if (!m) return undefined
  const unit = (m[2] ?? '').toLowerCase()
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1)
}

/** Every setting this node reads, with Kong's defaults (listeners as DESIGN.md sets them). */
export const SETTINGS = {
  database: setting({
    default: 'off',
    doc: 'Always `off`: this node has no database.',
    read: oneOf(['off'], (raw) => `database = ${raw} is not supported: this node runs without a database (set database = off)`),
  }),
  role: setting({
    default: 'traditional',
    doc: 'traditional, data_plane or control_plane.',
    read: oneOf(['traditional', 'data_plane', 'control_plane'], (raw) => `role has an invalid value: '${raw}' (traditional, data_plane, control_plane)`),
  }),
  log_level: setting({
    default: 'notice',
    doc: 'Least severe level logged: debug, info, notice, warn, error, crit, alert, emerg.',
    read: (raw) => {
      const level = (raw ?? '').toLowerCase()
      return (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : new Problem(`log_level must be one of: ${LOG_LEVELS.join(', ')}`)
    },
  }),
  mem_cache_size: setting({
    default: '128m',
    doc: 'Capacity of the entity caches (kong_core_db_cache, kong_db_cache), e.g. 128m.',
    read: (raw) => parseSize(raw ?? '') ?? new Problem(`mem_cache_size must be a size such as 128m or 512k, got '${raw}'`),
  }),
  nginx_worker_processes: setting({
    default: 'auto',
    doc: 'Worker processes serving the proxy; `auto` is the CPU count.',
    read: (raw) => {
      if (raw === 'auto') return availableParallelism()
      return /^\d+$/.test(raw ?? '') && Number(raw) > 0 ? Number(raw) : new Problem(`nginx_worker_processes must be 'auto' or a positive number, got '${raw}'`)
    },
  }),
  cluster_mtls: setting({ default: 'shared', doc: 'Cluster mTLS mode: shared or pki.', read: oneOf(['shared', 'pki'], () => 'cluster_mtls must be one of: shared, pki') }),
  proxy_listen: setting({ default: '0.0.0.0:8000', doc: 'Proxy listeners, in Kong\'s listen format.', read: listen }),
  admin_listen: setting({ default: '127.0.0.1:8001', doc: 'Admin API listeners; none on a data plane.', read: listen }),
  status_listen: setting({ default: '127.0.0.1:8007', doc: 'Status API listeners.', read: listen }),
  cluster_listen: setting({ default: '0.0.0.0:8005', doc: 'Where a control plane listens for data planes.', read: listen }),
  trusted_ips: setting({
    default: '',
    doc: 'Addresses or CIDRs whose forwarding headers are trusted.',
    read: (raw) => {
      const ips = list(raw)
      const bad = ips.find((ip) => !/^(unix:|[0-9a-fA-F:.]+(\/\d{1,3})?)$/.test(ip))
      return bad === undefined
        ? ips
        : new Problem(`trusted_ips must be a comma separated list in the form of IPv4 or IPv6 address or CIDR block or 'unix:', got '${bad}'`)
    },
  }),
  declarative_config: setting({ doc: 'The declarative config loaded at start and on SIGHUP: a file, a directory of .yml/.yaml/.json files, or several of them separated by commas, merged.', read: optionalText }),
  declarative_config_string: setting({ doc: 'The declarative config itself, inline (wins over declarative_config).', sensitive: true, read: optionalText }),
  prefix: setting({
    default: './.kong',
    doc: 'Working directory: pid file, saved config, snapshots. Created 0700.',
    read: (raw, _name, cwd) => resolve(cwd, raw || './.kong'),
  }),
  headers: setting({
    default: 'server_tokens, latency_tokens, x-kong-request-id',
    doc: 'Response headers the node adds (tokens such as server_tokens, or header names).',
    read: (raw) => list(raw).map((s) => s.toLowerCase()),
  }),
  real_ip_header: setting({ default: 'X-Real-IP', doc: 'Header that carries the client address from a trusted proxy, or `proxy_protocol` (the PROXY header\'s source).', read: text }),
  cluster_control_plane: setting({
    default: '127.0.0.1:8005',
    doc: 'host:port of the control plane a data plane connects to.',
    read: (raw) => {
      const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(raw ?? '')
      return m && Number(m[2]) >= 1 && Number(m[2]) <= 65535 ? (raw as string) : new Problem(`cluster_control_plane must be host:port (an IPv6 address in brackets), got '${raw}'`)
    },
  }),
  cluster_cert: setting({ doc: 'Certificate for cluster mTLS (a path, PEM text or base64 of PEM); required when role is data_plane or control_plane.', read: optionalText }),
  cluster_cert_key: setting({ doc: 'Private key of cluster_cert (a path, PEM text or base64 of PEM).', sensitive: true, read: optionalText }),
  cluster_ca_cert: setting({ doc: 'CA certificate (a path, PEM text or base64 of PEM) that signs the other side\'s cluster certificate; required on a control plane with cluster_mtls = pki.', read: optionalText }),
  cluster_server_name: setting({ doc: 'The name a data plane expects in the control plane\'s certificate and sends as SNI with cluster_mtls = pki (default: the host of cluster_control_plane).', read: optionalText }),
  cluster_max_payload: setting({
    default: '16777216',
    doc: 'Largest compressed config frame between control plane and data plane, in bytes (at least 4194304).',
    read: (raw) => (/^\d+$/.test(raw ?? '') && Number(raw) >= 4194304 ? Number(raw) : new Problem('cluster_max_payload must be 4194304 (4MB) or greater')),
  }),
  cluster_dp_labels: setting({
    default: '',
    doc: 'A data plane\'s labels, `key:value` pairs separated by commas, sent to the control plane.',
    read: (raw) => {
      const labels: Record<string, string> = {}
      for (const item of list(raw)) {
        const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,62}):([A-Za-z0-9][A-Za-z0-9 ._:-]{0,62})$/.exec(item)
        if (!m) return new Problem(`cluster_dp_labels: invalid label '${item}' (key:value, letters, digits, '.', '_' and '-')`)
        labels[m[1]] = m[2]
      }
      return labels
    },
  }),
  cluster_verify_config_hash: setting({
    default: 'on',
    doc: 'Whether a data plane refuses a pushed config whose config_hash describes neither its content nor Kong\'s hybrid hash of it (off: taken as sent, with a warning, as from a Kong control plane newer than 3.10 that adapts the config to this node).',
    read: flag('cluster_verify_config_hash'),
  }),
  cluster_data_plane_purge_delay: setting({
    default: '1209600',
    doc: 'Seconds a control plane keeps listing a data plane it no longer hears from (at least 60).',
    read: (raw) => (/^\d+$/.test(raw ?? '') && Number(raw) >= 60 ? Number(raw) : new Problem('cluster_data_plane_purge_delay must be 60 or greater')),
  }),
  node_id: setting({ doc: 'A fixed node id (Kong deprecated it); otherwise one is kept in the prefix.', read: optionalText }),
  router_flavor: setting({
    default: 'traditional_compatible',
    doc: 'How routes match: `traditional_compatible` (Kong\'s default) or `traditional`, served alike; `expressions` is not supported yet.',
    read: (raw) => {
      if (raw === 'traditional_compatible' || raw === 'traditional') return raw
      if (raw === 'expressions') return new Problem('router_flavor = expressions is not supported yet (use traditional_compatible or traditional)')
      return new Problem(`router_flavor has an invalid value: '${raw ?? ''}' (traditional, traditional_compatible, expressions)`)
    },
  }),
  upstream_keepalive_pool_size: setting({ default: '512', doc: 'Idle connections kept per upstream pool; 0 disables keep-alive.', read: count('upstream_keepalive_pool_size') }),
  upstream_keepalive_max_requests: setting({ default: '10000', doc: 'Requests sent over one upstream connection before it is closed; 0 is no limit.', read: count('upstream_keepalive_max_requests') }),
  upstream_keepalive_idle_timeout: setting({ default: '60', doc: 'Seconds an idle upstream connection is kept; 0 is as long as the upstream allows.', read: count('upstream_keepalive_idle_timeout') }),
  proxy_access_log: setting({
    default: 'logs/access.log',
    doc: 'Where the proxy writes one JSON line per request (relative to the prefix), or `off`.',
    read: (raw) => (raw === undefined || raw === '' || raw === 'off' ? undefined : raw),
  }),
  headers_upstream: setting({ default: 'x-kong-request-id', doc: 'Headers the node adds towards the upstream: `X-Kong-Request-Id` or `off`.', read: (raw) => list(raw).map((s) => s.toLowerCase()) }),
  real_ip_recursive: setting({ default: 'off', doc: 'With a trusted peer, take the last untrusted address of real_ip_header (nginx realip).', read: flag('real_ip_recursive') }),
  error_default_type: setting({
    default: 'text/plain',
    doc: 'Media type of error bodies when neither Accept nor Content-Type chooses one.',
    read: oneOf(['text/plain', 'text/html', 'application/json', 'application/xml'], (raw) => `error_default_type must be one of: text/plain, text/html, application/json, application/xml, got '${raw}'`),
  }),
  allow_debug_header: setting({ default: 'off', doc: 'Answer a request carrying `Kong-Debug` with the matched route and service.', read: flag('allow_debug_header') }),
  nginx_http_client_max_body_size: setting({ default: '0', doc: 'Largest request body the proxy takes (413 beyond); 0 is no limit.', read: size('nginx_http_client_max_body_size') }),
  nginx_http_client_body_buffer_size: setting({ default: '8k', doc: 'Request bodies up to this size are buffered, so a failed try can be sent again.', read: size('nginx_http_client_body_buffer_size') }),
  nginx_http_large_client_header_buffers: setting({
    default: '4 8k',
    doc: 'Bound of a request line (414 beyond) and of one header (400 beyond), and count of such buffers.',
    read: (raw) => {
      const m = /^\s*(\d+)\s+(\S+)\s*$/.exec(raw ?? '')
      const bytes = m ? parseSize(m[2] ?? '') : undefined
      return m && bytes !== undefined && Number(m[1]) > 0 && bytes > 0
        ? { count: Number(m[1]), size: bytes }
        : new Problem(`nginx_http_large_client_header_buffers must be a count and a size such as '4 8k', got '${raw}'`)
    },
  }),
  ssl_cert: setting({
    doc: 'Certificates of the proxy\'s `ssl` listeners: comma-separated paths, PEM texts or base64 PEMs; none: a self-signed RSA and ECDSA pair in the prefix.',
    read: list,
  }),
  ssl_cert_key: setting({ doc: 'Private keys of `ssl_cert`, in the same order.', sensitive: true, read: list }),
  admin_ssl_cert: setting({ doc: 'Certificates of the admin API\'s `ssl` listeners, as `ssl_cert`.', read: list }),
  admin_ssl_cert_key: setting({ doc: 'Private keys of `admin_ssl_cert`, in the same order.', sensitive: true, read: list }),
  status_ssl_cert: setting({ doc: 'Certificates of the status API\'s `ssl` listeners, as `ssl_cert`.', read: list }),
  status_ssl_cert_key: setting({ doc: 'Private keys of `status_ssl_cert`, in the same order.', sensitive: true, read: list }),
  ssl_cipher_suite: setting({
    default: 'intermediate',
    doc: 'Ciphers, protocols and cipher order of every TLS listener: `modern`, `intermediate`, `old`, `fips` (Mozilla\'s and Kong\'s lists) or `custom`.',
    read: oneOf(CIPHER_SUITE_NAMES, (raw) => `Undefined cipher suite ${raw}`),
  }),
  ssl_ciphers: setting({ doc: 'OpenSSL cipher list served when `ssl_cipher_suite = custom`.', read: optionalText }),
  ssl_protocols: setting({
    default: 'TLSv1.2 TLSv1.3',
    doc: 'Protocols served when `ssl_cipher_suite = custom` (TLSv1, TLSv1.1, TLSv1.2, TLSv1.3); the other suites set their own.',
    read: (raw) => {
      const protocols = parseProtocols(raw ?? '')
      return typeof protocols === 'string' ? new Problem(protocols) : protocols
    },
  }),
  ssl_prefer_server_ciphers: setting({
    default: 'on',
    doc: 'With `ssl_cipher_suite = custom`, the server\'s cipher order wins over the client\'s; the other suites set their own.',
    read: flag('ssl_prefer_server_ciphers'),
  }),
  ssl_session_tickets: setting({ default: 'on', doc: 'Resume TLS sessions from tickets the client keeps.', read: flag('ssl_session_tickets') }),
  ssl_session_timeout: setting({
    default: '1d',
    doc: 'How long a TLS session may be resumed, in nginx\'s time format (`1d`, `12h`, `600`).',
    read: (raw) => parseNginxSeconds(raw ?? '') ?? new Problem(`ssl_session_timeout must be a time such as 1d, 1h 30m or 600, got '${raw}'`),
  }),
  ssl_session_cache_size: setting({
    default: '10m',
    doc: 'Size of the TLS session cache (checked; Node resumes sessions by ticket, not from a shared cache).',
    read: size('ssl_session_cache_size'),
  }),
} as const

type Settings = typeof SETTINGS
type ValueOfSetting<S> = S extends Setting<infer T> ? Exclude<T, Problem> : never

/** The node's settings, validated: one value per declared setting. */
export type NodeConf = {
  readonly [K in keyof Settings]: ValueOfSetting<Settings[K]>
} & {
  /** Every setting as resolved, sensitive values masked, for `GET /`. */
  readonly public: Readonly<Record<string, unknown>>
}

const NAMES = Object.keys(SETTINGS) as (keyof Settings)[]
const KNOWN: ReadonlySet<string> = new Set(NAMES)

/** Invalid settings, each message naming the setting. */
export class ConfError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'))
    this.name = 'ConfError'
  }
}

/** Reads `key = value` lines; `#` starts a comment unless escaped as `\#`. */
export function parseConfFile(text: string, path: string): Record<string, string> {
  const out: Record<string, string> = {}
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/(^|[^\\])#.*$/, '$1').replace(/\\#/g, '#').trim()
    if (line === '') return
    const eq = line.indexOf('=')
    if (eq <= 0) throw new ConfError([`${path}:${i + 1}: expected 'name = value', got '${raw.trim()}'`])
    out[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim()
  })
  return out
}

/** Sources of settings, highest precedence first. */
export interface ConfSources {
  readonly env: Readonly<Record<string, string | undefined>>
  /** `-c` path, if given. */
  readonly confPath?: string
  readonly cwd: string
}

/** Resolves and validates settings from env, conf file and defaults. */
export function loadConf({ env, confPath, cwd }: ConfSources): NodeConf {
  const problems: string[] = []
  let file: Record<string, string> = {}
  if (confPath !== undefined) {
    try {
      file = parseConfFile(readFileSync(resolve(cwd, confPath), 'utf8'), confPath)
    } catch (err) {
      if (err instanceof ConfError) throw err
      throw new ConfError([`cannot read configuration file ${confPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`])
    }
    for (const key of Object.keys(file)) if (!KNOWN.has(key)) problems.push(`${confPath}: unknown setting '${key}'`)
  }
  const fromEnv = readEnvSettings(NAMES, env, cwd)
  problems.push(...fromEnv.problems)
  const raw: Record<string, string | undefined> = {}
  for (const name of NAMES) raw[name] = fromEnv.values[name] ?? file[name] ?? SETTINGS[name].default

  const values: Record<string, unknown> = {}
  for (const name of NAMES) {
    const value = (SETTINGS[name] as Setting<unknown>).read(raw[name], name, cwd)
    if (value instanceof Problem) problems.push(value.message)
    else values[name] = value
  }
  if (values.role === 'data_plane' && (values.proxy_listen as ListenSpec[] | undefined)?.length === 0) {
    problems.push('proxy_listen must be specified when role = "data_plane"')
  }
  // Kong's kong.conf.default states this rule without checking it; nginx would then never find a
  // PROXY header and silently keep every TCP peer as the client.
  const proxyListen = values.proxy_listen as ListenSpec[] | undefined
  if (values.real_ip_header === 'proxy_protocol' && proxyListen !== undefined && !proxyListen.some((l) => l.proxyProtocol)) {
    problems.push('real_ip_header = proxy_protocol: at least one of the proxy_listen entries must have the proxy_protocol flag enabled')
  }
  if (values.role === 'control_plane') {
    if ((values.admin_listen as ListenSpec[] | undefined)?.length === 0) problems.push('admin_listen must be specified when role = "control_plane"')
    if ((values.cluster_listen as ListenSpec[] | undefined)?.length === 0) problems.push('cluster_listen must be specified when role = "control_plane"')
    if (values.cluster_mtls === 'pki' && values.cluster_ca_cert === undefined) problems.push('cluster_ca_cert must be specified when cluster_mtls = "pki"')
    // A control plane proxies nothing (Kong renders no proxy listener for it).
    values.proxy_listen = []
  }
  // A data plane serves no admin API, whatever admin_listen says (as Kong does).
  if (values.role === 'data_plane') values.admin_listen = []
  checkTlsSettings(values, cwd, problems)
  checkClusterSettings(values, cwd, problems)
  if (problems.length > 0) throw new ConfError(problems)

  const publicView: Record<string, unknown> = {}
  for (const name of [...NAMES].sort()) {
    if (raw[name] === undefined) continue
    publicView[name] = SETTINGS[name].sensitive === true ? '******' : raw[name]
  }
  return Object.freeze({ ...values, public: publicView }) as NodeConf
}

/** Each setting's name, default and doc line, for the README and `kong.conf` templates. */
export function describeSettings(): { name: string; default: string | undefined; doc: string }[] {
  return NAMES.map((name) => ({ name, default: SETTINGS[name].default, doc: SETTINGS[name].doc }))
}
