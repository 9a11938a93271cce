/**
 * The primary's live configuration: loads, validates and swaps it in one step, keeps the last
 * rejected attempt and why, persists the last good config in the prefix, and fills the entity
 * caches. A failed load never touches the live snapshot.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DeclarativeConfigError, type LocatedIssue } from '../declarative/errors.js'
import { loadDeclarative, loadDeclarativeObject } from '../declarative/load.js'
import { ConfigParseError, type TextFormat } from '../declarative/parse.js'
import type { Snapshot } from '../declarative/snapshot.js'
import { bundledPluginSchema } from '../plugins/schemas.js'
import type { SharedDict } from './shared-dict.js'

/** The configuration being served, with when and where it came from. */
export interface LiveConfig {
  readonly snapshot: Snapshot
  /** Increases with every swap; workers acknowledge it. */
  readonly version: number
}

/** The last load that was refused. */
export interface Rejection {
  /** Milliseconds since the epoch. */
  readonly at: number
  readonly source: string
  readonly message: string
  readonly errors: readonly LocatedIssue[]
}

/** What a load attempt did. */
export type LoadOutcome =
  | { readonly ok: true; readonly live: LiveConfig; readonly unchanged: boolean }
  | { readonly ok: false; readonly error: ConfigParseError | DeclarativeConfigError }
  | { readonly ok: false; readonly busy: true }

/** What the prefix keeps so a restart without a file serves the last good config. */
interface Persisted {
  readonly source: string
  readonly format: TextFormat
  readonly text: string
}

const CORE = new Set(['services', 'routes', 'upstreams', 'targets', 'certificates', 'snis', 'ca_certificates', 'plugins'])

export class ConfigStore {
  #live: LiveConfig | undefined
  #rejected: Rejection | undefined
  #busy = false
  #version = 0

  constructor(
    private readonly prefix: string,
    private readonly dicts: ReadonlyMap<string, SharedDict>,
    private readonly onSwap: (live: LiveConfig) => void,
  ) {}

  get live(): LiveConfig | undefined {
    return this.#live
  }

  get rejected(): Rejection | undefined {
    return this.#rejected
  }

  /** True while a load is being validated. */
  get busy(): boolean {
    return this.#busy
  }

  /** Loads config text; with `skipIfSame`, identical content leaves everything as is. */
  async loadText(text: string, source: string, format: TextFormat, skipIfSame = false): Promise<LoadOutcome> {
    return this.#load(source, skipIfSame, { source, format, text }, () =>
      loadDeclarative(text, { source, format, pluginSchemas: bundledPluginSchema }),
    )
  }

  /** Loads an already-parsed config object (a JSON body with `_format_version`). */
  async loadObject(value: Record<string, unknown>, source: string, skipIfSame = false): Promise<LoadOutcome> {
    const text = JSON.stringify(value)
    return this.#load(source, skipIfSame, { source, format: 'json', text }, () =>
      loadDeclarativeObject(value, { source, pluginSchemas: bundledPluginSchema }),
    )
  }

  /** Loads the config the prefix kept from the last good load, if any. */
  async restore(): Promise<LoadOutcome | undefined> {
    let saved: Persisted
    try {
      saved = JSON.parse(readFileSync(this.#cachePath(), 'utf8')) as Persisted
    } catch {
      return undefined
    }
    return this.loadText(saved.text, saved.source, saved.format)
  }

  /** Records a rejection that happened before loading (unreadable file). */
  reject(source: string, message: string, errors: readonly LocatedIssue[] = []): void {
    this.#rejected = { at: Date.now(), source, message, errors }
  }

  async #load(source: string, skipIfSame: boolean, persisted: Persisted, load: () => Promise<Snapshot>): Promise<LoadOutcome> {
    if (this.#busy) return { ok: false, busy: true }
    this.#busy = true
    try {
      const snapshot = await load()
      if (skipIfSame && this.#live && this.#live.snapshot.hash === snapshot.hash) {
        return { ok: true, live: this.#live, unchanged: true }
      }
      const live: LiveConfig = { snapshot, version: ++this.#version }
      this.#live = live
      this.#persist(persisted)
      this.#fillCaches(snapshot)
      this.onSwap(live)
      return { ok: true, live, unchanged: false }
    } catch (err) {
      if (err instanceof DeclarativeConfigError) {
        this.#rejected = { at: Date.now(), source, message: err.message, errors: err.located() }
        return { ok: false, error: err }
      }
      if (err instanceof ConfigParseError) {
        const at = err.line === undefined ? {} : { line: err.line, column: err.column ?? 1 }
        this.#rejected = { at: Date.now(), source, message: err.message, errors: [{ source, ...at, path: '(document)', message: err.message }] }
        return { ok: false, error: err }
      }
      throw err
    } finally {
      this.#busy = false
    }
  }

  #cachePath(): string {
    return join(this.prefix, 'dbless.config.json')
  }

  #persist(saved: Persisted): void {
    mkdirSync(this.prefix, { recursive: true })
    const tmp = `${this.#cachePath()}.tmp`
    writeFileSync(tmp, JSON.stringify(saved))
    renameSync(tmp, this.#cachePath())
  }

  /** Entities go to the entity caches by id, as Kong caches them after a lookup. */
  #fillCaches(snapshot: Snapshot): void {
    const core = this.dicts.get('kong_core_db_cache')
    const rest = this.dicts.get('kong_db_cache')
    core?.clear()
    rest?.clear()
    for (const [collection, list] of Object.entries(snapshot.entities)) {
      const dict = CORE.has(collection) ? core : rest
      if (!dict) continue
      for (const entity of list) dict.set(`${collection}:${entity.id}`, JSON.stringify(entity))
    }
  }
}
