/**
 * Sets of Unicode scalar values as sorted range lists, with the set operations, Unicode
 * properties and simple case folding that a regex translator needs. Property contents and case
 * folding are read from V8's own Unicode data (`\p{…}` and the `iu` flags), computed once per
 * process on first use, so no Unicode table is kept in this repository.
 */

/** Inclusive ranges `[lo0, hi0, lo1, hi1, …]`: sorted, disjoint, not adjacent. */
export type CodePointSet = readonly number[]

export const MAX_CODE_POINT = 0x10ffff
const SURROGATES: CodePointSet = [0xd800, 0xdfff]

/** Sorts and merges arbitrary `[lo, hi]` pairs into a set. */
export function fromPairs(pairs: readonly (readonly [number, number])[]): CodePointSet {
  const sorted = [...pairs].filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0])
  const out: number[] = []
  for (const [lo, hi] of sorted) {
    const last = out.length - 1
    if (last > 0 && lo <= out[last] + 1) {
      if (hi > out[last]) out[last] = hi
    } else out.push(lo, hi)
  }
  return out
}

/** The set of one code point. */
export function single(cp: number): CodePointSet {
  return [cp, cp]
}

/** a ∪ b. */
export function union(a: CodePointSet, b: CodePointSet): CodePointSet {
  if (a.length === 0) return b
  if (b.length === 0) return a
  const pairs: [number, number][] = []
  for (let i = 0; i < a.length; i += 2) pairs.push([a[i], a[i + 1]])
  for (let i = 0; i < b.length; i += 2) pairs.push([b[i], b[i + 1]])
  return fromPairs(pairs)
}

/** Every scalar value not in `a` (surrogates are never members). */
export function negate(a: CodePointSet): CodePointSet {
  return minusSurrogates(complementAll(a))
}

/** a ∩ b. */
export function intersect(a: CodePointSet, b: CodePointSet): CodePointSet {
  const out: number[] = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i], b[j])
    const hi = Math.min(a[i + 1], b[j + 1])
    if (lo <= hi) out.push(lo, hi)
    if (a[i + 1] < b[j + 1]) i += 2
    else j += 2
  }
  return out
}

/** a − b. */
export function difference(a: CodePointSet, b: CodePointSet): CodePointSet {
  return intersect(a, complementAll(b))
}

/** (a − b) ∪ (b − a). */
export function symmetricDifference(a: CodePointSet, b: CodePointSet): CodePointSet {
  return union(difference(a, b), difference(b, a))
}

/** Whether `cp` is in `a`. */
export function has(a: CodePointSet, cp: number): boolean {
  let lo = 0
  let hi = a.length / 2 - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (cp < a[mid * 2]) hi = mid - 1
    else if (cp > a[mid * 2 + 1]) lo = mid + 1
    else return true
  }
  return false
}

// The complement over every code point, surrogates included: only for difference().
function complementAll(a: CodePointSet): CodePointSet {
  const out: number[] = []
  let next = 0
  for (let i = 0; i < a.length; i += 2) {
    if (a[i] > next) out.push(next, a[i] - 1)
    next = a[i + 1] + 1
  }
  if (next <= MAX_CODE_POINT) out.push(next, MAX_CODE_POINT)
  return out
}

function minusSurrogates(a: CodePointSet): CodePointSet {
  return intersect(a, complementAll(SURROGATES))
}

// Every scalar value once, in order: the text a `\p{…}` regex is run over to read its ranges.
let everyScalar: string | undefined

function allScalars(): string {
  if (everyScalar === undefined) {
    const parts: string[] = []
    let chunk: number[] = []
    for (let cp = 0; cp <= MAX_CODE_POINT; cp++) {
      if (cp === 0xd800) cp = 0xe000
      chunk.push(cp)
      if (chunk.length === 8192) {
        parts.push(String.fromCodePoint(...chunk))
        chunk = []
      }
    }
    parts.push(String.fromCodePoint(...chunk))
    everyScalar = parts.join('')
  }
  return everyScalar
}

const propertyCache = new Map<string, CodePointSet>()

/**
 * The members of a V8 `u`-mode class body such as `\p{Alphabetic}` or `\p{Script=Greek}`, or
 * undefined when V8 does not know the property. Each class is computed once per process.
 */
export function v8Class(body: string): CodePointSet | undefined {
  const cached = propertyCache.get(body)
  if (cached) return cached
  let re: RegExp
  try {
    re = new RegExp(`[${body}]+`, 'gu')
  } catch {
    return undefined
  }
  const text = allScalars()
  const out: number[] = []
  for (const m of text.matchAll(re)) {
    const first = m[0].codePointAt(0) ?? 0
    const last = lastCodePoint(m[0])
    // Runs that cross the surrogate gap are contiguous in the text but not in code points.
    if (first < 0xd800 && last >= 0xe000) out.push(first, 0xd7ff, 0xe000, last)
    else out.push(first, last)
  }
  const set = fromPairs(pairsOf(out))
  propertyCache.set(body, set)
  return set
}

// The text holds no lone surrogate, so a trailing low surrogate always ends a pair.
function lastCodePoint(s: string): number {
  const end = s.length - 1
  const unit = s.charCodeAt(end)
  return (unit >= 0xdc00 && unit <= 0xdfff && end > 0 ? s.codePointAt(end - 1) : s.codePointAt(end)) ?? 0
}

function pairsOf(flat: readonly number[]): [number, number][] {
  const pairs: [number, number][] = []
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]])
  return pairs
}

// Simple case folding orbits (Unicode CaseFolding.txt, statuses C and S, closed into classes of
// equivalent code points): every member maps to its whole orbit, sorted.
let orbitTable: Map<number, readonly number[]> | undefined

function orbits(): Map<number, readonly number[]> {
  if (orbitTable) return orbitTable
  const parent = new Map<number, number>()
  const find = (x: number): number => {
    let r = x
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r) ?? r
    parent.set(x, r)
    return r
  }
  const link = (a: number, b: number): void => {
    const ra = find(a)
    const rb = find(b)
    if (ra !== rb) parent.set(ra, rb)
  }
  // V8's `iu` mode compares characters by exactly this folding (ECMA-262 Canonicalize), so it is
  // the oracle; case mappings only propose the candidates it confirms.
  const changes = v8Class('\\p{Changes_When_Casefolded}') ?? []
  const single = (s: string): number | undefined => {
    const cp = s.codePointAt(0)
    return cp !== undefined && String.fromCodePoint(cp) === s ? cp : undefined
  }
  for (let i = 0; i < changes.length; i += 2) {
    for (let cp = changes[i]; cp <= changes[i + 1]; cp++) {
      const ch = String.fromCodePoint(cp)
      const lower = ch.toLowerCase()
      const upper = ch.toUpperCase()
      const candidates = [lower, upper, upper.toLowerCase(), lower.toUpperCase()]
      const re = new RegExp(`^\\u{${cp.toString(16)}}$`, 'iu')
      for (const candidate of candidates) {
        const c = single(candidate)
        if (c !== undefined && c !== cp && re.test(candidate)) link(cp, c)
      }
    }
  }
  const members = new Map<number, number[]>()
  for (const cp of parent.keys()) {
    const root = find(cp)
    const list = members.get(root) ?? []
    list.push(cp)
    members.set(root, list)
  }
  orbitTable = new Map()
  for (const list of members.values()) {
    if (list.length < 2) continue
    list.sort((a, b) => a - b)
    for (const cp of list) orbitTable.set(cp, list)
  }
  return orbitTable
}

/** The code points equivalent to `cp` under simple case folding (itself included). */
export function caseOrbit(cp: number): readonly number[] {
  return orbits().get(cp) ?? [cp]
}

/** `a` closed under simple case folding. */
export function caseFold(a: CodePointSet): CodePointSet {
  const extra: [number, number][] = []
  for (const [cp, orbit] of orbits()) {
    if (has(a, cp)) for (const other of orbit) if (!has(a, other)) extra.push([other, other])
  }
  return extra.length === 0 ? a : union(a, fromPairs(extra))
}

/** `a` closed under ASCII-only case folding (`(?-u)` mode). */
export function asciiCaseFold(a: CodePointSet): CodePointSet {
  const extra: [number, number][] = []
  for (let c = 0x41; c <= 0x5a; c++) {
    if (has(a, c)) extra.push([c + 32, c + 32])
    if (has(a, c + 32)) extra.push([c, c])
  }
  return union(a, fromPairs(extra))
}
