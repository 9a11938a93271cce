/**
 * A worker's handle on a shared dict of the primary: each call is one IPC round trip, answered
 * in the order the primary receives them, so increments from every worker add up exactly.
 */
import { parseDictReply, type DictReply, type DictRequest } from './dict-protocol.js'
import type { DictValue } from './shared-dict.js'

/**
 * Queues a message to the primary; false only when the channel is closed. (`process.send`'s own
 * false means a backlog, and the message is still sent.)
 */
export type Send = (message: DictRequest) => boolean

/** A request without the fields the channel fills in. */
type Call = DictRequest extends infer R ? (R extends unknown ? Omit<R, 'id' | 'type'> : never) : never

type Pending = { resolve(value: DictValue | null): void; reject(err: Error): void; readonly deadline: number }

/** How long a call waits for the primary's answer before it fails. */
const CALL_TIMEOUT_MS = 5_000

/** The request/reply plumbing shared by every RemoteDict of a process. */
export class DictChannel {
  readonly #pending = new Map<number, Pending>()
  #nextId = 1
  /** One timer for every waiting call, rather than one per call. */
  #sweep: NodeJS.Timeout | undefined

  constructor(
    private readonly send: Send,
    private readonly timeoutMs = CALL_TIMEOUT_MS,
  ) {}

  /** Routes a reply to its caller; returns false for messages that are not dict replies. */
  receive(message: unknown): boolean {
    const reply: DictReply | undefined = parseDictReply(message)
    if (!reply) return false
    const pending = this.#pending.get(reply.id)
    if (!pending) return true
    this.#pending.delete(reply.id)
    if (reply.ok) pending.resolve(reply.value)
    else pending.reject(new Error(reply.error))
    return true
  }

  /** Fails every call still waiting (the primary went away). */
  close(reason: string): void {
    for (const p of this.#pending.values()) p.reject(new Error(reason))
    this.#pending.clear()
    clearInterval(this.#sweep)
    this.#sweep = undefined
  }

  /** Sends one request and waits for its reply, at most the channel's timeout. */
  call(request: Call): Promise<DictValue | null> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, deadline: Date.now() + this.timeoutMs })
      if (!this.send({ ...request, type: 'dict', id })) {
        this.#pending.delete(id)
        reject(new Error('the primary process is not reachable'))
        return
      }
      this.#sweep ??= setInterval(() => this.#expire(), Math.max(10, this.timeoutMs / 4))
    })
  }

  #expire(): void {
    const now = Date.now()
    for (const [id, p] of this.#pending) {
      if (p.deadline > now) continue
      this.#pending.delete(id)
      p.reject(new Error(`no answer from the primary within ${this.timeoutMs} ms`))
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#sweep)
      this.#sweep = undefined
    }
  }
}

/** One shared dict, seen from a worker. */
export class RemoteDict {
  constructor(
    private readonly channel: DictChannel,
    readonly name: string,
  ) {}

  /** The value under `key`, or undefined. */
  async get(key: string): Promise<DictValue | undefined> {
    const value = await this.channel.call({ dict: this.name, op: 'get', key })
    return value === null ? undefined : value
  }

  /** Stores a value; false when it does not fit in the dict at all. */
  async set(key: string, value: DictValue, ttlMs?: number): Promise<boolean> {
    return (await this.channel.call({ dict: this.name, op: 'set', key, value, ...(ttlMs === undefined ? {} : { ttlMs }) })) as boolean
  }

  /** Adds `by` and returns the new value; an absent key starts at `init` with `ttlMs`. */
  async incr(key: string, by: number, init = 0, ttlMs?: number): Promise<number> {
    return (await this.channel.call({ dict: this.name, op: 'incr', key, by, init, ...(ttlMs === undefined ? {} : { ttlMs }) })) as number
  }

  /** Removes a key. */
  async delete(key: string): Promise<void> {
    await this.channel.call({ dict: this.name, op: 'delete', key })
  }
}
