/**
 * The proxy's access log: one JSON line per request, written asynchronously to
 * `proxy_access_log` (relative paths under the prefix; `/dev/stdout` works as in Kong's image).
 * A line that cannot be written is dropped and counted: a full disk never fails a request.
 */
import { closeSync, openSync, write, writeSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname, isAbsolute, join } from 'node:path'

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

// Request targets and addresses rarely hold anything JSON must escape: look first, stringify only then.
function needsEscape(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return true
  }
  return false
}
const json = (value: string): string => (needsEscape(value) ? JSON.stringify(value) : `"${value}"`)
const quoted = (value: string | undefined): string => (value === undefined ? 'null' : json(value))

/** The JSON line of an entry; absent ids and latencies are left out. */
export function line(e: AccessEntry): string {
  const l = e.latencies
  return (
    `{"time":"${timeStamp()}","method":${json(e.method)},"path":${json(e.path)},"status":${e.status},` +
    `"client_ip":${quoted(e.client_ip)},"request_id":"${e.request_id}"` +
    (e.route_id === undefined ? '' : `,"route_id":"${e.route_id}"`) +
    (e.service_id === undefined ? '' : `,"service_id":"${e.service_id}"`) +
    `,"latencies":{"request":${l.request},"kong":${l.kong}${l.proxy === undefined ? '' : `,"proxy":${l.proxy}`}}` +
    (e.upstream === undefined ? '' : `,"upstream":${json(e.upstream)}`) +
    `,"tries":${e.tries}}\n`
  )
}

const OFF: AccessLog = { write: () => undefined, dropped: 0, problem: undefined, close: () => Promise.resolve() }

/** Lines are written once this much text is waiting, or every FLUSH_MS when traffic is light. */
const WRITE_AT = 64 * 1024
const FLUSH_MS = 1000
/** Text kept waiting at most while the disk is slow; lines beyond it are dropped and counted. */
const MAX_PENDING = 8 * 1024 * 1024

/**
 * Opens the access log at `setting` (undefined when `off`); resolves once the file is open or
 * known not to open. Lines are gathered into one string and appended with a single write at a
 * time: a logging library's per-line bookkeeping cost several times the write itself here.
 */
export async function openAccessLog(setting: string | undefined, prefix: string): Promise<AccessLog> {
  if (setting === undefined) return OFF
  const dest = isAbsolute(setting) ? setting : join(prefix, setting)
  let fd: number
  try {
    await mkdir(dirname(dest), { recursive: true })
    // A plain descriptor: a FileHandle would be closed when it is collected.
    fd = openSync(dest, 'a', 0o640)
  } catch (err) {
    return broken(`${dest}: ${(err as Error).message}`)
  }
  let pending = ''
  let writing = false
  let dropped = 0
  let problem: string | undefined
  let closed = false
  const flush = (): void => {
    if (writing || pending === '' || problem !== undefined) return
    const chunk = pending
    pending = ''
    writing = true
    write(fd, chunk, null, 'utf8', (err) => {
      writing = false
      if (err) {
        problem ??= `${dest}: ${err.message}`
        return
      }
      if (pending.length >= WRITE_AT) flush()
    })
  }
  const flusher = setInterval(flush, FLUSH_MS)
  flusher.unref()
  return {
    write(entry) {
      if (problem !== undefined || closed || pending.length > MAX_PENDING) {
        dropped++
        return
      }
      pending += line(entry)
      if (pending.length >= WRITE_AT) flush()
    },
    get dropped() {
      return dropped
    },
    get problem() {
      return problem
    },
    async close() {
      if (closed) return
      closed = true
      clearInterval(flusher)
      while (writing) await new Promise((resolve) => setImmediate(resolve))
      try {
        if (problem === undefined && pending !== '') writeSync(fd, pending)
      } catch {
        // What cannot be written now is lost; the process is going anyway.
      }
      pending = ''
      closeSync(fd)
    },
  }
}

function broken(problem: string): AccessLog {
  let dropped = 0
  return {
    write: () => void dropped++,
    get dropped() {
      return dropped
    },
    problem,
    close: () => Promise.resolve(),
  }
}
