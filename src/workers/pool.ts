/**
 * The primary's side of the worker processes: forks `nginx_worker_processes` workers, restarts
 * one that dies, sends every worker the live snapshot, and gathers their stats on demand.
 */
import cluster, { type Worker } from 'node:cluster'
import { fileURLToPath } from 'node:url'
import type { LiveConfig } from '../server/config-store.js'
import type { ConnectionStats } from '../server/connection-counters.js'
import type { NodeLogger } from '../server/logger.js'
import { isFromWorker, type ToWorker } from './messages.js'

/** One worker's answer to a stats request, or why it gave none. */
export type WorkerStats =
  | { readonly pid: number; readonly heapUsed: number; readonly connections: ConnectionStats }
  | { readonly pid: number; readonly error: string }

interface Tracked {
  readonly worker: Worker
  listening: boolean
  applied: number
}

/** Wait before replacing a worker that never started listening. */
const RESTART_DELAY_MS = 1000

const WORKER_ENTRY = fileURLToPath(new URL('./worker-main.js', import.meta.url))

export class WorkerPool {
  readonly #tracked = new Map<number, Tracked>()
  readonly #pending = new Map<number, (stats: WorkerStats) => void>()
  #nextId = 1
  #stopping = false

  constructor(
    private readonly count: number,
    private readonly log: NodeLogger,
    private readonly live: () => LiveConfig | undefined,
    private readonly env: Readonly<Record<string, string>>,
  ) {}

  /** Forks the workers and resolves once each is listening. */
  async start(): Promise<void> {
    cluster.setupPrimary({ exec: WORKER_ENTRY, serialization: 'advanced' })
    await Promise.all(Array.from({ length: this.count }, () => this.#fork()))
  }

  #fork(): Promise<void> {
    const worker = cluster.fork(this.env)
    const tracked: Tracked = { worker, listening: false, applied: 0 }
    this.#tracked.set(worker.id, tracked)
    return new Promise((resolve, reject) => {
      worker.on('message', (message: unknown) => {
        if (!isFromWorker(message)) return
        if (message.type === 'listening') {
          tracked.listening = true
          const live = this.live()
          if (live) this.#send(worker, { type: 'config', version: live.version, snapshot: live.snapshot })
          resolve()
        } else if (message.type === 'applied') {
          tracked.applied = Math.max(tracked.applied, message.version)
        } else if (message.type === 'stats') {
          this.#pending.get(message.id * 1000 + worker.id)?.({ pid: worker.process.pid ?? 0, heapUsed: message.heapUsed, connections: message.connections })
        }
      })
      worker.on('exit', (code, signal) => {
        this.#tracked.delete(worker.id)
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
    if (worker.isConnected()) worker.send(message)
  }

  /** Sends a new live config to every worker. */
  broadcast(live: LiveConfig): void {
    for (const { worker, listening } of this.#tracked.values()) {
      if (listening) this.#send(worker, { type: 'config', version: live.version, snapshot: live.snapshot })
    }
  }

  /** How many workers serve `version` (or a later one), and how many there are. */
  applied(version: number): { ready: number; total: number } {
    let ready = 0
    for (const t of this.#tracked.values()) if (t.applied >= version) ready++
    return { ready, total: this.count }
  }

  /** Worker pids, sorted. */
  pids(): number[] {
    return [...this.#tracked.values()].map((t) => t.worker.process.pid ?? 0).sort((a, b) => a - b)
  }

  /** Asks every worker for its heap and connection counters; a silent worker reports an error. */
  stats(timeoutMs = 1000): Promise<WorkerStats[]> {
    const id = this.#nextId++
    return Promise.all(
      [...this.#tracked.values()].map(
        ({ worker }) =>
          new Promise<WorkerStats>((resolve) => {
            const key = id * 1000 + worker.id
            const pid = worker.process.pid ?? 0
            const timer = setTimeout(() => {
              this.#pending.delete(key)
              resolve({ pid, error: 'timeout' })
            }, timeoutMs)
            this.#pending.set(key, (stats) => {
              clearTimeout(timer)
              this.#pending.delete(key)
              resolve(stats)
            })
            this.#send(worker, { type: 'stats', id })
          }),
      ),
    )
  }

  /** Stops every worker (gracefully: in-flight requests finish), bounded by `timeoutMs`. */
  async stop(graceful: boolean, timeoutMs = 10_000): Promise<void> {
    this.#stopping = true
    const workers = [...this.#tracked.values()].map((t) => t.worker)
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve()
            const timer = setTimeout(() => {
              worker.process.kill('SIGKILL')
              resolve()
            }, timeoutMs)
            worker.once('exit', () => {
              clearTimeout(timer)
              resolve()
            })
            this.#send(worker, { type: 'stop', graceful })
          }),
      ),
    )
  }
}
