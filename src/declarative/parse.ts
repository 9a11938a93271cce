/**
 * Text to plain data: kong.yml or JSON in, a tree of plain objects out, within limits that keep
 * hostile input (huge, deep, binary, alias bombs) from hurting the node.
 */
import { EVENT_ID, YAMLException, constructFromEvents, parseEvents } from 'js-yaml'
import { copyJson, isRecord } from '../util/json.js'
import { pathString } from './error-paths.js'
import { ConfigParseError } from './errors.js'
import { PositionIndex, lineColumn } from './positions.js'
import type { Path } from './schema/validate.js'
import { KONG_YAML_SCHEMA } from './yaml-schema.js'

/** Bounds on what a config text may cost to read. */
export interface ParseLimits {
  /** Largest accepted text, in bytes of UTF-8. */
  readonly maxBytes: number
  /** Deepest nesting of arrays and objects. */
  readonly maxDepth: number
  /** Most YAML aliases (`*ref`) in one document. */
  readonly maxAliases: number
  /** Most values once aliases are expanded; stops "billion laughs" documents. */
  readonly maxNodes: number
}

export const DEFAULT_LIMITS: ParseLimits = {
  maxBytes: 256 * 1024 * 1024,
  maxDepth: 64,
  maxAliases: 10_000,
  maxNodes: 8_000_000,
}

/** How to read the text: by file extension (Kong's rule), or JSON first then YAML. */
export type TextFormat = 'json' | 'yaml' | 'auto'

/** Kong's rule: `.json` is JSON, `.yml`/`.yaml` is YAML, anything else is refused. */
export function formatOfFile(filename: string): TextFormat {
  if (filename.endsWith('.json')) return 'json'
  if (filename.endsWith('.yml') || filename.endsWith('.yaml')) return 'yaml'
  throw new ConfigParseError(`unknown file type: ${filename}. (Accepted types: json, yaml)`, filename)
}

/** Decodes bytes as UTF-8 text, refusing binary data with the offset of the first bad byte. */
export function decodeText(bytes: Uint8Array, source: string, limits: ParseLimits = DEFAULT_LIMITS): string {
  if (bytes.byteLength > limits.maxBytes) {
    throw new ConfigParseError(`input is ${bytes.byteLength} bytes, over the limit of ${limits.maxBytes}`, source)
  }
  const nul = bytes.indexOf(0)
  if (nul >= 0) throw binary(bytes, nul, source)
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    const loose = new TextDecoder('utf-8').decode(bytes)
    const bad = Buffer.byteLength(loose.slice(0, Math.max(0, loose.indexOf('\uFFFD'))))
    throw binary(bytes, bad, source)
  }
}

function binary(bytes: Uint8Array, offset: number, source: string): ConfigParseError {
  const before = new TextDecoder().decode(bytes.subarray(0, offset))
  const { line, column } = lineColumn(before, before.length)
  return new ConfigParseError(`input is not UTF-8 text (binary data at byte ${offset})`, source, line, column)
}

/** Parses config text to plain data, or throws ConfigParseError saying what and where. */
export function parseConfigText(text: string, source: string, format: TextFormat, limits: ParseLimits = DEFAULT_LIMITS): unknown {
  if (Buffer.byteLength(text) > limits.maxBytes) {
    throw new ConfigParseError(`input is ${Buffer.byteLength(text)} bytes, over the limit of ${limits.maxBytes}`, source)
  }
  if (text.includes('\u0000')) throw new ConfigParseError('input is not UTF-8 text (binary data)', source, ...at(text, text.indexOf('\u0000')))
  let value: unknown
  let aliases = 0
  let viaYaml = false
  if (format === 'json') {
    value = parseJson(text, source)
  } else if (format === 'yaml') {
    ;({ value, aliases } = parseYaml(text, source, limits))
    viaYaml = true
  } else {
    value = tryJson(text)
    if (!isRecord(value)) {
      ;({ value, aliases } = parseYaml(text, source, limits))
      viaYaml = true
    }
  }
  if (!isRecord(value)) throw new ConfigParseError('expected an object', source)
  if (aliases === 0) {
    // js-yaml already bounds YAML nesting (maxDepth); JSON.parse does not.
    const depth = format === 'json' || !viaYaml
    const proto = mayHideProto(text)
    if (depth || proto) checkTree(value, source, limits, { depth, proto }, () => new PositionIndex(text))
    return value
  }
  // Aliases share objects: measure the expanded size without expanding, then copy for real.
  checkShape(value, source, limits)
  return copyJson(value)
}

/**
 * Whether a text could spell a `__proto__` key: literally, or through a backslash (a JSON or
 * YAML escape, a YAML escaped line break). Configs with neither skip the walk.
 */
function mayHideProto(text: string): boolean {
  return text.includes('__proto__') || text.includes('\\')
}

/**
 * Checks data that was parsed without js-yaml's own bounds (JSON text, a JSON request body):
 * nesting no deeper than the limit, and no `__proto__` key, which would change the prototype
 * of any object the data is later merged into.
 */
export function checkTree(
  root: unknown,
  source: string,
  limits: ParseLimits,
  what: { readonly depth: boolean; readonly proto: boolean } = { depth: true, proto: true },
  positions?: () => PositionIndex,
): void {
  const path: (string | number)[] = []
  const walk = (value: unknown, depth: number): void => {
    if (typeof value !== 'object' || value === null) return
    if (what.depth && depth > limits.maxDepth) throw new ConfigParseError(`nesting is deeper than ${limits.maxDepth} levels`, source)
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(i)
        walk(value[i], depth + 1)
        path.pop()
      }
      return
    }
    for (const key of Object.keys(value)) {
      path.push(key)
      if (what.proto && key === '__proto__') throw protoError(source, path, positions)
      walk((value as Record<string, unknown>)[key], depth + 1)
      path.pop()
    }
  }
  walk(root, 0)
}

function protoError(source: string, path: Path, positions: (() => PositionIndex) | undefined): ConfigParseError {
  const pos = positions?.().find(path)
  return new ConfigParseError(`the key '__proto__' is not allowed (at ${pathString(path)})`, source, pos?.line, pos?.column)
}

function at(text: string, offset: number): [number, number] {
  const { line, column } = lineColumn(text, offset)
  return [line, column]
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    const message = (err as Error).message
    const pos = /at position (\d+)/.exec(message)
    if (pos) return fail(message.replace(/ in JSON at position \d+.*$/, ''), source, ...at(text, Number(pos[1])))
    if (err instanceof RangeError) throw new ConfigParseError('nesting is too deep', source)
    throw new ConfigParseError(message, source)
  }
}

function fail(reason: string, source: string, line: number, column: number): never {
  throw new ConfigParseError(reason, source, line, column)
}

function parseYaml(text: string, source: string, limits: ParseLimits): { value: unknown; aliases: number } {
  try {
    const events = parseEvents(text, { filename: source, maxDepth: limits.maxDepth })
    let aliases = 0
    for (const event of events) if (event.type === EVENT_ID.ALIAS) aliases++
    const docs = constructFromEvents(events, {
      source: text,
      filename: source,
      schema: KONG_YAML_SCHEMA,
      maxAliases: limits.maxAliases,
    })
    if (docs.length === 0) throw new ConfigParseError('expected an object (the input is empty)', source)
    if (docs.length > 1) throw new ConfigParseError('expected a single document in the stream, but found more', source)
    return { value: docs[0], aliases }
  } catch (err) {
    if (err instanceof ConfigParseError) throw err
    if (err instanceof YAMLException) {
      const mark = err.mark
      throw new ConfigParseError(err.reason, source, mark ? mark.line + 1 : undefined, mark ? mark.column + 1 : undefined)
    }
    if (err instanceof RangeError) throw new ConfigParseError('nesting is too deep', source)
    throw new ConfigParseError((err as Error).message, source)
  }
}

/**
 * Measures depth and the size of the tree as if aliases were copied, without copying: shared
 * subtrees are counted once and multiplied, so a billion-laughs document is refused cheaply.
 */
function checkShape(root: unknown, source: string, limits: ParseLimits): void {
  const sizes = new Map<object, number>()
  const size = (value: unknown, depth: number): number => {
    if (typeof value !== 'object' || value === null) return 1
    if (depth > limits.maxDepth) throw new ConfigParseError(`nesting is deeper than ${limits.maxDepth} levels`, source)
    const known = sizes.get(value)
    if (known !== undefined) return known
    let n = 1
    if (!Array.isArray(value) && Object.hasOwn(value, '__proto__')) {
      throw new ConfigParseError(`the key '__proto__' is not allowed`, source)
    }
    const children = Array.isArray(value) ? value : Object.values(value)
    for (const child of children) {
      n += size(child, depth + 1)
      if (n > limits.maxNodes) {
        throw new ConfigParseError(`document expands to more than ${limits.maxNodes} values (too many aliases?)`, source)
      }
    }
    sizes.set(value, n)
    return n
  }
  size(root, 0)
}
