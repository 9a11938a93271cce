/** Entry point of a worker process (started by the primary through node:cluster). */
import { runWorker } from './worker.js'

await runWorker()
