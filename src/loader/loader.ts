/**
 * The primary's side of the config loader thread: sends it one job at a time and waits for the
 * result. Parsing, validating and hashing a big config takes seconds; on this thread they do
 * not hold up `/status`. A thread that dies (out of memory on a hostile config) fails its job
 * and is replaced; one whose heap grew large is replaced after its job, to give memory back.
 */
import { Worker } from 'node:worker_threads'
import type { NodeLogger } from '../log.js'
import type { JobResult, LoadJob } from './load-job.js'
import type { JobMessage, ResultMessage } from './loader-thread.js'

const THREAD_ENTRY = new URL('./loader-thread.js', import.meta.url)

/** A thread whose heap is larger than this after a job is replaced. */
const RECYCLE_HEAP_BYTES = 256 * 1024 * 1024

export class ConfigLoader {
  #thread: Worker | undefined
  #nextId = 1
  #pending: { id: number; thread: Worker; resolve(result: JobResult): void } | undefined

  constructor(private readonly log: NodeLogger) {}

  /** Runs a job on the thread; jobs must not overlap (the config store runs one at a time). */
  run(job: LoadJob): Promise<JobResult> {
    if (this.#pending) return Promise.reject(new Error('a load job is already running'))
    const thread = this.#start()
    const id = this.#nextId++
    return new Promise((resolve) => {
      this.#pending = { id, thread, resolve }
      thread.postMessage({ id, job } satisfies JobMessage)
    })
  }

  /** Stops the thread; a job in progress fails with the reason that the node is stopping. */
  async close(): Promise<void> {
    const thread = this.#thread
    this.#thread = undefined
    const pending = this.#pending
    if (pending !== undefined && pending.thread === thread) {
      this.#pending = undefined
      pending.resolve({ type: 'failed', message: 'the node is stopping' })
    }
    await thread?.terminate()
  }

  #start(): Worker {
    if (this.#thread) return this.#thread
    const thread = new Worker(THREAD_ENTRY)
    thread.unref()
    thread.on('message', (message: ResultMessage) => {
      const pending = this.#pending
      if (!pending || pending.id !== message.id) return
      this.#pending = undefined
      if (message.heapUsed > RECYCLE_HEAP_BYTES) this.#retire(thread)
      pending.resolve(message.result)
    })
    const fail = (why: string): void => {
      if (this.#thread === thread) this.#thread = undefined
      const pending = this.#pending
      if (pending?.thread === thread) {
        this.#pending = undefined
        this.log.error({ error: why }, 'the config loader thread stopped during a load')
        pending.resolve({ type: 'failed', message: `the config loader stopped: ${why}` })
      }
    }
    thread.on('error', (err) => fail(err.message))
    thread.on('exit', (code) => fail(`exit code ${code}`))
    this.#thread = thread
    return thread
  }

  #retire(thread: Worker): void {
    if (this.#thread === thread) this.#thread = undefined
    void thread.terminate()
  }
}
