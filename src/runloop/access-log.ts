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
        boom.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`)
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
