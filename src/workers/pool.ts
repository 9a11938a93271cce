/**
 * The primary's side of the worker processes: forks `nginx_worker_processes` workers, gives each
 * the node's settings and the live config, restarts one that dies, answers their requests on
 * the shared dicts, and gathers their stats on demand.
 *
 * Workers accept proxy connections themselves: the primary binds each proxy listener once and
 * shares the socket with them (cluster's SCHED_NONE), so nothing the primary does ever delays a
 * proxy connection.
 */
import cluster, { type Worker } from 'node:cluster'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { HealthMarks, type BalancerStatus } from '../balancer/health.js'
import type { NodeConf } from '../conf/settings.js'
import { usesHealthchecks } from '../declarative/schema/entities/index.js'
import type { Snapshot } from '../declarative/snapshot.js'
import type { ConnectionStats } from '../http/connection-counters.js'
import type { NodeLogger } from '../log.js'
import type { HealthRequest, UpstreamHealthAnswer, WorkerConfiguration, WorkerFleet, WorkerStats } from '../node/state.js'
import { malformedDictRequest, parseDictRequest, serveDictRequest } from '../stores/dict-protocol.js'
import type { SharedDict } from '../stores/shared-dict.js'
import { parseFromWorker, type ToWorker } from './messages.js'

interface Tracked {
  readonly worker: Worker
  /** It has said hello: messages sent to it from now on are received. */
  greeted: boolean
  listening: boolean
  applied: number
  /** The hash of the config `applied` names (undefined until the worker applied one). */
  hash?: string
  /** The last stats the worker sent, for when it is too busy to answer in time. */
  last?: { readonly heapUsed: number; readonly connections: ConnectionStats }
  /** Stats requests still waiting on this worker, settled at once when it exits. */
  readonly waiting: Set<() => void>
}

/** The config workers should serve: its version and snapshot file. */
export interface LiveFile {
  readonly version: number
  readonly path: string
}

/** Wait before replacing a worker that never started listening. */
const RESTART_DELAY_MS = 1000
/** How long `/status` waits for a worker's own numbers before using its last ones. */
const STATS_WAIT_MS = 250
/** How long `/upstreams/{u}/health` and `/metrics` wait for a worker's balancer status. */
const HEALTH_WAIT_MS = 2000

const WORKER_ENTRY = fileURLToPath(new URL('./worker-main.js', import.meta.url))

/** The primary's worker processes: forks and restarts them, and carries configs, health marks and reports to and from them. */
export class WorkerPool implements WorkerFleet {
  readonly #tracked = new Map<number, Tracked>()
  readonly #pending = new Map<number, (stats: { heapUsed: number; connections: ConnectionStats }) => void>()
  readonly #healthReports = new Map<number, (reports: readonly (BalancerStatus | null)[]) => void>()
  /** The node's manual health marks: every worker holds a copy, a new one gets them with its init. */
  readonly #health = new HealthMarks()
  #nextId = 1
  /** Made once per node: a replaced worker resumes the sessions of the one it replaces. */
  readonly #ticketKeys = randomBytes(48)
  #stopping = false

  constructor(
    private readonly conf: NodeConf,
    private readonly log: NodeLogger,
    private readonly live: () => LiveFile | undefined,
    private readonly dicts: ReadonlyMap<string, SharedDict>,
  ) {}

  /** Forks the workers and resolves once each is listening; rejects with why one could not. */
  async start(): Promise<void> {
    cluster.schedulingPolicy = cluster.SCHED_NONE
    cluster.setupPrimary({ exec: WORKER_ENTRY, serialization: 'advanced' })
    await Promise.all(Array.from({ length: this.conf.nginx_worker_processes }, () => this.#fork()))
  }

  #fork(): Promise<void> {
    const worker = cluster.fork()
    const tracked: Tracked = { worker, greeted: false, listening: false, applied: 0, waiting: new Set() }
    this.#tracked.set(worker.id, tracked)
    return new Promise((resolve, reject) => {
      worker.on('message', (raw: unknown) => {
        const dict = parseDictRequest(raw)
        if (dict) {
          this.#sendRaw(worker, serveDictRequest(this.dicts, dict))
          return
        }
        const refused = malformedDictRequest(raw)
        if (refused) {
          this.#sendRaw(worker, refused)
          return
        }
        const message = parseFromWorker(raw)
        if (!message) {
          this.log.warn({ worker_pid: worker.process.pid }, 'dropped a malformed message from a worker')
          return
        }
        switch (message.type) {
          case 'hello': {
            tracked.greeted = true
            const live = this.live()
            this.#send(worker, { type: 'init', conf: this.conf, ticketKeys: this.#ticketKeys, health: this.#health.list(), ...(live ? { live } : {}) })
            break
          }
          case 'listening':
            tracked.listening = true
            // Marks set while it started may have come before it listened for them.
            this.#send(worker, { type: 'health', marks: this.#health.list() })
            resolve()
            break
          case 'health-report':
            this.#healthReports.get(message.id)?.(message.reports)
            break
          case 'applied':
            if (message.version >= tracked.applied) {
              tracked.applied = message.version
              tracked.hash = message.hash
            }
            break
          case 'apply-failed':
            this.log.error({ worker_pid: worker.process.pid, version: message.version, error: message.error }, 'a worker could not apply the configuration')
            break
          case 'stats': {
            const stats = { heapUsed: message.heapUsed, connections: message.connections }
            tracked.last = stats
            this.#pending.get(message.id)?.(stats)
            break
          }
        }
      })
      worker.on('error', (err: NodeJS.ErrnoException) => {
        // EPIPE and friends while a worker goes away: its exit is what matters.
        this.log.debug({ worker_pid: worker.process.pid, error: err.message }, 'worker channel error')
      })
      worker.on('exit', (code, signal) => {
        this.#tracked.delete(worker.id)
        // A dead worker will not answer: /status need not wait out STATS_WAIT_MS for it.
        for (const exited of [...tracked.waiting]) exited()
        if (!tracked.listening) reject(new Error(`worker ${worker.process.pid} exited before listening (code ${code}, signal ${signal})`))
        if (this.#stopping) return
        this.log.error({ worker_pid: worker.process.pid, code, signal }, 'worker process exited unexpectedly; starting a new one')
        // A worker that dies before listening would die again at once: pace the retries.
        setTimeout(() => {
          if (!this.#stopping) this.#fork().catch((err: Error) => this.log.error({ error: err.message }, 'could not restart a worker'))
        }, tracked.listening ? 0 : RESTART_DELAY_MS)
      })
    })
  }

  #send(worker: Worker, message: ToWorker): void {
    this.#sendRaw(worker, message)
  }

  #sendRaw(worker: Worker, message: unknown): void {
    if (!worker.isConnected()) return
    try {
      worker.send(message as object)
    } catch (err) {
      this.log.debug({ worker_pid: worker.process.pid, error: (err as Error).message }, 'could not message a worker')
    }
  }

  /** Tells every worker that has said hello about a new live config (later ones get it with their init). */
  broadcast(live: LiveFile): void {
    for (const { worker, greeted } of this.#tracked.values()) {
      if (greeted) this.#send(worker, { type: 'config', ...live })
    }
  }

  markHealth(request: HealthRequest): string | undefined {
    const { upstream, hostname, port, ip, healthy } = request
    if (!usesHealthchecks(upstream)) return `no healthchecker found for ${upstream.name}`
    this.#health.set({ upstream: upstream.id, hostname, port, ip, healthy })
    this.#broadcastHealth()
    return undefined
  }

  /** Drops the marks a new config's targets no longer have (see {@link HealthMarks.retain}); called before the config is sent. */
  retainHealth(snapshot: Snapshot): void {
    if (this.#health.retain(snapshot)) this.#broadcastHealth()
  }

  /** Sends the marks to every worker that listens for messages (one still starting gets them when it listens). */
  #broadcastHealth(): void {
    const marks = this.#health.list()
    for (const { worker, listening } of this.#tracked.values()) if (listening) this.#send(worker, { type: 'health', marks })
  }

  upstreamHealth(upstreamIds: readonly string[]): Promise<UpstreamHealthAnswer> {
    // The worker that has applied the newest config answers: it has the least left to apply.
    let best: Tracked | undefined
    for (const t of this.#tracked.values()) if (t.listening && t.worker.isConnected() && (!best || t.applied > best.applied)) best = t
    if (!best) return Promise.resolve({ unanswered: 'no worker is listening' })
    const tracked = best
    const pid = tracked.worker.process.pid
    return new Promise((resolve) => {
      const id = this.#nextId++
      const settle = (answer: UpstreamHealthAnswer): void => {
        clearTimeout(timer)
        this.#healthReports.delete(id)
        tracked.waiting.delete(exited)
        resolve(answer)
      }
      const exited = (): void => settle({ unanswered: `worker ${pid} exited before answering` })
      const timer = setTimeout(() => settle({ unanswered: `worker ${pid} did not answer within ${HEALTH_WAIT_MS} ms` }), HEALTH_WAIT_MS)
      tracked.waiting.add(exited)
      this.#healthReports.set(id, (reports) => settle({ reports }))
      this.#send(tracked.worker, { type: 'health-report', id, upstreams: upstreamIds })
    })
  }

  applied(version: number): { ready: number; total: number } {
    let ready = 0
    // Listening too: a worker takes its config in before it binds, and until one binds the
    // proxy port refuses connections.
    for (const t of this.#tracked.values()) if (t.listening && t.applied >= version) ready++
    // A control plane proxies nothing and runs no workers.
    return { ready, total: this.conf.role === 'control_plane' ? 0 : this.conf.nginx_worker_processes }
  }

  configurations(): WorkerConfiguration[] {
    return [...this.#tracked.values()]
      .filter((t) => t.listening)
      .map((t) => ({ pid: t.worker.process.pid ?? 0, configuration_hash: t.hash ?? null }))
      .sort((a, b) => a.pid - b.pid)
  }

  pids(): number[] {
    return [...this.#tracked.values()].map((t) => t.worker.process.pid ?? 0).sort((a, b) => a - b)
  }

  /**
   * Asks every worker for its heap and connection counters. A worker busy taking in a big
   * config answers late: its last numbers stand in, so `/status` never waits long.
   */
  stats(): Promise<WorkerStats[]> {
    const asked = [...this.#tracked.values()].map(
      (tracked) =>
        new Promise<WorkerStats | undefined>((resolve) => {
          const { worker } = tracked
          const id = this.#nextId++
          const pid = worker.process.pid ?? 0
          const settle = (stats: WorkerStats | undefined): void => {
            clearTimeout(timer)
            this.#pending.delete(id)
            tracked.waiting.delete(exited)
            resolve(stats)
          }
          // A worker that exits meanwhile is no longer one of the node's: it is left out.
          const exited = (): void => settle(undefined)
          const timer = setTimeout(() => settle(tracked.last ? { pid, ...tracked.last } : { pid, error: 'timeout' }), STATS_WAIT_MS)
          tracked.waiting.add(exited)
          this.#pending.set(id, (stats) => settle({ pid, ...stats }))
          if (!worker.isConnected()) exited()
          // A worker still starting cannot answer until it listens; /status does not wait for it.
          else if (!tracked.listening) settle(tracked.last ? { pid, ...tracked.last } : { pid, error: 'starting' })
          else this.#send(worker, { type: 'stats', id })
        }),
    )
    return Promise.all(asked).then((all) => all.filter((s): s is WorkerStats => s !== undefined))
  }

  /** Stops every worker: gracefully (in-flight requests finish) or not, within `deadlineMs`. */
  async stop(graceful: boolean, deadlineMs: number): Promise<void> {
    this.#stopping = true
    const workers = [...this.#tracked.values()].map((t) => t.worker)
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve()
            // The worker keeps the same deadline; this one only catches a worker that does not.
            const timer = setTimeout(() => {
              worker.process.kill('SIGKILL')
              resolve()
            }, deadlineMs + 1000)
            worker.once('exit', () => {
              clearTimeout(timer)
              resolve()
            })
            this.#send(worker, { type: 'stop', graceful, deadlineMs })
          }),
      ),
    )
  }
}
