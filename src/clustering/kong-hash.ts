/**
 * Kong's hybrid-mode configuration hash, as a Kong control plane computes it before a push
 * (`calculate_config_hash` in kong/clustering/config_helper.lua): a canonical serialisation of
 * the config table, MD5-hashed per group (routes, services, plugins, upstreams, targets, the rest).
 * Pure: a data plane uses it to check the hash a control plane sent with its config.
 */
import { createHash } from 'node:crypto'
import { EMPTY_CONFIG_HASH, HASH_GROUPS } from '../declarative/hash.js'
import type { WireHashes } from './protocol.js'

/**
 * Kong replaces the buffer with its MD5 digest before serialising a value once it holds more
 * than this many bytes, so a large config hashes in bounded memory; the hash depends on it.
 */
const FOLD_ABOVE = 1_000_000
const START_BYTES = 64 * 1024
/** Strings up to this length are copied byte by byte when ASCII. */
const SHORT_TEXT = 64

const SEMICOLON = 0x3b
const COLON = 0x3a

/** The six hashes a reconfigure frame carries. */
export type KongConfigHashes = WireHashes

/** The byte buffer Kong's `string.buffer` is, with Kong's fold-into-MD5 rule. */
class CanonicalBuffer {
  #buf = Buffer.allocUnsafe(START_BYTES)
  #len = 0

  /** Empties the buffer for the next group. */
  reset(): void {
    this.#len = 0
  }

  /** Kong's check before each value: past the limit, the buffer becomes its own raw MD5. */
  fold(): void {
    if (this.#len > FOLD_ABOVE) {
      const digest = createHash('md5').update(this.#buf.subarray(0, this.#len)).digest()
      digest.copy(this.#buf, 0)
      this.#len = digest.length
    }
  }

  /** Appends one byte. */
  byte(b: number): void {
    if (this.#len === this.#buf.length) this.#reserve(1)
    this.#buf[this.#len++] = b
  }

  /** Appends a string as its UTF-8 bytes, as Lua holds a decoded JSON string. */
  text(s: string): void {
    // UTF-8 needs at most three bytes per UTF-16 code unit.
    if (this.#len + s.length * 3 > this.#buf.length) this.#reserve(s.length * 3)
    if (s.length <= SHORT_TEXT) {
      // Most strings of a config are short ASCII, copied here faster than Buffer#write's native call.
      const buf = this.#buf
      let at = this.#len
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i)
        if (c >= 0x80) {
          this.#len += this.#buf.write(s, this.#len, 'utf8')
          return
        }
        buf[at++] = c
      }
      this.#len = at
      return
    }
    this.#len += this.#buf.write(s, this.#len, 'utf8')
  }

  /** The MD5 of the content, as lowercase hex. */
  md5Hex(): string {
    return createHash('md5').update(this.#buf.subarray(0, this.#len)).digest('hex')
  }

  #reserve(extra: number): void {
    let size = this.#buf.length * 2
    while (size < this.#len + extra) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.#buf.copy(next, 0, 0, this.#len)
    this.#buf = next
  }
}

/**
 * A number as LuaJIT's `tostring` writes it: C's `%.14g` (exact, ties rounded away from zero
 * as LuaJIT's own formatter does), `-0` for negative zero, `inf`, `-inf` and `nan`.
 */
export function luaNumberToString(n: number): string {
  // Integers of up to 14 digits print as themselves under %.14g.
  if (Number.isInteger(n) && n < 1e14 && n > -1e14) return n === 0 && 1 / n < 0 ? '-0' : String(n)
  if (Number.isNaN(n)) return 'nan'
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf'
  // toExponential rounds exactly and, on a tie, to the larger magnitude: LuaJIT's rounding.
  const e = n.toExponential(13)
  const sign = e.startsWith('-') ? '-' : ''
  const at = e.indexOf('e')
  const digits = e.slice(sign.length, at).replace('.', '')
  const exp = Number(e.slice(at + 1))
  if (exp < -4 || exp >= 14) {
    const mantissa = `${digits[0]}.${digits.slice(1)}`.replace(/\.?0+$/, '')
    const abs = Math.abs(exp)
    return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`
  }
  const whole = exp >= 0 ? digits.slice(0, exp + 1) : '0'
  const fraction = (exp >= 0 ? digits.slice(exp + 1) : '0'.repeat(-exp - 1) + digits).replace(/0+$/, '')
  return fraction === '' ? `${sign}${whole}` : `${sign}${whole}.${fraction}`
}

/** Surrogates (code points past U+FFFF) encode above U+E000..U+FFFF in UTF-8, below in UTF-16. */
function utf8Rank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000
}

/** Orders strings by their UTF-8 bytes, as LuaJIT compares strings (table.sort on keys). */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return x >= 0xd800 && y >= 0xd800 ? utf8Rank(x) - utf8Rank(y) : x - y
  }
  return a.length - b.length
}

/** The keys a Lua table decoded from this object has: a key set to undefined is no key in Lua. */
function presentKeys(value: Readonly<Record<string, unknown>>, skip?: ReadonlySet<string>): string[] {
  const keys: string[] = []
  for (const key of Object.keys(value)) if (value[key] !== undefined && !skip?.has(key)) keys.push(key)
  return keys
}

/** Kong's `to_sorted_string`: appends the canonical form of a JSON value. */
function serialise(value: unknown, out: CanonicalBuffer, skip?: ReadonlySet<string>): void {
  out.fold()
  if (value === null) return out.text('/null/')
  switch (typeof value) {
    case 'string':
      return out.text(value)
    case 'number':
      return out.text(luaNumberToString(value))
    case 'boolean':
      return out.text(value ? 'true' : 'false')
    case 'object':
      break
    default:
      throw new TypeError(`invalid type to be sorted (JSON types are supported): ${typeof value}`)
  }
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value
    // A JSON array is a Lua sequence; an empty one is the same empty table as `{}`.
    if (items.length === 0) return out.text('{}')
    if (items.length <= 5) {
      for (let i = 0; i < items.length; i++) {
        if (i > 0) out.byte(SEMICOLON)
        serialise(items[i], out)
      }
    } else {
      for (const item of items) {
        serialise(item, out)
        out.byte(SEMICOLON)
      }
    }
    return
  }
  const record = value as Readonly<Record<string, unknown>>
  const keys = presentKeys(record, skip)
  if (keys.length === 0) return out.text('{}')
  keys.sort(compareUtf8)
  for (const key of keys) {
    out.text(key)
    out.byte(COLON)
    serialise(record[key], out)
    out.byte(SEMICOLON)
  }
}

/** Kong's `calculate_hash`: 32 zeros for an absent value, else the MD5 of its canonical form. */
function groupHash(value: unknown, out: CanonicalBuffer, skip?: ReadonlySet<string>): string {
  if (value === undefined) return EMPTY_CONFIG_HASH
  out.reset()
  serialise(value, out, skip)
  return out.md5Hex()
}

/** The collections Kong hashes on their own; the rest of the table is hashed together. */
const GROUP_KEYS: ReadonlySet<string> = new Set(HASH_GROUPS)

/**
 * Kong's hybrid config hash of a config table (a JSON value) and its group hashes. For a value
 * that is not a table (Kong returns only `config` then) and for `undefined` (Kong's nil, 32 zeros),
 * the group hashes are 32 zeros, as a Kong data plane fills them. Throws a TypeError for a value
 * JSON cannot hold (a function, a symbol, a bigint, undefined in an array).
 */
export function kongConfigHash(config: unknown): KongConfigHashes {
  const out = new CanonicalBuffer()
  if (typeof config !== 'object' || config === null) {
    const hash = groupHash(config, out)
    return { config: hash, routes: EMPTY_CONFIG_HASH, services: EMPTY_CONFIG_HASH, plugins: EMPTY_CONFIG_HASH, upstreams: EMPTY_CONFIG_HASH, targets: EMPTY_CONFIG_HASH }
  }
  // A JSON array is a Lua table too: its group fields are absent and it is all "rest".
  const table: Readonly<Record<string, unknown>> = Array.isArray(config) ? {} : (config as Readonly<Record<string, unknown>>)
  const routes = groupHash(table.routes, out)
  const services = groupHash(table.services, out)
  const plugins = groupHash(table.plugins, out)
  const upstreams = groupHash(table.upstreams, out)
  const targets = groupHash(table.targets, out)
  const rest = groupHash(config, out, Array.isArray(config) ? undefined : GROUP_KEYS)
  const hash = createHash('md5').update(`${routes}${services}${plugins}${upstreams}${targets}${rest}`).digest('hex')
  return { config: hash, routes, services, plugins, upstreams, targets }
}
