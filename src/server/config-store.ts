/**
 * The primary's live configuration. A load runs on the loader thread, which writes the snapshot
 * file and the restart copy; the store then reads the snapshot in (yielding between sections),
 * puts the restart copy in place, and only then swaps the live config and hands it to the
 * workers. Saving and swapping are one step: if the copy cannot be saved, nothing changes.
 * One load runs at a time, and a config accepted later always wins over one accepted earlier.
 */
import { readFile, rename, rm, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import type { ConfigPath } from '../declarative/config-files.js'
import { decodeSnapshot } from '../declarative/snapshot-file.js'
import { SnapshotIndex } from '../declarative/snapshot-index.js'
import type { ConfigLoader } from '../loader/loader.js'
import type { JobInput, JobResult } from '../loader/load-job.js'
import type { NodeLogger } from '../log.js'
import type { ConfigRequest, ConfigState, LiveConfig, LoadOutcome, Rejection } from '../node/state.js'
import { cachePath, snapshotDir } from '../node/prefix.js'

/** What the store needs from the node. */
export interface ConfigStoreDeps {
  readonly prefix: string
  readonly loader: ConfigLoader
  readonly log: NodeLogger
  /** Largest POST /config body, in bytes. */
  readonly bodyLimit: number
  /** Called once a new config is live in the primary, to hand it to the workers. */
  readonly onSwap: (live: LiveConfig, snapshotPath: string) => void
}

export class ConfigStore implements ConfigState {
  #live: LiveConfig | undefined
  #livePath: string | undefined
  #rejected: Rejection | undefined
  #problem: string | undefined
  #tickets = 0
  #liveTicket = 0
  #version = 0
  /** Resolves when the running load is done; loads wait on it or are refused (Kong's 429). */
  #running: Promise<void> | undefined

  constructor(private readonly deps: ConfigStoreDeps) {}

  get live(): LiveConfig | undefined {
    return this.#live
  }

  get rejected(): Rejection | undefined {
    return this.#rejected
  }

  get problem(): string | undefined {
    return this.#problem
  }

  /** The snapshot file of the live config, for a worker that starts later. */
  get livePath(): string | undefined {
    return this.#livePath
  }

  ticket(): number {
    return ++this.#tickets
  }

  /** Loads a POST /config request; refused with `busy` while another load runs. */
  async loadRequest(request: ConfigRequest, ticket: number): Promise<LoadOutcome> {
    const input: JobInput = { kind: 'request', raw: request.raw, contentType: request.contentType, query: request.query }
    return only(await this.#load(input, ticket, { wait: false, respond: true }))
  }

  /** Loads config text (declarative_config_string); waits for a running load. */
  async loadText(text: string, source: string): Promise<LoadOutcome> {
    return only(await this.#load({ kind: 'text', text, source, format: 'auto' }, this.ticket(), { wait: true, respond: false }))
  }

  /** Loads declarative_config's files and directories, merged (at start, on SIGHUP); waits for a running load. */
  async loadFiles(paths: readonly ConfigPath[], source: string): Promise<LoadOutcome> {
    return only(await this.#load({ kind: 'files', paths, source }, this.ticket(), { wait: true, respond: false }))
  }

  /** Loads a control plane's frame (gzip JSON, inflated to at most `maxBytes`; `verifyHash`: see cluster_verify_config_hash); waits for a running load. */
  async loadPushed(frame: Uint8Array, source: string, maxBytes: number, verifyHash: boolean): Promise<PushOutcome> {
    const outcome = await this.#load({ kind: 'pushed', frame, source, maxBytes, verifyHash }, this.ticket(), { wait: true, respond: false })
    return outcome.kind === 'ignored' ? outcome : only(outcome)
  }

  /** Loads the config the prefix kept from the last good load; `absent` when there is none. */
  async restore(): Promise<LoadOutcome | 'absent'> {
    const outcome = await this.#load({ kind: 'saved', path: cachePath(this.deps.prefix) }, this.ticket(), { wait: true, respond: false })
    return outcome.kind === 'absent' ? 'absent' : only(outcome)
  }

  async #load(input: JobInput, ticket: number, opts: { wait: boolean; respond: boolean }): Promise<Outcome> {
    while (this.#running) {
      if (!opts.wait) return { kind: 'busy' }
      await this.#running
    }
    let done!: () => void
    this.#running = new Promise((resolve) => (done = resolve))
    try {
      if (ticket < this.#liveTicket) return { kind: 'superseded', live: this.#live }
      return await this.#run(input, ticket, opts.respond)
    } finally {
      this.#running = undefined
      done()
    }
  }

  async #run(input: JobInput, ticket: number, respond: boolean): Promise<Outcome> {
    const { prefix, loader } = this.deps
    const version = ++this.#version
    const snapshotPath = join(snapshotDir(prefix), `snapshot-${version}.bin`)
    const savePath = input.kind === 'saved' ? undefined : `${cachePath(prefix)}.tmp`
    const result: JobResult = await loader.run({
      input,
      liveHash: this.#live?.snapshot.hash,
      snapshotPath,
      ...(savePath ? { savePath } : {}),
      respond,
      bodyLimit: this.deps.bodyLimit,
    })
    switch (result.type) {
      case 'absent':
        return { kind: 'absent' }
      case 'ignored':
        return { kind: 'ignored', message: result.message }
      case 'unchanged':
        return { kind: 'unchanged', live: this.#live as LiveConfig }
      case 'failed':
        // The loader may have died between writing the snapshot or the save and answering.
        await Promise.all([rm(snapshotPath, { force: true }), savePath ? rm(savePath, { force: true }) : undefined])
        return this.#failed(sourceOf(input), result.message)
      case 'invalid': {
        const rejection: Rejection = { at: Date.now(), ...result.rejection }
        if (result.corrupt !== undefined) await this.#setAside(result.corrupt)
        this.#rejected = rejection
        return { kind: 'invalid', status: result.status === 415 ? 415 : 400, body: result.body, rejection }
      }
      case 'loaded':
        break
    }
    let live: LiveConfig
    try {
      live = await this.#readIn(snapshotPath, version, result.bytes)
      if (savePath) await rename(savePath, cachePath(prefix))
    } catch (err) {
      await Promise.all([rm(snapshotPath, { force: true }), savePath ? rm(savePath, { force: true }) : undefined])
      return this.#failed(sourceOf(input), `could not save the configuration: ${(err as Error).message}`)
    }
    const previous = this.#livePath
    this.#live = live
    this.#livePath = snapshotPath
    this.#liveTicket = ticket
    this.#problem = undefined
    this.deps.onSwap(live, snapshotPath)
    for (const w of live.snapshot.warnings) {
      this.deps.log.warn({ source: w.source, line: w.line, column: w.column, path: w.path }, `configuration warning: ${w.message}`)
    }
    // A worker still reading the previous file has it open; one that has not will get the new one.
    if (previous) void unlink(previous).catch(() => undefined)
    return { kind: 'loaded', live, ...(result.body ? { body: Buffer.from(result.body.buffer, result.body.byteOffset, result.body.byteLength) } : {}) }
  }

  /** Reads a snapshot file in, section by section, yielding to the event loop between them. */
  async #readIn(path: string, version: number, bytes: Readonly<Record<string, number>>): Promise<LiveConfig> {
    const index = new SnapshotIndex()
    const snapshot = await decodeSnapshot(await readFile(path), async (collection, entities) => {
      index.add(collection, entities)
      await yieldToEventLoop()
    })
    return Object.freeze({ snapshot, index, version, bytes })
  }

  #failed(source: string, message: string): LoadOutcome {
    const keeps = this.#live ? `the node keeps its current configuration (${this.#live.snapshot.hash})` : 'the node still has no configuration'
    const full = `${message}; ${keeps}`
    this.deps.log.error({ source }, full)
    this.#rejected = { at: Date.now(), source, message: full, errors: [], errorsTotal: 1 }
    return { kind: 'failed', message: full }
  }

  /** Renames a corrupt saved config aside for inspection, and remembers why there is no config. */
  async #setAside(reason: string): Promise<void> {
    const path = cachePath(this.deps.prefix)
    const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`
    let kept = `kept aside as ${aside}`
    try {
      await rename(path, aside)
    } catch (err) {
      kept = `could not be set aside: ${(err as Error).message}`
    }
    this.#problem = `the saved configuration in ${this.deps.prefix} is corrupt (${reason}); ${kept}`
    this.deps.log.error({ path, reason }, this.#problem)
  }
}

/** What a control plane's frame came to: a load's outcome, or a message that carries no config. */
export type PushOutcome = LoadOutcome | { readonly kind: 'ignored'; readonly message: string }

/** A load's outcome inside the store, where a restore may also find nothing to load. */
type Outcome = PushOutcome | { readonly kind: 'absent' }

function sourceOf(input: JobInput): string {
  switch (input.kind) {
    case 'request':
      return 'POST /config'
    case 'saved':
      return 'prefix'
    default:
      return input.source
  }
}

/** Only a restore finds nothing to load. */
function only(outcome: Outcome): LoadOutcome {
  if (outcome.kind === 'absent' || outcome.kind === 'ignored') throw new Error(`a load ended in '${outcome.kind}'`)
  return outcome
}
