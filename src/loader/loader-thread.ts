/** Entry point of the config loader thread: runs one load job per message, off the primary's event loop. */
import { parentPort } from 'node:worker_threads'
import { runLoadJob, type JobResult, type LoadJob } from './load-job.js'

/** A job sent by the primary. */
export interface JobMessage {
  readonly id: number
  readonly job: LoadJob
}

/** The result sent back, with the thread's heap after the job (the primary recycles a grown thread). */
export interface ResultMessage {
  readonly id: number
  readonly result: JobResult | { readonly type: 'failed'; readonly message: string }
  readonly heapUsed: number
}

const port = parentPort
if (!port) throw new Error('loader-thread.js runs as a worker thread')

port.on('message', (message: JobMessage) => {
  void (async () => {
    let result: ResultMessage['result']
    try {
      result = await runLoadJob(message.job)
    } catch (err) {
      result = { type: 'failed', message: `unexpected error while loading: ${(err as Error).stack ?? String(err)}` }
    }
    const transfer = result.type === 'loaded' && result.body ? [result.body.buffer as ArrayBuffer] : []
    port.postMessage({ id: message.id, result, heapUsed: process.memoryUsage().heapUsed } satisfies ResultMessage, transfer)
  })()
})
