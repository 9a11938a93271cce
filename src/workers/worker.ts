/**
 * A worker process: serves the proxy listeners with the snapshot the primary sends, counts its
 * connections, and answers the primary's stats requests. Signals are the primary's business:
 * a worker stops when told to, or when the primary goes away.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { loadConf } from '../conf/settings.js'
import { deepFreeze, type Snapshot } from '../declarative/snapshot.js'
import { ConnectionCounters } from '../server/connection-counters.js'
import { createLogger } from '../server/logger.js'
import { PRODUCT, VERSION } from '../version.js'
import { isToWorker, type FromWorker } from './messages.js'

function send(message: FromWorker): void {
  process.send?.(message)
}

/** Runs this process as a worker until the primary stops it. */
export async function runWorker(): Promise<void> {
  const conf = loadConf({ env: process.env, cwd: process.cwd(), ...(process.env.KONG_DBLESS_CONF_PATH ? { confPath: process.env.KONG_DBLESS_CONF_PATH } : {}) })
  const log = createLogger(conf.log_level, 'worker')
  const counters = new ConnectionCounters()
  let live: Snapshot | undefined

  const proxy = (_req: IncomingMessage, res: ServerResponse): void => {
    // Routing arrives with the proxy; until then every request is Kong's "no route" answer.
    const requestId = randomBytes(16).toString('hex')
    const body = `{\n  "message":"no Route matched with those values",\n  "request_id":"${requestId}"\n}`
    res.writeHead(404, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      Server: `${PRODUCT}/${VERSION}`,
      'X-Kong-Response-Latency': '0',
      'X-Kong-Request-Id': requestId,
    })
    res.end(body)
  }

  const servers: Server[] = []
  for (const spec of conf.proxy_listen) {
    if (spec.ssl) {
      log.warn({ listener: spec.text }, 'ssl proxy listeners are not served yet; skipping')
      continue
    }
    const server = createServer({ keepAliveTimeout: 60_000 }, proxy)
    counters.track(server)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host: spec.host, port: spec.port, ...(spec.backlog ? { backlog: spec.backlog } : {}) }, resolve)
    })
    servers.push(server)
  }

  const stop = (graceful: boolean): void => {
    let open = servers.length
    const done = (): void => process.exit(0)
    if (open === 0) done()
    for (const s of servers) {
      s.close(() => {
        if (--open === 0) done()
      })
      if (graceful) s.closeIdleConnections()
      else s.closeAllConnections()
    }
    setTimeout(done, 10_000).unref()
  }

  process.on('message', (message: unknown) => {
    if (!isToWorker(message)) return
    switch (message.type) {
      case 'config':
        live = deepFreeze(message.snapshot)
        log.debug({ configuration_hash: live.hash, version: message.version }, 'configuration applied')
        send({ type: 'applied', version: message.version, hash: live.hash })
        break
      case 'stats':
        send({ type: 'stats', id: message.id, heapUsed: process.memoryUsage().heapUsed, connections: counters.snapshot() })
        break
      case 'stop':
        stop(message.graceful)
        break
    }
  })
  // Terminal signals reach the whole process group; the primary decides what they mean.
  for (const signal of ['SIGINT', 'SIGHUP', 'SIGQUIT'] as const) process.on(signal, () => undefined)
  process.on('SIGTERM', () => stop(true))
  process.on('disconnect', () => stop(false))
  send({ type: 'listening' })
}
