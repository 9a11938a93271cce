/**
 * One config load, start to finish, as the loader thread runs it: read the input (a request
 * body, a string, a file, the saved config), parse, validate and hash it, then write the
 * snapshot file the processes read and the copy kept for restarts. Nothing here touches the
 * live configuration: the primary commits the result, or drops it.
 */
import { closeSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs'
import { ConfigParseError, DeclarativeConfigError, type LocatedIssue } from '../declarative/errors.js'
import { readConfigFiles, type ConfigPath } from '../declarative/config-files.js'
import { loadDeclarative, loadDeclarativeFiles, loadDeclarativeObject } from '../declarative/load.js'
import type { ConfigText } from '../declarative/merge-files.js'
import { DEFAULT_LIMITS, type ParseLimits, type TextFormat } from '../declarative/parse.js'
import type { Snapshot } from '../declarative/snapshot.js'
import { encodeSnapshot } from '../declarative/snapshot-file.js'
import { unresolvedEntity } from '../declarative/vault/unresolved.js'
import type { Entity } from '../declarative/normalize.js'
import { loadErrorBody } from '../http/kong-errors.js'
import { bundledPluginSchema } from '../plugins/registry.js'
import { FileReadError, readRegularFile } from '../util/files.js'
import { isRecord } from '../util/json.js'
import { decodeConfigRequest, RequestError } from './config-request.js'
import { decodeFrame } from '../clustering/protocol.js'
import { isConfigHash } from '../declarative/hash.js'
import { dataPlaneDocument, pushedHash } from '../clustering/pushed-config.js'
import { deepFreeze } from '../declarative/snapshot.js'

/** Where a config comes from. */
export type JobInput =
  | { readonly kind: 'request'; readonly raw: Uint8Array; readonly contentType: string; readonly query: Readonly<Record<string, string>> }
  | { readonly kind: 'text'; readonly text: string; readonly source: string; readonly format: TextFormat }
  /** declarative_config: files and directories, merged in order; `source` names them all. */
  | { readonly kind: 'files'; readonly paths: readonly ConfigPath[]; readonly source: string }
  | { readonly kind: 'saved'; readonly path: string }
  /** A frame a control plane sent (gzip-compressed JSON), inflated to at most `maxBytes`. */
  | { readonly kind: 'pushed'; readonly frame: Uint8Array; readonly source: string; readonly maxBytes: number; readonly verifyHash: boolean }

/** One load to run. */
export interface LoadJob {
  readonly input: JobInput
  /** The live configuration's hash, for `check_hash`. */
  readonly liveHash: string | undefined
  /** Where to write the snapshot the processes read. */
  readonly snapshotPath: string
  /** Where to write the copy kept for restarts (renamed into place on commit); absent for a restore. */
  readonly savePath?: string
  /** Build Kong's 201 body. */
  readonly respond: boolean
  /** Largest accepted request body, in bytes. */
  readonly bodyLimit: number
}

/** Why a load did not produce a config. */
export interface RejectionData {
  readonly source: string
  readonly message: string
  readonly errors: readonly LocatedIssue[]
  readonly errorsTotal: number
}

/** What a load produced. */
export type JobResult =
  | { readonly type: 'invalid'; readonly status: number; readonly body: unknown; readonly rejection: RejectionData; readonly corrupt?: string }
  | { readonly type: 'absent' }
  | { readonly type: 'unchanged' }
  | {
      readonly type: 'loaded'
      readonly hash: string
      /** Serialized bytes of each collection's entities. */
      readonly bytes: Readonly<Record<string, number>>
      /** Kong's 201 body, as JSON bytes. */
      readonly body?: Uint8Array
    }
  | { readonly type: 'failed'; readonly message: string }
  /** A control plane's message that carries no config (Kong's data plane ignores those too). */
  | { readonly type: 'ignored'; readonly message: string }

/**
 * What the prefix keeps so a restart without a file serves the last good config: one text, or
 * (from several files) every file's text, merged again on restore. `hash` is the hash a control
 * plane sent with the config, reported again after a restart.
 */
type Saved = (ConfigText | { readonly source: string; readonly files: readonly ConfigText[] }) & { readonly hash?: string }

const LIMITS: ParseLimits = DEFAULT_LIMITS

function rejected(err: ConfigParseError | DeclarativeConfigError, flatten: boolean, source: string): JobResult {
  const errors = err.located()
  const errorsTotal = err instanceof DeclarativeConfigError ? err.issues.length : 1
  return { type: 'invalid', status: 400, body: loadErrorBody(err, flatten), rejection: { source, message: err.message, errors, errorsTotal } }
}

/** Runs one load. Never throws for bad input or a failed write: those are results. */
export async function runLoadJob(job: LoadJob): Promise<JobResult> {
  const { input } = job
  let snapshot: Snapshot
  let saved: Saved | undefined
  let flatten = false
  let source: string
  try {
    switch (input.kind) {
      case 'request': {
        source = 'POST /config'
        let decoded
        try {
          decoded = await decodeConfigRequest({ raw: Buffer.from(input.raw), contentType: input.contentType, query: input.query }, job.bodyLimit, LIMITS)
        } catch (err) {
          if (!(err instanceof RequestError)) throw err
          const message = isRecord(err.body) && typeof err.body.message === 'string' ? err.body.message : `HTTP ${err.status}`
          return { type: 'invalid', status: err.status, body: err.body, rejection: { source, message, errors: [], errorsTotal: 1 } }
        }
        flatten = decoded.flatten
        const { config } = decoded
        if (config.kind === 'object') {
          snapshot = await loadDeclarativeObject(config.value, { source, pluginSchemas: bundledPluginSchema, limits: LIMITS })
          saved = { source, format: 'json', text: config.text }
        } else {
          snapshot = await loadDeclarative(config.text, { source, format: 'auto', pluginSchemas: bundledPluginSchema, limits: LIMITS })
          saved = { source, format: 'auto', text: config.text }
        }
        if (decoded.checkHash && snapshot.hash === job.liveHash) return { type: 'unchanged' }
        break
      }
      case 'text':
        source = input.source
        snapshot = await loadDeclarative(input.text, { source, format: input.format, pluginSchemas: bundledPluginSchema, limits: LIMITS })
        saved = { source, format: input.format, text: input.text }
        break
      case 'files': {
        source = input.source
        const texts = await readConfigFiles(input.paths, LIMITS)
        snapshot = await loadDeclarativeFiles(texts, { pluginSchemas: bundledPluginSchema, limits: LIMITS })
        saved = texts.length === 1 ? texts[0] : { source: snapshot.source, files: texts }
        break
      }
      case 'saved': {
        source = 'prefix'
        const restored = await readSaved(input.path)
        if (restored.type !== 'ok') return restored.result
        const kept = restored.saved
        source = kept.source
        snapshot = 'files' in kept
          ? await loadDeclarativeFiles(kept.files, { pluginSchemas: bundledPluginSchema, limits: LIMITS })
          : await loadDeclarative(kept.text, { source, format: kept.format, pluginSchemas: bundledPluginSchema, limits: LIMITS })
        if (kept.hash !== undefined) snapshot = withHash(snapshot, kept.hash)
        break
      }
      case 'pushed': {
        source = input.source
        const pushed = await loadPushed(input, job.liveHash)
        if ('result' in pushed) return pushed.result
        snapshot = pushed.snapshot
        saved = pushed.saved
        break
      }
    }
  } catch (err) {
    if (err instanceof ConfigParseError || err instanceof DeclarativeConfigError) return rejected(err, flatten, err.source)
    throw err
  }
  const written = writeFiles(snapshot, job, saved)
  if (written.type === 'failed') return written
  const body = job.respond ? new TextEncoder().encode(JSON.stringify(entityMap(snapshot))) : undefined
  return { type: 'loaded', hash: snapshot.hash, bytes: written.bytes, ...(body ? { body } : {}) }
}

/** Reads a control plane's frame into a snapshot running under the hash the control plane sent. */
async function loadPushed(input: Extract<JobInput, { kind: 'pushed' }>, liveHash: string | undefined): Promise<{ snapshot: Snapshot; saved: Saved } | { result: JobResult }> {
  const { source } = input
  const refused = (message: string): { result: JobResult } => ({ result: { type: 'invalid', status: 400, body: { message }, rejection: { source, message, errors: [], errorsTotal: 1 } } })
  const decoded = decodeFrame(input.frame, input.maxBytes)
  if (decoded.kind === 'bad') return refused(decoded.message)
  if (decoded.kind === 'other') return { result: { type: 'ignored', message: `a '${decoded.type}' message carries no configuration` } }
  const { frame } = decoded
  // Kong's data plane checks the hash before it reads the config, and so avoids reloading the same one.
  if (frame.config_hash !== undefined && frame.config_hash === liveHash) return { result: { type: 'unchanged' } }
  const document = dataPlaneDocument(frame.config_table)
  if ('problem' in document) return refused(document.problem)
  const snapshot = await loadDeclarativeObject(document.doc, { source, pluginSchemas: bundledPluginSchema, limits: LIMITS })
  const hash = pushedHash(frame.config_hash, snapshot.hash, frame.config_table, input.verifyHash)
  if ('problem' in hash) return refused(hash.problem)
  if (hash.hash === liveHash) return { result: { type: 'unchanged' } }
  const warning = hash.warning === undefined ? undefined : { source, path: 'config_hash', message: hash.warning }
  return { snapshot: withHash(snapshot, hash.hash, warning), saved: { source, format: 'json', text: JSON.stringify(document.doc), hash: hash.hash } }
}

/** The snapshot reported under another hash (the one a control plane sent), with a warning about it if any. */
function withHash(snapshot: Snapshot, hash: string, warning?: LocatedIssue): Snapshot {
  if (snapshot.hash === hash) return snapshot
  return deepFreeze({ ...snapshot, hash, hashes: { ...snapshot.hashes, config: hash }, warnings: warning ? [warning, ...snapshot.warnings] : snapshot.warnings })
}

/**
 * The largest saved config read back: the saved file holds the config text as a JSON string,
 * in which escaping can make each byte up to six.
 */
const SAVED_MAX_BYTES = 6 * LIMITS.maxBytes + 1024 * 1024

/** The saved config, or why there is none to load. */
async function readSaved(path: string): Promise<{ type: 'ok'; saved: Saved } | { type: 'none'; result: JobResult }> {
  let bytes: Buffer
  try {
    bytes = await readRegularFile(path, SAVED_MAX_BYTES)
  } catch (err) {
    if (err instanceof FileReadError && err.code === 'ENOENT') return { type: 'none', result: { type: 'absent' } }
    // A file that cannot be read now (permissions, too many open files) is not corrupt: it stays.
    if (!(err instanceof FileReadError) || err.code !== undefined) {
      return { type: 'none', result: { type: 'failed', message: `cannot read ${path}: ${err instanceof FileReadError ? err.reason : (err as Error).message}` } }
    }
    return { type: 'none', result: corrupt(path, err.reason) }
  }
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    return { type: 'none', result: corrupt(path, bytes.length === 0 ? 'it is empty' : `it is not JSON (${(err as Error).message})`) }
  }
  const saved = savedForm(value)
  if (saved === undefined) return { type: 'none', result: corrupt(path, 'it does not hold a saved configuration') }
  return { type: 'ok', saved }
}

/** A saved config read back: one text (the form every version wrote), or several files' texts. */
function savedForm(value: unknown): Saved | undefined {
  const text = (v: unknown): ConfigText | undefined =>
    isRecord(v) && typeof v.source === 'string' && typeof v.text === 'string' && ['json', 'yaml', 'auto'].includes(v.format as string)
      ? { source: v.source, format: v.format as TextFormat, text: v.text }
      : undefined
  if (!isRecord(value) || typeof value.source !== 'string') return undefined
  if (value.hash !== undefined && !isConfigHash(value.hash)) return undefined
  const hash = value.hash === undefined ? {} : { hash: value.hash }
  if (!Array.isArray(value.files)) {
    const one = text(value)
    return one && { ...one, ...hash }
  }
  const files = value.files.map(text)
  if (files.length === 0 || files.some((f) => f === undefined)) return undefined
  return { source: value.source, files: files as ConfigText[], ...hash }
}

function corrupt(path: string, reason: string): JobResult {
  const message = `the saved configuration ${path} is corrupt: ${reason}`
  return { type: 'invalid', status: 400, body: { message }, rejection: { source: 'prefix', message, errors: [], errorsTotal: 1 }, corrupt: reason }
}

/** Writes the snapshot file and the restart copy (0600: they hold credentials); on any failure, neither. */
function writeFiles(snapshot: Snapshot, job: LoadJob, saved: Saved | undefined): { type: 'ok'; bytes: Record<string, number> } | { type: 'failed'; message: string } {
  const { chunks, bytes } = encodeSnapshot(snapshot)
  const written: string[] = []
  try {
    writeAll(job.snapshotPath, chunks)
    written.push(job.snapshotPath)
    if (saved && job.savePath) {
      writeAll(job.savePath, [Buffer.from(JSON.stringify(saved))])
      written.push(job.savePath)
    }
    return { type: 'ok', bytes: { ...bytes } }
  } catch (err) {
    for (const path of [...written, job.snapshotPath, ...(job.savePath ? [job.savePath] : [])]) {
      try {
        unlinkSync(path)
      } catch {
        // already gone, or never written
      }
    }
    return { type: 'failed', message: `could not write the configuration: ${(err as Error).message}` }
  }
}

function writeAll(path: string, chunks: readonly Buffer[]): void {
  const fd = openSync(path, 'w', 0o600)
  try {
    for (const chunk of chunks) {
      let at = 0
      while (at < chunk.length) at += writeSync(fd, chunk, at)
    }
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Kong's 201 body: `{collection: {id: entity}}`, vault references as written. */
function entityMap(snapshot: Snapshot): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {}
  for (const [collection, list] of Object.entries(snapshot.entities)) {
    if (list.length === 0) continue
    const byId: Record<string, unknown> = {}
    for (const entity of list as readonly Entity[]) byId[entity.id] = unresolvedEntity(snapshot, collection, entity)
    out[collection] = byId
  }
  return out
}
