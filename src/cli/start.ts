/**
 * `start`: loads `declarative_config` and serves the proxy and status listeners in one process.
 * The proxy answers Kong's no-route 404 until routing exists; the status listener reports the
 * configuration hash and readiness. An invalid config never stops the node: it runs with the
 * all-zeros hash, is not ready, and logs every error with where it is.
 */
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { DeclarativeConfigError } from '../declarative/errors.js'
import { EMPTY_CONFIG_HASH } from '../declarative/hash.js'
import { loadDeclarative } from '../declarative/load.js'
import { ConfigParseError, decodeText, formatOfFile } from '../declarative/parse.js'
import { countEntities, type Snapshot } from '../declarative/snapshot.js'
import { bundledPluginSchema } from '../plugins/schemas.js'
import { PRODUCT, VERSION } from '../version.js'
import type { CliIo } from './io.js'

/** `ADDR:PORT` from the first entry of a Kong listen value (flags ignored); undefined for `off`. */
export function firstListen(value: string): { host: string; port: number } | undefined {
  const first = value.split(',')[0]?.trim().split(/\s+/)[0] ?? ''
  if (first === '' || first === 'off') return undefined
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(first)
  if (!m) throw new Error(`must be of form: [off] | <ip>:<port> [ssl] [http2] [reuseport] [backlog=%d+]; got '${first}'`)
  return { host: m[1] as string, port: Number(m[2]) }
}

function log(io: CliIo, level: 'info' | 'error', msg: string, extra: Record<string, unknown> = {}): void {
  const line = `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...extra })}\n`
  ;(level === 'error' ? io.stderr : io.stdout).write(line)
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), Server: `${PRODUCT}/${VERSION}` })
  res.end(text)
}

/** Runs the node until SIGTERM or SIGINT; resolves to the exit status. */
export async function startCommand(env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const file = env.KONG_DECLARATIVE_CONFIG
  let live: Snapshot | undefined
  let lastError: string | undefined

  const load = async (): Promise<void> => {
    if (file === undefined || file === '') return
    try {
      const text = decodeText(readFileSync(resolve(io.cwd, file)), file)
      const snapshot = await loadDeclarative(text, { source: file, format: formatOfFile(file), pluginSchemas: bundledPluginSchema })
      live = snapshot
      lastError = undefined
      log(io, 'info', 'configuration loaded', { source: file, configuration_hash: snapshot.hash, entities: countEntities(snapshot) })
    } catch (err) {
      if (err instanceof DeclarativeConfigError) {
        lastError = `declarative config ${file} is invalid`
        log(io, 'error', lastError, { errors: err.located() })
      } else if (err instanceof ConfigParseError) {
        lastError = err.message
        log(io, 'error', 'cannot read declarative config', { source: err.location, error: err.message })
      } else {
        lastError = (err as Error).message
        log(io, 'error', 'cannot load declarative config', { source: file, error: lastError })
      }
    }
  }
  await load()

  const proxy = (_req: IncomingMessage, res: ServerResponse): void => json(res, 404, { message: 'no Route matched with those values' })
  const status = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0]?.replace(/\/$/, '') ?? ''
    if (path === '/status' && req.method === 'GET') {
      return json(res, 200, { database: { reachable: true }, configuration_hash: live?.hash ?? EMPTY_CONFIG_HASH })
    }
    if (path === '/status/ready' && req.method === 'GET') {
      if (live) return json(res, 200, { message: 'ready' })
      return json(res, 503, { message: lastError ?? 'no configuration available (configuration hash is not initialized)' })
    }
    return json(res, 404, { message: 'Not found' })
  }

  const servers: Server[] = []
  const listen = async (name: string, value: string, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<void> => {
    const where = firstListen(value)
    if (!where) return
    const server = createServer(handler)
    await new Promise<void>((ok, fail) => {
      server.once('error', fail)
      server.listen(where.port, where.host, ok)
    })
    servers.push(server)
    const address = server.address() as AddressInfo
    log(io, 'info', `${name} listening`, { listener: name, address: address.address, port: address.port })
  }
  try {
    await listen('proxy', env.KONG_PROXY_LISTEN ?? '0.0.0.0:8000', proxy)
    await listen('status', env.KONG_STATUS_LISTEN ?? '127.0.0.1:8007', status)
  } catch (err) {
    log(io, 'error', 'cannot listen', { error: (err as Error).message })
    for (const s of servers) s.close()
    return 1
  }

  return new Promise((done) => {
    const stop = (signal: string): void => {
      log(io, 'info', 'stopping', { signal })
      let open = servers.length
      if (open === 0) done(0)
      for (const s of servers) {
        s.close(() => {
          open -= 1
          if (open === 0) done(0)
        })
        s.closeIdleConnections()
      }
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
    process.on('SIGHUP', () => {
      log(io, 'info', 'reloading', { source: file })
      void load()
    })
  })
}
