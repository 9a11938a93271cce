/**
 * The bytes the config hash reads: a compact encoding of plain data in which equal data gives
 * equal bytes and different data different bytes. Every string and list says its length up
 * front, so nothing needs escaping; JSON.stringify per entity cost about half as much again at
 * tens of thousands of entities. An object is its keys and values, keys sorted, then an end
 * byte. The encoding is part of the hash's definition (README, "The configuration hash").
 */

const STRING = 0x73
const NUMBER = 0x6e
const TRUE = 0x74
const FALSE = 0x66
const NULL = 0x7a
const ARRAY = 0x61
const OBJECT = 0x6f
const END = 0x65
/** Precedes a UTF-16 code unit of 0x80 or more, as two bytes; ASCII is one byte as is. */
const WIDE = 0xff

/** Writes values into one growing buffer, reused from row to row. */
export class RowBytes {
  #buf = new Uint8Array(4096)
  #at = 0
  readonly #number = new Float64Array(1)
  readonly #numberBytes = new Uint8Array(this.#number.buffer)

  /** Starts a new row. */
  reset(): void {
    this.#at = 0
  }

  /** The bytes written since the last reset (a view, valid until the next write). */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#at)
  }

  /** A non-negative integer in LEB128, as lengths and field indexes are written. */
  count(n: number): void {
    this.#room(5)
    while (n >= 0x80) {
      this.#buf[this.#at++] = (n & 0x7f) | 0x80
      n >>>= 7
    }
    this.#buf[this.#at++] = n
  }

  /** Any JSON value; `undefined` is written as null. */
  value(v: unknown): void {
    switch (typeof v) {
      case 'string':
        this.string(v)
        return
      case 'number':
        this.#number[0] = v + 0 // -0 and 0 are the same number to JSON
        this.#room(9)
        this.#buf[this.#at++] = NUMBER
        this.#buf.set(this.#numberBytes, this.#at)
        this.#at += 8
        return
      case 'boolean':
        this.#room(1)
        this.#buf[this.#at++] = v ? TRUE : FALSE
        return
      case 'object':
        if (v === null) break
        if (Array.isArray(v)) {
          this.#room(1)
          this.#buf[this.#at++] = ARRAY
          this.count(v.length)
          for (let i = 0; i < v.length; i++) this.value(v[i])
        } else {
          const record = v as Record<string, unknown>
          this.open()
          for (const key of Object.keys(record).sort()) {
            this.string(key)
            this.value(record[key])
          }
          this.close()
        }
        return
    }
    this.#room(1)
    this.#buf[this.#at++] = NULL
  }

  /** Starts a list of `length` values, which follow. */
  list(length: number): void {
    this.#room(1)
    this.#buf[this.#at++] = ARRAY
    this.count(length)
  }

  /** Starts an object: its keys and values follow, then close(). */
  open(): void {
    this.#room(1)
    this.#buf[this.#at++] = OBJECT
  }

  /** Ends an object. */
  close(): void {
    this.#room(1)
    this.#buf[this.#at++] = END
  }

  /** Where the next byte goes, to come back to with truncate(). */
  get position(): number {
    return this.#at
  }

  /** Drops everything written after `position`. */
  truncate(position: number): void {
    this.#at = position
  }

  /** Bytes as they are (a key encoded once with string()). */
  raw(bytes: Uint8Array): void {
    this.#room(bytes.length)
    this.#buf.set(bytes, this.#at)
    this.#at += bytes.length
  }

  /** A string: its length in UTF-16 code units, then each unit. */
  string(s: string): void {
    const length = s.length
    this.#room(1)
    this.#buf[this.#at++] = STRING
    this.count(length)
    this.#room(3 * length)
    const buf = this.#buf
    let at = this.#at
    for (let i = 0; i < length; i++) {
      const c = s.charCodeAt(i)
      if (c < 0x80) {
        buf[at++] = c
      } else {
        buf[at++] = WIDE
        buf[at++] = c >> 8
        buf[at++] = c & 0xff
      }
    }
    this.#at = at
  }

  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#at + n))
    grown.set(this.#buf.subarray(0, this.#at))
    this.#buf = grown
  }
}
