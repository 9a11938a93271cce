/**
 * The primary process: owns the live snapshot, serves the admin and status listeners, supervises
 * the worker processes, and maps signals to stop, drain and reload. `runNode` resolves with the
 * exit status once the node has stopped.
 */
import { readFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { resolve } from 'node:path'
import { createAdminApp } from '../admin/app.js'
import type { NodeConf } from '../conf/settings.js'
import { ConfigParseError, decodeText, formatOfFile } from '../declarative/parse.js'
import { countEntities } from '../declarative/snapshot.js'
import { createStatusApp } from '../status/app.js'
import { PRODUCT, VERSION } from '../version.js'
import { WorkerPool } from '../workers/pool.js'
import { ConfigStore, type LoadOutcome } from './config-store.js'
import { ConnectionCounters } from './connection-counters.js'
import { listenAll } from './kong-http.js'
import { createLogger, type NodeLogger } from './logger.js'
import type { NodeState } from './node-state.js'
import { claimPrefix, nodeId, releasePrefix } from './prefix.js'
import { createSharedDicts } from './shared-dict.js'

/** How long in-flight requests may take to finish when stopping. */
const STOP_GRACE_MS = 10_000
const DRAIN_GRACE_MS = 30_000

function report(log: NodeLogger, outcome: LoadOutcome, source: string): void {
  if (outcome.ok) {
    const s = outcome.live.snapshot
    log.notice({ source, configuration_hash: s.hash, entities: countEntities(s) }, 'configuration loaded')
  } else if ('busy' in outcome) {
    log.warn({ source }, 'a configuration is already loading; try again')
  } else {
    const err = outcome.error
    const errors = err instanceof ConfigParseError ? [{ source: err.location, message: err.message }] : err.located()
    log.error({ source, errors }, `configuration from ${source} rejected; the node keeps its current configuration`)
  }
}

/** Reads and loads `declarative_config`, logging what happened. */
async function loadFile(store: ConfigStore, log: NodeLogger, path: string, cwd: string): Promise<void> {
  let text: string
  let format
  try {
    format = formatOfFile(path)
    text = decodeText(readFileSync(resolve(cwd, path)), path)
  } catch (err) {
    const message = err instanceof ConfigParseError ? err.message : `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`
    store.reject(path, message)
    log.error({ source: path, error: message }, 'declarative config could not be read; the node keeps its current configuration')
    return
  }
  report(log, await store.loadText(text, path, format), path)
}

/** Starts the node with `conf`; resolves to the exit status once it has stopped. */
export async function runNode(conf: NodeConf, opts: { cwd: string; confPath?: string }): Promise<number> {
  const log = createLogger(conf.log_level, 'primary')
  try {
    claimPrefix(conf.prefix, conf.public)
  } catch (err) {
    log.error({ prefix: conf.prefix }, (err as Error).message)
    return 1
  }
  const dicts = createSharedDicts(conf.mem_cache_size)
  let pool: WorkerPool | undefined
  const store = new ConfigStore(conf.prefix, dicts, (live) => pool?.broadcast(live))

  if (conf.declarative_config_string !== undefined) {
    report(log, await store.loadText(conf.declarative_config_string, 'declarative_config_string', 'auto'), 'declarative_config_string')
  } else if (conf.declarative_config !== undefined) {
    await loadFile(store, log, conf.declarative_config, opts.cwd)
  } else {
    const restored = await store.restore()
    if (restored) {
      log.notice('found persisted config in the prefix, loading...')
      report(log, restored, 'prefix')
    }
  }

  pool = new WorkerPool(conf.nginx_worker_processes, log, () => store.live, {
    ...(opts.confPath ? { KONG_DBLESS_CONF_PATH: resolve(opts.cwd, opts.confPath) } : {}),
  })
  const counters = new ConnectionCounters()
  const state: NodeState = { conf, store, pool, dicts, counters, log, nodeId: nodeId(conf.prefix), draining: false }
  const servers: Server[] = []
  try {
    await pool.start()
    servers.push(...(await listenAll(createAdminApp(state), conf.admin_listen, counters, log, 'admin')))
    servers.push(...(await listenAll(createStatusApp(state), conf.status_listen, counters, log, 'status')))
  } catch (err) {
    log.error({ error: (err as Error).message }, 'could not start')
    await pool.stop(false, 2000)
    for (const s of servers) s.close()
    releasePrefix(conf.prefix)
    return 1
  }
  const addresses = servers.map((s) => s.address())
  log.notice(
    {
      version: VERSION,
      workers: pool.pids(),
      proxy_listen: conf.proxy_listen.map((l) => l.text),
      listening: addresses,
      configuration_hash: store.live?.snapshot.hash ?? null,
    },
    `${PRODUCT} started`,
  )

  return new Promise((done) => {
    let stopping = false
    const stop = async (signal: string, grace: number): Promise<void> => {
      if (stopping) return
      stopping = true
      log.notice({ signal }, 'stopping: no new connections, finishing in-flight requests')
      for (const s of servers) {
        s.close()
        s.closeIdleConnections()
      }
      await pool?.stop(true, grace)
      for (const s of servers) s.closeAllConnections()
      releasePrefix(conf.prefix)
      log.notice('stopped')
      done(0)
    }
    process.once('SIGTERM', () => void stop('SIGTERM', STOP_GRACE_MS))
    process.once('SIGINT', () => void stop('SIGINT', STOP_GRACE_MS))
    process.once('SIGQUIT', () => {
      state.draining = true
      void stop('SIGQUIT', DRAIN_GRACE_MS)
    })
    process.on('SIGHUP', () => {
      if (conf.declarative_config === undefined) {
        log.warn('SIGHUP: no declarative_config file to reload')
        return
      }
      log.notice({ source: conf.declarative_config }, 'SIGHUP: reloading declarative_config')
      void loadFile(store, log, conf.declarative_config, opts.cwd)
    })
  })
}
