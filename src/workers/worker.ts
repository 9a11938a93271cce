/**
 * A worker process: takes its settings from the primary, serves the proxy listeners with the
 * current runtime, builds a new runtime whenever the primary announces a config (acknowledging
 * it only once built and swapped in), and answers the primary's stats requests. Signals are the
 * primary's business: a worker stops when told to, or when the primary goes away.
 */
import { readFile } from 'node:fs/promises'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import type { NodeConf } from '../conf/settings.js'
import { decodeSnapshot } from '../declarative/snapshot-file.js'
import { SnapshotIndex } from '../declarative/snapshot-index.js'
import { ConnectionCounters } from '../http/connection-counters.js'
import { closingResponse } from '../http/closing-response.js'
import { listenAll, type Listener, type ListenerTls } from '../http/listen.js'
import { createLogger, type NodeLogger } from '../log.js'
import { buildRuntime, type Runtime, type RuntimeDeps } from '../runtime/runtime.js'
import { DictChannel } from '../stores/remote-dict.js'
import { createDnsCache } from '../balancer/dns.js'
import { HealthMarks, type HealthMark } from '../balancer/health.js'
import { GrpcSessions } from '../proxy/grpc-forward.js'
import { UpstreamPools } from '../proxy/upstream-pools.js'
import { openAccessLog } from '../runloop/access-log.js'
import { answerClientErrors } from '../runloop/client-errors.js'
import { createProxyHandler, type ProxyDeps } from '../runloop/proxy-request.js'
import { createUpgradeHandler } from '../runloop/websocket.js'
import { compileProxySettings } from '../runloop/proxy-settings.js'
import { SecureContextCache } from '../tls/certificate-selector.js'
import { listenerCertificates } from '../tls/listener-certificates.js'
import { tlsServerOptions } from '../tls/tls-options.js'
import { parseToWorker, type FromWorker, type ToWorker } from './messages.js'

/** How long a stopping worker leaves keep-alive connections that were idle when it began. */
const IDLE_GRACE_MS = 500

function send(message: FromWorker): void {
  if (process.connected) process.send?.(message)
}

/**
 * Asks the primary for the node's settings and waits for them. The primary sends nothing
 * before it hears from the worker: a message that arrives while an ES module worker is still
 * loading finds no listener and is lost.
 */
function waitForInit(): Promise<{ conf: NodeConf; live: { version: number; path: string } | undefined; ticketKeys: Uint8Array; health: readonly HealthMark[] }> {
  return new Promise((resolve) => {
    const onMessage = (raw: unknown): void => {
      const message = parseToWorker(raw)
      if (message?.type !== 'init') return
      process.off('message', onMessage)
      resolve({ conf: message.conf, live: message.live, ticketKeys: message.ticketKeys, health: message.health ?? [] })
    }
    process.on('message', onMessage)
    send({ type: 'hello' })
  })
}

/** Applies announced configs one at a time; when several arrive meanwhile, only the newest. */
class ConfigApplier {
  #current: Runtime | undefined
  #next: { version: number; path: string } | undefined
  #busy = false
  #waiters: (() => void)[] = []

  constructor(
    private readonly log: NodeLogger,
    private readonly deps: RuntimeDeps,
  ) {}

  get current(): Runtime | undefined {
    return this.#current
  }

  /** Resolves once every config announced so far has been applied or has failed. */
  settled(): Promise<void> {
    return this.#busy ? new Promise((resolve) => this.#waiters.push(resolve)) : Promise.resolve()
  }

  announce(version: number, path: string): void {
    if (this.#current && version <= this.#current.version) return
    if (!this.#next || version > this.#next.version) this.#next = { version, path }
    if (!this.#busy) void this.#drain()
  }

  async #drain(): Promise<void> {
    this.#busy = true
    while (this.#next) {
      const { version, path } = this.#next
      this.#next = undefined
      try {
        const index = new SnapshotIndex()
        // Sections are read between requests: a big config does not stall the ones in flight.
        const snapshot = await decodeSnapshot(await readFile(path), async (collection, entities) => {
          index.add(collection, entities)
          await yieldToEventLoop()
        })
        if (this.#next && (this.#next as { version: number }).version > version) continue
        const runtime = buildRuntime(snapshot, version, this.deps, index)
        this.#current = runtime
        runtime.balancers.prefetch()
        this.log.debug({ configuration_hash: snapshot.hash, version }, 'configuration applied')
        send({ type: 'applied', version, hash: snapshot.hash })
      } catch (err) {
        // A file replaced by a newer config before it was read: the newer one is on its way.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && this.#next) continue
        send({ type: 'apply-failed', version, error: (err as Error).message })
      }
    }
    this.#busy = false
    for (const wake of this.#waiters.splice(0)) wake()
  }
}

/** Runs this process as a worker until the primary stops it. */
export async function runWorker(): Promise<void> {
  // Terminal signals reach the whole process group; the primary decides what they mean.
  for (const signal of ['SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGTERM'] as const) process.on(signal, () => undefined)
  const { conf, live, ticketKeys, health: marks } = await waitForInit()
  const health = new HealthMarks(marks)
  const log = createLogger(conf.log_level, 'worker')
  const counters = new ConnectionCounters()
  const settings = compileProxySettings(conf)
  const dns = await createDnsCache()
  const tlsOptions = { ...tlsServerOptions(conf), ticketKeys: Buffer.from(ticketKeys) }
  const applier = new ConfigApplier(log, { dns, contexts: new SecureContextCache(tlsOptions), health })
  const dicts = new DictChannel((message) => process.connected && process.send?.(message) !== undefined)
  const accessLog = await openAccessLog(conf.proxy_access_log, conf.prefix)
  if (accessLog.problem !== undefined) log.error({ problem: accessLog.problem }, 'the access log cannot be written; its lines are dropped')
  const keepalive = {
    poolSize: conf.upstream_keepalive_pool_size,
    maxRequests: conf.upstream_keepalive_max_requests,
    idleTimeoutMs: conf.upstream_keepalive_idle_timeout * 1000,
  }
  const pools = new UpstreamPools(keepalive)
  const grpcSessions = new GrpcSessions(keepalive)
  const proxyDeps: ProxyDeps = {
    current: () => applier.current,
    pools,
    grpcSessions,
    headers: settings.headers,
    clientAddress: settings.clientAddress,
    accessLog,
    log,
    debugHeaders: conf.allow_debug_header,
    errorDefaultType: conf.error_default_type,
    maxBodyBytes: conf.nginx_http_client_max_body_size,
    bufferBodyBytes: conf.nginx_http_client_body_buffer_size,
    headerBufferBytes: conf.nginx_http_large_client_header_buffers.size,
    responded: (socket) => counters.responded(socket),
  }
  const handler = createProxyHandler(proxyDeps)
  const { count: headerBuffers, size: headerBufferBytes } = conf.nginx_http_large_client_header_buffers
  let stopping = false
  // Once stopping, each answer closes its connection: a busy keep-alive connection ends with its
  // current response instead of racing the idle close with its next request.
  const serverOptions = { maxHeaderSize: headerBuffers * headerBufferBytes, requireHostHeader: false, ServerResponse: closingResponse(() => stopping) }

  // The proxy's certificates come from the config a handshake finds live; without a match,
  // the ssl_cert default the listener was built with.
  const tls: ListenerTls | undefined = conf.proxy_listen.some((l) => l.ssl)
    ? { options: tlsOptions, ...listenerCertificates(conf, 'proxy'), select: (servername, ecdsa) => applier.current?.certificates.select(servername, ecdsa) }
    : undefined
  let servers: Listener[] = []
  let listening = false
  // The access log's buffered lines are written out before the process goes.
  const exit = (): void => void Promise.allSettled([accessLog.close(), grpcSessions.close()]).finally(() => process.exit(0))
  const stop = (graceful: boolean, deadlineMs: number): void => {
    if (stopping) {
      // A stop without grace after a graceful one: cut off what is still in flight.
      if (!graceful) {
        for (const s of servers) s.closeAll()
        exit()
      }
      return
    }
    stopping = true
    if (!listening) exit() // nothing to finish; listenAll may still be binding
    let open = servers.length
    if (open === 0) exit()
    const closeIdle = (): void => {
      for (const s of servers) s.closeIdle()
    }
    for (const s of servers) {
      s.close(() => {
        if (--open === 0) exit()
      }, graceful)
      if (!graceful) s.closeAll()
    }
    // A connection is closed as soon as its request in flight is done. Polled rather than
    // tracked per request, so that serving costs nothing for the sake of stopping. Keep-alive
    // connections idle now are left a moment first: a busy client's next request, perhaps on
    // its way, is answered with `Connection: close` instead of meeting a closed connection.
    if (graceful) setTimeout(() => setInterval(closeIdle, 20).unref(), IDLE_GRACE_MS).unref()
    setTimeout(() => {
      for (const s of servers) s.closeAll()
      exit()
    }, deadlineMs).unref()
  }

  // Listening for the primary before binding: a stop it sends meanwhile is not lost.
  process.on('message', (raw: unknown) => {
    if (dicts.receive(raw)) return
    const message: ToWorker | undefined = parseToWorker(raw)
    if (!message) {
      log.warn('dropped a malformed message from the primary')
      return
    }
    switch (message.type) {
      case 'config':
        applier.announce(message.version, message.path)
        break
      case 'stats':
        send({ type: 'stats', id: message.id, heapUsed: process.memoryUsage().heapUsed, connections: counters.snapshot() })
        break
      case 'stop':
        stop(message.graceful, message.deadlineMs)
        break
      case 'health':
        health.replace(message.marks)
        applier.current?.balancers.refreshHealth()
        break
      case 'health-report': {
        const { id, upstreams } = message
        // Messages arrive in order: a config sent before this request is announced by now, and
        // the answer waits for it, so a report never comes from the config it replaced.
        void applier.settled().then(() => send({ type: 'health-report', id, reports: upstreams.map((u) => applier.current?.balancers.statusOf(u) ?? null) }))
        break
      }
      case 'init':
        break
    }
  })

  // The live config is in before the first connection is accepted: a new worker never answers
  // a request without it.
  if (live) {
    applier.announce(live.version, live.path)
    await applier.settled()
  }
  try {
    servers = await listenAll(handler, conf.proxy_listen, { setting: 'proxy_listen', counters, log, http: serverOptions, finishedByHandler: true, ...(tls ? { tls } : {}) })
  } catch (err) {
    log.error({ error: (err as Error).message }, 'could not listen')
    process.exit(1)
  }
  listening = true
  const upgrades = createUpgradeHandler(proxyDeps)
  for (const server of servers.flatMap((l) => l.http1)) {
    answerClientErrors(server, { headers: settings.headers, errorDefaultType: conf.error_default_type, headerBufferBytes })
    server.on('upgrade', upgrades)
  }
  // Pools nobody used for an idle timeout are closed: those of upstreams a new config dropped too.
  const sweep = setInterval(() => void Promise.all([pools.sweep(), grpcSessions.sweep()]), Math.max(10_000, conf.upstream_keepalive_idle_timeout * 1000))
  sweep.unref()
  if (stopping) {
    exit()
    return
  }

  process.on('disconnect', () => {
    dicts.close('the primary process went away')
    stop(false, 0)
  })
  send({ type: 'listening' })
}
