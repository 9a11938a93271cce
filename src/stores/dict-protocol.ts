/** The IPC messages a worker uses to read and change the primary's shared dicts, and their checks. */
import { isRecord } from '../util/json.js'
import type { DictValue, SharedDict } from './shared-dict.js'

/** A worker's request on a dict. */
export type DictRequest =
  | { readonly type: 'dict'; readonly id: number; readonly dict: string; readonly op: 'get'; readonly key: string }
  | { readonly type: 'dict'; readonly id: number; readonly dict: string; readonly op: 'set'; readonly key: string; readonly value: DictValue; readonly ttlMs?: number }
  | { readonly type: 'dict'; readonly id: number; readonly dict: string; readonly op: 'incr'; readonly key: string; readonly by: number; readonly init?: number; readonly ttlMs?: number }
  | { readonly type: 'dict'; readonly id: number; readonly dict: string; readonly op: 'delete'; readonly key: string }

/** The primary's answer to one request. */
export type DictReply =
  | { readonly type: 'dict'; readonly id: number; readonly ok: true; readonly value: DictValue | null }
  | { readonly type: 'dict'; readonly id: number; readonly ok: false; readonly error: string }

const isValue = (v: unknown): v is DictValue => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
const optionalNumber = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0)

/** Checks an IPC message is a well-formed dict request. */
export function parseDictRequest(m: unknown): DictRequest | undefined {
  if (!isRecord(m) || m.type !== 'dict' || !Number.isSafeInteger(m.id) || typeof m.dict !== 'string' || typeof m.key !== 'string') return undefined
  switch (m.op) {
    case 'get':
    case 'delete':
      return m as DictRequest
    case 'set':
      return isValue(m.value) && optionalNumber(m.ttlMs) ? (m as DictRequest) : undefined
    case 'incr':
      return typeof m.by === 'number' && Number.isFinite(m.by) && (m.init === undefined || (typeof m.init === 'number' && Number.isFinite(m.init))) && optionalNumber(m.ttlMs)
        ? (m as DictRequest)
        : undefined
    default:
      return undefined
  }
}

/**
 * The error reply to a message that claims to be a dict request (it has `type: 'dict'` and an
 * id to answer) but is not a well-formed one, so that its caller is not left waiting.
 */
export function malformedDictRequest(m: unknown): DictReply | undefined {
  if (!isRecord(m) || m.type !== 'dict' || !Number.isSafeInteger(m.id) || 'ok' in m) return undefined
  return { type: 'dict', id: m.id as number, ok: false, error: 'malformed dict request (unknown op, or a value that is not a finite number, string or boolean)' }
}

/** Checks an IPC message is a well-formed dict reply. */
export function parseDictReply(m: unknown): DictReply | undefined {
  if (!isRecord(m) || m.type !== 'dict' || !Number.isSafeInteger(m.id)) return undefined
  if (m.ok === true && (m.value === null || isValue(m.value))) return m as DictReply
  if (m.ok === false && typeof m.error === 'string') return m as DictReply
  return undefined
}

/** Carries out a request on the primary's dicts. */
export function serveDictRequest(dicts: ReadonlyMap<string, SharedDict>, req: DictRequest): DictReply {
  const dict = dicts.get(req.dict)
  if (!dict) return { type: 'dict', id: req.id, ok: false, error: `no shared dict named '${req.dict}'` }
  try {
    switch (req.op) {
      case 'get':
        return { type: 'dict', id: req.id, ok: true, value: dict.get(req.key) ?? null }
      case 'set':
        return { type: 'dict', id: req.id, ok: true, value: dict.set(req.key, req.value, req.ttlMs) }
      case 'incr':
        return { type: 'dict', id: req.id, ok: true, value: dict.incr(req.key, req.by, req.init, req.ttlMs) }
      case 'delete':
        dict.delete(req.key)
        return { type: 'dict', id: req.id, ok: true, value: null }
    }
  } catch (err) {
    return { type: 'dict', id: req.id, ok: false, error: (err as Error).message }
  }
}
