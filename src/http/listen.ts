/** Serves a request handler on each configured listener, counting its connections. */
import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http'
import type { ListenSpec } from '../conf/listen.js'
import type { NodeLogger } from '../log.js'
import type { ConnectionCounters } from './connection-counters.js'

/** A listener that could not be bound, named as the setting names it. */
export class ListenError extends Error {
  constructor(
    readonly setting: string,
    readonly spec: ListenSpec,
    readonly code: string | undefined,
    reason: string,
  ) {
    super(`${setting} ${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}: ${reason}`)
    this.name = 'ListenError'
  }
}

const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available',
}

/** Why a bind failed, in words. */
export function bindFailure(setting: string, spec: ListenSpec, err: NodeJS.ErrnoException): ListenError {
  return new ListenError(setting, spec, err.code, (err.code && REASONS[err.code]) ?? err.message)
}

/** Listens on every non-TLS listener of `setting`; resolves to the bound servers, or rejects with a ListenError. */
export async function listenAll(
  handler: RequestListener,
  setting: string,
  specs: readonly ListenSpec[],
  counters: ConnectionCounters,
  log: NodeLogger,
  options: ServerOptions = {},
  /** The handler reports finished responses to `counters.responded` itself. */
  finishedByHandler = false,
): Promise<Server[]> {
  const servers: Server[] = []
  try {
    for (const spec of specs) {
      if (spec.ssl) {
        log.warn({ listener: spec.text }, `ssl entries of ${setting} are not served yet; skipping`)
        continue
      }
      const server = createServer({ keepAliveTimeout: 60_000, ...options }, handler)
      counters.track(server, finishedByHandler)
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) => reject(bindFailure(setting, spec, err)))
        server.listen({ host: spec.host, port: spec.port, ...(spec.backlog ? { backlog: spec.backlog } : {}) }, resolve)
      })
      servers.push(server)
    }
  } catch (err) {
    for (const s of servers) s.close()
    throw err
  }
  return servers
}
