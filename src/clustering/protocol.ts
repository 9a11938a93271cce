/**
 * Kong's hybrid-mode wire format, sync v1 (`/v1/outlet`): the data plane's first frame
 * (`basic_info`), the control plane's gzip-compressed `reconfigure` frames, and the pings that
 * carry the data plane's configuration hash. Pure: both roles and the loader thread use it.
 */
import { gunzipSync, gzip } from 'node:zlib'
import { promisify } from 'node:util'
import type { RawData } from 'ws'
import { isConfigHash, type ConfigHashes } from '../declarative/hash.js'
import { isRecord } from '../util/json.js'

/** Where a data plane connects. */
export const OUTLET_PATH = '/v1/outlet'
/** A data plane pings this often, and at once after applying a config (Kong's CLUSTERING_PING_INTERVAL). */
export const PING_INTERVAL_MS = 30_000
/** Either side gives up on a silent peer after this long (1.5 x the ping interval). */
export const PING_WAIT_MS = 45_000
/** Connect and handshake timeout (Kong's CLUSTERING_TIMEOUT). */
export const CLUSTERING_TIMEOUT_MS = 5_000
/** The server name a data plane sends, and expects in the certificate, with cluster_mtls = shared. */
export const SHARED_SERVER_NAME = 'kong_clustering'
/** A frame's bytes, whatever `ws` delivered them as. */
export function frameBytes(data: RawData): Buffer {
  return Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
}

/** A plugin as basic_info lists it. */
export interface PluginVersion {
  readonly name: string
  readonly version: string
}

/** The data plane's first frame. */
export interface BasicInfo {
  readonly type: 'basic_info'
  /** Every plugin the data plane runs, sorted by lower-cased name. */
  readonly plugins: readonly PluginVersion[]
  readonly process_conf?: Readonly<Record<string, unknown>>
  readonly filters?: Readonly<Record<string, unknown>>
  readonly labels?: Readonly<Record<string, string>>
}

/** The query string of the outlet URL; Kong does not encode the values, we do (a hostname may hold anything). */
export function outletQuery(nodeId: string, hostname: string, version: string): string {
  return `node_id=${encodeURIComponent(nodeId)}&node_hostname=${encodeURIComponent(hostname)}&node_version=${encodeURIComponent(version)}`
}

/** basic_info as the binary frame a data plane sends (uncompressed JSON). */
export function encodeBasicInfo(info: Omit<BasicInfo, 'type'>): Buffer {
  const plugins = [...info.plugins].sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0))
  return Buffer.from(JSON.stringify({ type: 'basic_info', plugins, process_conf: info.process_conf ?? {}, filters: info.filters ?? {}, ...(info.labels && Object.keys(info.labels).length > 0 ? { labels: info.labels } : {}) }))
}

/** A data plane's first frame read as a control plane reads it; a string is Kong's log message for why it is refused. */
export function decodeBasicInfo(data: Buffer): BasicInfo | string {
  let value: unknown
  try {
    value = JSON.parse(data.toString('utf8'))
  } catch (err) {
    return `failed to decode websocket basic info data: ${(err as Error).message}`
  }
  if (!isRecord(value)) return 'failed to decode websocket basic info data'
  if (value.type !== 'basic_info') return `invalid basic info data type: ${typeof value.type === 'string' ? value.type : 'unknown'}`
  if (!Array.isArray(value.plugins)) return 'missing plugins in basic info data'
  const plugins: PluginVersion[] = []
  for (const p of value.plugins) {
    if (isRecord(p) && typeof p.name === 'string') plugins.push({ name: p.name, version: typeof p.version === 'string' ? p.version : '' })
  }
  const labels = isRecord(value.labels) ? (Object.fromEntries(Object.entries(value.labels).filter(([, v]) => typeof v === 'string')) as Record<string, string>) : undefined
  return { type: 'basic_info', plugins, ...(isRecord(value.process_conf) ? { process_conf: value.process_conf } : {}), ...(isRecord(value.filters) ? { filters: value.filters } : {}), ...(labels ? { labels } : {}) }
}

/** The group hashes a reconfigure frame carries: ours without `rest`, which Kong's protocol does not name. */
export type WireHashes = Omit<ConfigHashes, 'rest'>

/** A control plane's config push. */
export interface Reconfigure {
  readonly type: 'reconfigure'
  /** Seconds since the epoch, with a fraction. */
  readonly timestamp: number
  readonly config_table: Readonly<Record<string, unknown>>
  readonly config_hash?: string
  readonly hashes?: Partial<WireHashes>
}

const gzipAsync = promisify(gzip)

/** A reconfigure frame: gzip (RFC 1952) of its JSON, compressed on libuv's thread pool. */
export async function encodeReconfigure(frame: Omit<Reconfigure, 'type'>): Promise<Buffer> {
  return gzipAsync(Buffer.from(JSON.stringify({ type: 'reconfigure', ...frame })))
}

/** What a frame from the control plane turned out to be. */
export type DecodedFrame =
  | { readonly kind: 'reconfigure'; readonly frame: Reconfigure }
  /** A well-formed message of another type: ignored, as Kong's data plane does. */
  | { readonly kind: 'other'; readonly type: string }
  /** Not a message: why, for the log and /status/config. */
  | { readonly kind: 'bad'; readonly message: string }

/**
 * Inflates and reads a frame from the control plane, never inflating more than `maxBytes`
 * (a decompression bomb stops there). Hashes are checked for form, not against the content.
 */
export function decodeFrame(compressed: Uint8Array, maxBytes: number): DecodedFrame {
  let text: string
  try {
    text = gunzipSync(compressed, { maxOutputLength: maxBytes }).toString('utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ERR_BUFFER_TOO_LARGE' || (err instanceof RangeError && /maxOutputLength|too large|Cannot create a Buffer/i.test(err.message))) {
      return { kind: 'bad', message: `the frame inflates to more than ${maxBytes} bytes` }
    }
    return { kind: 'bad', message: `the frame is not gzip data: ${(err as Error).message}` }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    return { kind: 'bad', message: `the frame is not valid JSON: ${(err as Error).message}` }
  }
  if (!isRecord(value)) return { kind: 'bad', message: 'the frame is not a JSON object' }
  if (value.type !== 'reconfigure') return { kind: 'other', type: typeof value.type === 'string' ? value.type : String(value.type) }
  if (!isRecord(value.config_table)) return { kind: 'bad', message: 'the reconfigure frame has no config_table object' }
  if (value.config_hash !== undefined && value.config_hash !== null && !isConfigHash(value.config_hash)) {
    return { kind: 'bad', message: `the reconfigure frame's config_hash is not 32 hex characters: ${JSON.stringify(value.config_hash).slice(0, 80)}` }
  }
  const hashes: Record<string, string> = {}
  if (isRecord(value.hashes)) for (const [k, v] of Object.entries(value.hashes)) if (isConfigHash(v)) hashes[k] = v
  return {
    kind: 'reconfigure',
    frame: {
      type: 'reconfigure',
      timestamp: typeof value.timestamp === 'number' ? value.timestamp : 0,
      config_table: value.config_table,
      ...(isConfigHash(value.config_hash) ? { config_hash: value.config_hash } : {}),
      hashes,
    },
  }
}
