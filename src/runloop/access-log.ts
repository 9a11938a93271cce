/**
 * The proxy's access log: one JSON line per request, written asynchronously to
 * `proxy_access_log` (relative paths under the prefix; `/dev/stdout` works as in Kong's image).
 * A line that cannot be written is dropped and counted: a full disk never fails a request.
 */
import { isAbsolute, join } from 'node:path'
import { pino } from 'pino'

/** What one access log line says about a request. */
export interface AccessEntry {
  readonly method: string
  /** The request target as received (path and query). */
  readonly path: string
  readonly status: number
  readonly client_ip: string
  readonly request_id: string
  readonly route_id: string | undefined
  readonly service_id: string | undefined
  /** Kong's latencies in ms: whole request, time in the node before the upstream, upstream. */
  readonly latencies: { readonly request: number; readonly kong: number; readonly proxy: number | undefined }
  /** Upstream address of the last try, `ip:port`. */
  readonly upstream: string | undefined
  readonly tries: number
}

/** Where entries go; `write` never throws. */
export interface AccessLog {
  write(entry: AccessEntry): void
  /** Lines dropped because they could not be written. */
  readonly dropped: number
  /** Why the log cannot be written, once that is known (it could not be opened, or a write failed). */
  readonly problem: string | undefined
  /** Writes out what is buffered and closes the file. */
  close(): Promise<void>
}

// One line per request is on the hot path: the line is written out by hand (only the path and
// the client address can need escaping), and the time stamp is formatted once per millisecond.
let stampMs = 0
let stamp = ''
function timeStamp(): string {
  const now = Date.now()
  if (now !== stampMs) {
    stampMs = now
    stamp = new Date(now).toISOString()
  }
  return stamp
}

const quoted = (value: string | undefined): string => (value === undefined ? 'null' : JSON.stringify(value))

/** The JSON line of an entry; absent ids and latencies are left out. */
export function line(e: AccessEntry): string {
  const l = e.latencies
  return (
    `{"time":"${timeStamp()}","method":${JSON.stringify(e.method)},"path":${JSON.stringify(e.path)},"status":${e.status},` +
    `"client_ip":${quoted(e.client_ip)},"request_id":"${e.request_id}"` +
    (e.route_id === undefined ? '' : `,"route_id":"${e.route_id}"`) +
    (e.service_id === undefined ? '' : `,"service_id":"${e.service_id}"`) +
    `,"latencies":{"request":${l.request},"kong":${l.kong}${l.proxy === undefined ? '' : `,"proxy":${l.proxy}`}}` +
    (e.upstream === undefined ? '' : `,"upstream":${JSON.stringify(e.upstream)}`) +
    `,"tries":${e.tries}}\n`
  )
}

const OFF: AccessLog = { write: () => undefined, dropped: 0, problem: undefined, close: () => Promise.resolve() }

/** Opens the access log at `setting` (undefined when `off`); resolves once the file is open or known not to open. */
export async function openAccessLog(setting: string | undefined, prefix: string): Promise<AccessLog> {
  if (setting === undefined) return OFF
  const dest = isAbsolute(setting) ? setting : join(prefix, setting)
  const boom = pino.destination({ dest, sync: false, mkdir: true })
  let dropped = 0
  let problem: string | undefined
  // sonic-boom stops writing after an error it cannot retry; later lines are counted as lost.
  boom.on('error', (err: Error) => (problem ??= `${dest}: ${err.message}`))
  await new Promise<void>((resolve) => {
    boom.once('ready', resolve)
    boom.once('error', () => resolve())
  })
  return {
    write(entry) {
      if (problem !== undefined) {
        dropped++
        return
      }
      try {
        boom.write(line(entry))
      } catch {
        dropped++
      }
    },
    get dropped() {
      return dropped
    },
    get problem() {
      return problem
    },
    close() {
      if (problem !== undefined) return Promise.resolve()
      return new Promise<void>((resolve) => {
        boom.once('close', () => resolve())
        boom.once('error', () => resolve())
        boom.end()
      })
    },
  }
}
