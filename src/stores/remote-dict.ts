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

type Pending = { resolve(value: DictValue | null): void; reject(err: Error): void }

/** The request/reply plumbing shared by every RemoteDict of a process. */
export class DictChannel {
  readonly #pending = new Map<number, Pending>()
  #nextId = 1

  constructor(private readonly send: Send) {}

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
  }

  /** Sends one request and waits for its reply. */
  call(request: Call): Promise<DictValue | null> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      if (!this.send({ ...request, type: 'dict', id })) {
        this.#pending.delete(id)
        reject(new Error('the primary process is not reachable'))
      }
    })
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
    return value === null ? undefined : (value)
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
