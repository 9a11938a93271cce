/**
 * Static settings: Kong's names, read as `KONG_<NAME>` env (or `KONG_<NAME>_FILE`) over a
 * `kong.conf` file over defaults, checked once and frozen. Every problem is listed, not just
 * the first.
 */
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { LOG_LEVELS, type LogLevel } from '../log.js'
import { parseListen, type ListenSpec } from './listen.js'

/** The node's settings, validated. */
export interface NodeConf {
  /** Always "off": this node has no database. */
  readonly database: 'off'
  /** Path of the declarative config loaded at start and on SIGHUP. */
  readonly declarative_config?: string
  /** The declarative config itself, inline. */
  readonly declarative_config_string?: string
  readonly proxy_listen: readonly ListenSpec[]
  readonly admin_listen: readonly ListenSpec[]
  readonly status_listen: readonly ListenSpec[]
  /** Worker processes serving the proxy; `auto` resolves to the CPU count. */
  readonly nginx_worker_processes: number
  /** Working directory: pid file, last good config, sockets. Absolute. */
  readonly prefix: string
  readonly log_level: LogLevel
  /** Capacity of the entity cache (kong_db_cache), in bytes. */
  readonly mem_cache_size: number
  readonly role: 'traditional' | 'data_plane' | 'control_plane'
  readonly cluster_control_plane: string
  readonly cluster_listen: readonly ListenSpec[]
  readonly cluster_cert?: string
  readonly cluster_cert_key?: string
  readonly cluster_mtls: 'shared' | 'pki'
  /** Response headers the node adds (lower-cased names, or tokens such as server_tokens). */
  readonly headers: readonly string[]
  readonly trusted_ips: readonly string[]
  readonly real_ip_header: string
  /** Every setting as resolved, sensitive values masked, for `GET /`. */
  readonly public: Readonly<Record<string, unknown>>
}


/** Kong's defaults for the settings this node reads (listeners as DESIGN.md sets them). */
export const DEFAULTS: Readonly<Record<string, string>> = {
  database: 'off',
  proxy_listen: '0.0.0.0:8000',
  admin_listen: '127.0.0.1:8001',
  status_listen: '127.0.0.1:8007',
  nginx_worker_processes: 'auto',
  prefix: './.kong',
  log_level: 'notice',
  mem_cache_size: '128m',
  role: 'traditional',
  cluster_control_plane: '127.0.0.1:8005',
  cluster_listen: '0.0.0.0:8005',
  cluster_mtls: 'shared',
  headers: 'server_tokens, latency_tokens, x-kong-request-id',
  trusted_ips: '',
  real_ip_header: 'X-Real-IP',
}

const KNOWN = new Set([...Object.keys(DEFAULTS), 'declarative_config', 'declarative_config_string', 'cluster_cert', 'cluster_cert_key', 'node_id'])
const SENSITIVE = new Set(['declarative_config_string', 'cluster_cert_key'])

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

/** Parses a size such as `128m`, `512k` or `1048576` into bytes. */
export function parseSize(value: string): number | undefined {
  const m = /^(\d+)([kmg]?)$/i.exec(value.trim())
  if (!m) return undefined
  const unit = (m[2] ?? '').toLowerCase()
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1)
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
  const raw: Record<string, string> = { ...DEFAULTS }
  for (const [k, v] of Object.entries(file)) raw[k] = v
  for (const key of KNOWN) {
    const name = `KONG_${key.toUpperCase()}`
    const direct = env[name]
    const viaFile = env[`${name}_FILE`]
    if (direct !== undefined && viaFile !== undefined) {
      problems.push(`both ${name} and ${name}_FILE are set (but are exclusive)`)
      continue
    }
    if (direct !== undefined) raw[key] = direct
    else if (viaFile !== undefined) {
      try {
        raw[key] = readFileSync(resolve(cwd, viaFile), 'utf8').replace(/\r?\n$/, '')
      } catch (err) {
        problems.push(`${name}_FILE: cannot read ${viaFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
      }
    }
  }

  const listen = (key: string): ListenSpec[] => {
    try {
      return parseListen(key, raw[key] ?? '')
    } catch (err) {
      problems.push((err as Error).message)
      return []
    }
  }
  if (raw.database !== 'off') problems.push(`database = ${raw.database} is not supported: this node runs without a database (set database = off)`)
  const role = raw.role as NodeConf['role']
  if (!['traditional', 'data_plane', 'control_plane'].includes(role)) problems.push(`role has an invalid value: '${role}' (traditional, data_plane, control_plane)`)
  const logLevel = (raw.log_level ?? '').toLowerCase() as LogLevel
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`log_level must be one of: ${LOG_LEVELS.join(', ')}`)
  const memCache = parseSize(raw.mem_cache_size ?? '')
  if (memCache === undefined) problems.push(`mem_cache_size must be a size such as 128m or 512k, got '${raw.mem_cache_size}'`)
  const wp = raw.nginx_worker_processes ?? 'auto'
  const workers = wp === 'auto' ? availableParallelism() : /^\d+$/.test(wp) && Number(wp) > 0 ? Number(wp) : NaN
  if (Number.isNaN(workers)) problems.push(`nginx_worker_processes must be 'auto' or a positive number, got '${wp}'`)
  const mtls = raw.cluster_mtls as NodeConf['cluster_mtls']
  if (mtls !== 'shared' && mtls !== 'pki') problems.push(`cluster_mtls must be one of: shared, pki`)
  const proxy = listen('proxy_listen')
  const admin = listen('admin_listen')
  const status = listen('status_listen')
  const cluster = listen('cluster_listen')
  if (role === 'data_plane' && proxy.length === 0) problems.push('proxy_listen must be specified when role = "data_plane"')
  const trusted = (raw.trusted_ips ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const ip of trusted) {
    if (!/^(unix:|[0-9a-fA-F:.]+(\/\d{1,3})?)$/.test(ip)) {
      problems.push(`trusted_ips must be a comma separated list in the form of IPv4 or IPv6 address or CIDR block or 'unix:', got '${ip}'`)
    }
  }
  if (problems.length > 0) throw new ConfError(problems)

  const publicView: Record<string, unknown> = {}
  for (const key of [...KNOWN].sort()) {
    if (raw[key] === undefined) continue
    publicView[key] = SENSITIVE.has(key) ? '******' : raw[key]
  }
  const optional = (key: string): string | undefined => (raw[key] === undefined || raw[key] === '' ? undefined : raw[key])
  const conf: NodeConf = {
    database: 'off',
    ...(optional('declarative_config') ? { declarative_config: optional('declarative_config') } : {}),
    ...(optional('declarative_config_string') ? { declarative_config_string: optional('declarative_config_string') } : {}),
    proxy_listen: proxy,
    admin_listen: role === 'data_plane' ? [] : admin,
    status_listen: status,
    nginx_worker_processes: workers,
    prefix: resolve(cwd, raw.prefix ?? './.kong'),
    log_level: logLevel,
    mem_cache_size: memCache as number,
    role,
    cluster_control_plane: raw.cluster_control_plane as string,
    cluster_listen: cluster,
    ...(optional('cluster_cert') ? { cluster_cert: optional('cluster_cert') } : {}),
    ...(optional('cluster_cert_key') ? { cluster_cert_key: optional('cluster_cert_key') } : {}),
    cluster_mtls: mtls,
    headers: (raw.headers ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== ''),
    trusted_ips: trusted,
    real_ip_header: raw.real_ip_header as string,
    public: publicView,
  }
  return Object.freeze(conf)
}
