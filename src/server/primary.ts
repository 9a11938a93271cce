/**
 * The composition root: the primary process. It checks that its listeners are free before it
 * writes anything, claims the prefix, loads the first config, serves the admin and status
 * listeners, supervises the worker processes, and maps signals to stop, drain and reload.
 * `runNode` resolves with the exit status once the node has stopped.
 */
import { existsSync } from 'node:fs'
import { hostname } from 'node:os'
import { createServer as createNetServer } from 'node:net'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createAdminApp } from '../admin/app.js'
import { ADMIN_BODY_LIMIT } from '../admin/config-routes.js'
import type { ListenSpec } from '../conf/listen.js'
import type { NodeConf } from '../conf/settings.js'
import { configPaths } from '../declarative/config-files.js'
import { countEntities } from '../declarative/snapshot.js'
import { answerApiClientErrors } from '../http/api-client-errors.js'
import { ConnectionCounters } from '../http/connection-counters.js'
import { bindFailure, ipv6Only, listenAll, ListenError, type Listener, type ListenerTls } from '../http/listen.js'
import { ConfigLoader } from '../loader/loader.js'
import { createLogger, type NodeLogger } from '../log.js'
import type { LoadOutcome, NodeState, Rejection } from '../node/state.js'
import { compileProxySettings } from '../runloop/proxy-settings.js'
import { createStatusApp } from '../status/app.js'
import { createSharedDicts } from '../stores/shared-dict.js'
import { KONG_COMPAT_VERSION, PRODUCT, VERSION } from '../version.js'
import { ensureDefaultCertificates, listenerCertificates, type ListenerKind } from '../tls/listener-certificates.js'
import { tlsServerOptions } from '../tls/tls-options.js'
import { WorkerPool } from '../workers/pool.js'
import { ConfigStore } from './config-store.js'
import { ControlPlane } from '../clustering/control-plane.js'
import { DataPlaneClient, type ApplyResult } from '../clustering/data-plane.js'
import { DEFAULT_LIMITS } from '../declarative/parse.js'
import { bundledPluginVersions } from '../plugins/registry.js'
import { cachePath, claimPrefix, nodeId, prefixHeldBy, releasePrefix } from '../node/prefix.js'

/** How long in-flight requests may take to finish on SIGTERM/SIGINT, in the primary and every worker. */
const STOP_GRACE_MS = 10_000
/** How long a SIGQUIT drain may take, in the primary and every worker. */
const DRAIN_GRACE_MS = 30_000

/** Every kind of listener: ensureDefaultCertificates makes defaults only for those with ssl entries and no certificate setting. */
const LISTENER_KINDS: readonly ListenerKind[] = ['proxy', 'admin', 'status']

const isListener = (b: Listener | Error): b is Listener => !(b instanceof Error)

/** Logs what a load ended in; `liveHash` is the hash live after it. */
function report(log: NodeLogger, outcome: LoadOutcome, source: string, liveHash: string | undefined): void {
  switch (outcome.kind) {
    case 'loaded':
      log.notice({ source, configuration_hash: outcome.live.snapshot.hash, entities: countEntities(outcome.live.snapshot) }, 'configuration loaded')
      break
    case 'invalid':
      log.error(
        { source, errors: outcome.rejection.errors, errors_total: outcome.rejection.errorsTotal },
        `configuration from ${source} rejected: ${firstProblem(outcome.rejection)}; ${liveHash !== undefined ? `the node keeps its current configuration (${liveHash})` : 'the node has no configuration'}`,
      )
      break
    case 'superseded':
      log.notice({ source }, 'a configuration accepted later is already live; this one was not applied')
      break
    case 'failed':
      break // the store logged why
    case 'busy':
    case 'unchanged':
      break
  }
}

/**
 * The first reason a config was rejected, on one line with its file and line (the rest are in
 * the log entry's `errors`): `cannot read kong.yml: ENOENT: no such file or directory`.
 */
function firstProblem(rejection: Rejection): string {
  const first = rejection.errors[0]
  if (first === undefined) return rejection.message
  const message = first.message.replace(/^failed parsing declarative configuration: /, '')
  const more = rejection.errorsTotal > 1 ? ` (and ${rejection.errorsTotal - 1} more)` : ''
  if (message.startsWith('cannot read ')) return message + more
  const where = `${first.source}${first.line === undefined ? '' : `:${first.line}:${first.column ?? 1}`}`
  return `${where}: ${first.path === '(document)' ? '' : `${first.path}: `}${message}${more}`
}

/** The largest config a control plane's frame may inflate to: the largest config text the node reads. */
const MAX_INFLATED_BYTES = DEFAULT_LIMITS.maxBytes

/** A data plane's link to its control plane, loading each frame through the store as a file is loaded. */
function createDataPlane(conf: NodeConf, log: NodeLogger, id: string, store: ConfigStore): DataPlaneClient {
  const source = `control plane ${conf.cluster_control_plane}`
  return new DataPlaneClient({
    conf,
    log,
    nodeId: id,
    hostname: hostname(),
    version: KONG_COMPAT_VERSION,
    plugins: bundledPluginVersions(KONG_COMPAT_VERSION),
    currentHash: () => store.live?.snapshot.hash,
    apply: async (frame): Promise<ApplyResult> => {
      const outcome = await store.loadPushed(frame, source, MAX_INFLATED_BYTES, conf.cluster_verify_config_hash)
      switch (outcome.kind) {
        case 'loaded':
          report(log, outcome, source, outcome.live.snapshot.hash)
          return 'applied'
        case 'unchanged':
          log.info({ source }, 'same config received from control plane, no need to reload')
          return 'unchanged'
        case 'ignored':
          log.debug({ source }, outcome.message)
          return 'ignored'
        default:
          report(log, outcome, source, store.live?.snapshot.hash)
          return 'rejected'
      }
    },
  })
}

/** Binds a throwaway socket on each listener, to find taken ports before anything is written. */
async function probe(setting: string, specs: readonly ListenSpec[]): Promise<ListenError[]> {
  const problems: ListenError[] = []
  for (const spec of specs) {
    await new Promise<void>((done) => {
      const server = createNetServer()
      server.once('error', (err: NodeJS.ErrnoException) => {
        problems.push(bindFailure(setting, spec, err))
        done()
      })
      server.listen({ host: spec.host, port: spec.port, exclusive: true, ipv6Only: ipv6Only(spec) }, () => server.close(() => done()))
    })
  }
  return problems
}

/** What the admin or status listeners' `ssl` entries serve: their own certificate settings, else the generated defaults. */
function listenerTls(conf: NodeConf, kind: 'admin' | 'status', specs: readonly ListenSpec[]): ListenerTls | undefined {
  if (!specs.some((s) => s.ssl)) return undefined
  return { options: tlsServerOptions(conf), ...listenerCertificates(conf, kind) }
}

/** Binds the admin and status listeners; every one that cannot be bound is reported. */
async function bindListeners(conf: NodeConf, state: NodeState, counters: ConnectionCounters, log: NodeLogger): Promise<Listener[] | ListenError[]> {
  const listeners: Listener[] = []
  const problems: ListenError[] = []
  const apps: ['admin_listen' | 'status_listen', 'admin' | 'status', readonly ListenSpec[], () => ReturnType<typeof createAdminApp>][] = [
    ['admin_listen', 'admin', conf.admin_listen, () => createAdminApp(state)],
    ['status_listen', 'status', conf.status_listen, () => createStatusApp(state)],
  ]
  for (const [setting, kind, specs, app] of apps) {
    const koa = app().callback()
    const callback = (req: IncomingMessage, res: ServerResponse): void => void koa(req, res)
    const tls = listenerTls(conf, kind, specs)
    for (const spec of specs) {
      try {
        const bound = await listenAll(callback, [spec], { setting, counters, log, ...(tls ? { tls } : {}) })
        for (const server of bound.flatMap((l) => l.http1)) answerApiClientErrors(server, { admin: kind === 'admin', headers: conf.headers })
        listeners.push(...bound)
      } catch (err) {
        if (!(err instanceof ListenError)) throw err
        problems.push(err)
      }
    }
  }
  if (problems.length === 0) return listeners
  for (const l of listeners) l.close()
  return problems
}

/** Starts the node with `conf`; resolves to the exit status once it has stopped. */
export async function runNode(conf: NodeConf, opts: { cwd: string }): Promise<number> {
  const log = createLogger(conf.log_level, 'primary')
  // Proxy settings the workers would refuse are refused here, before anything runs.
  try {
    compileProxySettings(conf)
  } catch (err) {
    for (const problem of (err as Error).message.split('\n')) log.error(problem)
    return 1
  }
  const held = prefixHeldBy(conf.prefix)
  if (held) {
    log.error({ prefix: conf.prefix }, held)
    return 1
  }
  const dicts = createSharedDicts()
  const loader = new ConfigLoader(log)
  const store = new ConfigStore({
    prefix: conf.prefix,
    loader,
    log,
    bodyLimit: ADMIN_BODY_LIMIT,
    onSwap: (live, path) => {
      // Marks of targets the new config dropped go before the config itself.
      pool.retainHealth(live.snapshot)
      pool.broadcast({ version: live.version, path })
      // Nothing a push does may take the primary down: a failure is logged, the next change tries again.
      controlPlane?.update(live.snapshot).catch((err: unknown) => log.error({ error: (err as Error).message }, 'could not prepare the configuration for data planes'))
    },
  })
  const pool = new WorkerPool(conf, log, () => (store.live && store.livePath ? { version: store.live.version, path: store.livePath } : undefined), dicts)
  const counters = new ConnectionCounters()
  // Hybrid mode: a data plane's link is made once the prefix gives the node its id.
  let dataPlane: DataPlaneClient | undefined
  const controlPlane = conf.role === 'control_plane' ? new ControlPlane({ conf, log, version: KONG_COMPAT_VERSION }) : undefined
  const state: NodeState = {
    conf,
    config: store,
    workers: pool,
    dicts,
    counters,
    log,
    nodeId: '',
    draining: false,
    ...(conf.role === 'data_plane' ? { dataPlane: () => (dataPlane as DataPlaneClient).link() } : {}),
    ...(controlPlane ? { controlPlane } : {}),
  }

  // Nothing is written before every listener is known to be free: a second node on the same
  // ports leaves the prefix as it found it.
  const taken = [
    ...(await probe('proxy_listen', conf.proxy_listen)),
    ...(await probe('admin_listen', conf.admin_listen)),
    ...(await probe('status_listen', conf.status_listen)),
    ...(controlPlane ? await probe('cluster_listen', conf.cluster_listen) : []),
  ]
  if (taken.length > 0) {
    for (const problem of taken) log.error({ setting: problem.setting, code: problem.code }, problem.message)
    return 1
  }
  try {
    claimPrefix(conf.prefix, conf.public)
    state.nodeId = conf.node_id ?? nodeId(conf.prefix)
  } catch (err) {
    log.error({ prefix: conf.prefix }, (err as Error).message)
    return 1
  }
  if (conf.role === 'data_plane') dataPlane = createDataPlane(conf, log, state.nodeId, store)
  // Kong's self-signed defaults for ssl listeners without certificate settings, made once in the prefix.
  const bound = await ensureDefaultCertificates(conf, LISTENER_KINDS)
    .then(() => bindListeners(conf, state, counters, log))
    .catch((err: unknown) => [err instanceof ListenError ? err : new Error((err as Error).message)])
  if (bound.some((b) => !isListener(b))) {
    for (const problem of bound as Error[]) log.error(problem instanceof ListenError ? { setting: problem.setting, code: problem.code } : {}, problem.message)
    releasePrefix(conf.prefix)
    return 1
  }
  const servers = bound as Listener[]
  if (controlPlane) {
    try {
      await controlPlane.listen()
    } catch (err) {
      log.error({ setting: 'cluster_listen' }, (err as Error).message)
      for (const s of servers) s.closeAll()
      releasePrefix(conf.prefix)
      return 1
    }
  }

  // Signals are handled from here on, so a stop during startup ends it cleanly: the load in
  // progress is abandoned, the workers started so far are stopped, the prefix is released.
  let phase: 'starting' | 'running' | 'stopping' = 'starting'
  // Read through a call: the signal handlers change the phase while startup awaits.
  const stopRequested = (): boolean => phase === 'stopping'
  let escalated = false
  let finish!: (code: number) => void
  const finished = new Promise<number>((resolve) => (finish = resolve))
  const shutdown = async (code: number): Promise<void> => {
    dataPlane?.stop()
    await controlPlane?.close()
    for (const s of servers) s.closeAll()
    await loader.close()
    releasePrefix(conf.prefix)
    log.notice('stopped')
    finish(code)
  }
  const stop = (signal: string, graceful: boolean, deadlineMs: number): void => {
    if (phase === 'stopping') {
      // A second signal while stopping: stop now (what `quit` sends once its timeout is up).
      if (escalated) return
      escalated = true
      log.notice({ signal }, 'stopping now: in-flight requests are cut off')
      for (const s of servers) s.closeAll()
      void pool.stop(false, 0)
      return
    }
    const starting = phase === 'starting'
    phase = 'stopping'
    log.notice({ signal, deadline_ms: deadlineMs }, 'stopping: no new connections, finishing in-flight requests')
    // No config arrives while the node stops.
    dataPlane?.stop()
    for (const s of servers) s.close()
    if (starting) {
      void loader.close()
      return // the startup sees the phase and finishes the stop
    }
    void pool.stop(graceful, deadlineMs).then(() => shutdown(0))
  }
  process.on('SIGTERM', () => stop('SIGTERM', true, STOP_GRACE_MS))
  process.on('SIGINT', () => stop('SIGINT', true, STOP_GRACE_MS))
  process.on('SIGQUIT', () => {
    state.draining = true
    stop('SIGQUIT', true, DRAIN_GRACE_MS)
  })
  process.on('SIGHUP', () => {
    if (phase === 'stopping') return
    if (conf.role === 'data_plane') {
      log.warn('SIGHUP: a data plane takes its configuration from the control plane; nothing reloaded')
      return
    }
    if (conf.declarative_config === undefined) {
      log.warn('SIGHUP: no declarative_config file to reload')
      return
    }
    log.notice({ source: conf.declarative_config }, 'SIGHUP: reloading declarative_config')
    const source = conf.declarative_config
    void store.loadFiles(configPaths(source, opts.cwd), source).then((o) => report(log, o, source, store.live?.snapshot.hash))
  })

  if (conf.declarative_config_string !== undefined) {
    report(log, await store.loadText(conf.declarative_config_string, 'declarative_config_string'), 'declarative_config_string', store.live?.snapshot.hash)
  } else if (conf.declarative_config !== undefined) {
    report(log, await store.loadFiles(configPaths(conf.declarative_config, opts.cwd), conf.declarative_config), conf.declarative_config, store.live?.snapshot.hash)
  } else {
    if (existsSync(cachePath(conf.prefix))) log.notice('found persisted config in the prefix, loading...')
    const restored = await store.restore()
    // A corrupt saved config has been logged, and set aside, by the store.
    if (restored !== 'absent' && store.problem === undefined) report(log, restored, 'the config saved in the prefix', store.live?.snapshot.hash)
  }
  if (stopRequested()) {
    await shutdown(0)
    return finished
  }

  try {
    // A control plane proxies nothing: it runs no workers.
    if (!controlPlane) await pool.start()
  } catch (err) {
    if (!stopRequested()) log.error({ error: (err as Error).message }, 'could not start')
    await pool.stop(false, 2000)
    for (const s of servers) s.close()
    await shutdown(stopRequested() ? 0 : 1)
    return finished
  }
  if (stopRequested()) {
    await pool.stop(true, STOP_GRACE_MS)
    await shutdown(0)
    return finished
  }
  phase = 'running'
  dataPlane?.start()
  log.notice(
    {
      version: VERSION,
      workers: pool.pids(),
      proxy_listen: conf.proxy_listen.map((l) => l.text),
      listening: servers.map((s) => s.address()),
      ...(controlPlane ? { cluster_listening: controlPlane.addresses() } : {}),
      configuration_hash: store.live?.snapshot.hash ?? null,
    },
    `${PRODUCT} started`,
  )
  return finished
}
