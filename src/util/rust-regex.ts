/**
 * Kong 3.x route regexes: the syntax of Rust's `regex` crate (regex-syntax 0.8, as Kong's
 * atc-router builds it), parsed here and translated to an RE2 pattern whose every class is
 * spelled out as code point ranges, so RE2 (linear time, no backtracking) matches what the Rust
 * crate would. Kong also dry-runs route paths through PCRE; the few things PCRE refuses that Rust
 * accepts are refused too (`pcre` option). Where RE2 cannot say what Rust means, the pattern is
 * refused with the reason, except `\b`/`\B`, which RE2 evaluates with ASCII word characters.
 */
import RE2 from 're2'
import { asciiLower } from './ascii.js'
import {
  asciiCaseFold,
  caseFold,
  caseOrbit,
  type CodePointSet,
  difference,
  fromPairs,
  intersect,
  MAX_CODE_POINT,
  negate,
  single,
  symmetricDifference,
  union,
  v8Class,
} from './unicode-sets.js'

/** A route regex translated for RE2. */
export interface TranslatedRegex {
  /** RE2 syntax; capture groups keep their Rust numbering. */
  readonly source: string
  /** Number of capture groups (group 0 excluded). */
  readonly groups: number
  /** Name of each capture group by index (index 0 unused). */
  readonly names: readonly (string | undefined)[]
}

/** Why a pattern is refused, and whose rule refuses it. */
export interface RegexError {
  /** `pcre`: Kong's PCRE dry run refuses it too; `rust`: only the Rust crate; `engine`: ours. */
  readonly by: 'pcre' | 'rust' | 'engine'
  readonly reason: string
}

/** Options of a translation. */
export interface TranslateOptions {
  /** Also refuse what Kong's PCRE dry run of route paths refuses. */
  readonly pcre?: boolean
}

/** Rust's default nesting limit (regex::RegexBuilder::nest_limit). */
const NEST_LIMIT = 250
/** RE2's largest counted repetition. */
const MAX_REPEAT = 1000

interface Flags {
  i: boolean
  m: boolean
  s: boolean
  U: boolean
  u: boolean
  R: boolean
  x: boolean
}

/** A translated piece and whether a repetition may follow it without a wrapping group. */
interface Piece {
  readonly src: string
  readonly atom: boolean
}

class Refusal extends Error {
  constructor(readonly by: RegexError['by'], readonly reason: string) {
    super(reason)
  }
}

const rust = (reason: string): Refusal => new Refusal('rust', reason)
const pcre = (reason: string): Refusal => new Refusal('pcre', reason)
const engine = (reason: string): Refusal => new Refusal('engine', reason)

const ASCII_CLASSES: Readonly<Record<string, CodePointSet>> = {
  alnum: fromPairs([[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]]),
  alpha: fromPairs([[0x41, 0x5a], [0x61, 0x7a]]),
  ascii: [0, 0x7f],
  blank: fromPairs([[0x09, 0x09], [0x20, 0x20]]),
  cntrl: fromPairs([[0, 0x1f], [0x7f, 0x7f]]),
  digit: [0x30, 0x39],
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: fromPairs([[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]]),
  space: fromPairs([[0x09, 0x0d], [0x20, 0x20]]),
  upper: [0x41, 0x5a],
  word: fromPairs([[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]]),
  xdigit: fromPairs([[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]]),
}

const ASCII_DIGIT = ASCII_CLASSES.digit
const ASCII_SPACE = fromPairs([[0x09, 0x0d], [0x20, 0x20]])
const ASCII_WORD = ASCII_CLASSES.word
const ASCII_ONLY: CodePointSet = [0, 0x7f]
const BYTES: CodePointSet = [0, 0xff]

// The Unicode meaning of \d, \s and \w in Rust (UTS#18 annex C, as regex-syntax defines them).
const perlDigit = (): CodePointSet => v8Class('\\p{Nd}') ?? []
const perlSpace = (): CodePointSet => v8Class('\\p{White_Space}') ?? []
const perlWord = (): CodePointSet => v8Class('\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}') ?? []

/** UAX44-LM3 loose matching, as regex-syntax normalizes property names and values. */
function loose(name: string): string {
  const stripped = /^is/i.test(name) ? name.slice(2) : name
  let out = ''
  for (const ch of stripped) {
    const c = ch.charCodeAt(0)
    if (ch === ' ' || ch === '_' || ch === '-' || c > 0x7f) continue
    out += ch.toLowerCase()
  }
  return out
}

// General categories by loose name (long names, short names, and the aliases Unicode lists).
const GENERAL_CATEGORIES: ReadonlyMap<string, string> = new Map(
  (
    [
      ['L', 'Letter'], ['LC', 'Cased_Letter'], ['Lu', 'Uppercase_Letter'], ['Ll', 'Lowercase_Letter'],
      ['Lt', 'Titlecase_Letter'], ['Lm', 'Modifier_Letter'], ['Lo', 'Other_Letter'], ['M', 'Mark', 'Combining_Mark'],
      ['Mn', 'Nonspacing_Mark'], ['Mc', 'Spacing_Mark'], ['Me', 'Enclosing_Mark'], ['N', 'Number'],
      ['Nd', 'Decimal_Number', 'digit'], ['Nl', 'Letter_Number'], ['No', 'Other_Number'], ['P', 'Punctuation', 'punct'],
      ['Pc', 'Connector_Punctuation'], ['Pd', 'Dash_Punctuation'], ['Ps', 'Open_Punctuation'], ['Pe', 'Close_Punctuation'],
      ['Pi', 'Initial_Punctuation'], ['Pf', 'Final_Punctuation'], ['Po', 'Other_Punctuation'], ['S', 'Symbol'],
      ['Sm', 'Math_Symbol'], ['Sc', 'Currency_Symbol'], ['Sk', 'Modifier_Symbol'], ['So', 'Other_Symbol'],
      ['Z', 'Separator'], ['Zs', 'Space_Separator'], ['Zl', 'Line_Separator'], ['Zp', 'Paragraph_Separator'],
      ['C', 'Other'], ['Cc', 'Control', 'cntrl'], ['Cf', 'Format'], ['Cs', 'Surrogate'], ['Co', 'Private_Use'],
      ['Cn', 'Unassigned'],
    ] as const
  ).flatMap((names) => names.map((n) => [loose(n), `\\p{gc=${names[0]}}`] as const)),
)

// Binary properties V8 knows (ECMA-262's table), by loose long name and alias.
const BINARY_PROPERTIES: ReadonlyMap<string, string> = new Map(
  (
    [
      ['ASCII_Hex_Digit', 'AHex'], ['Alphabetic', 'Alpha'], ['Bidi_Control', 'Bidi_C'], ['Bidi_Mirrored', 'Bidi_M'],
      ['Case_Ignorable', 'CI'], ['Cased'], ['Changes_When_Casefolded', 'CWCF'], ['Changes_When_Casemapped', 'CWCM'],
      ['Changes_When_Lowercased', 'CWL'], ['Changes_When_NFKC_Casefolded', 'CWKCF'], ['Changes_When_Titlecased', 'CWT'],
      ['Changes_When_Uppercased', 'CWU'], ['Dash'], ['Default_Ignorable_Code_Point', 'DI'], ['Deprecated', 'Dep'],
      ['Diacritic', 'Dia'], ['Emoji'], ['Emoji_Component', 'EComp'], ['Emoji_Modifier', 'EMod'],
      ['Emoji_Modifier_Base', 'EBase'], ['Emoji_Presentation', 'EPres'], ['Extended_Pictographic', 'ExtPict'],
      ['Extender', 'Ext'], ['Grapheme_Base', 'Gr_Base'], ['Grapheme_Extend', 'Gr_Ext'], ['Hex_Digit', 'Hex'],
      ['IDS_Binary_Operator', 'IDSB'], ['IDS_Trinary_Operator', 'IDST'], ['ID_Continue', 'IDC'], ['ID_Start', 'IDS'],
      ['Ideographic', 'Ideo'], ['Join_Control', 'Join_C'], ['Logical_Order_Exception', 'LOE'], ['Lowercase', 'Lower'],
      ['Math'], ['Noncharacter_Code_Point', 'NChar'], ['Pattern_Syntax', 'Pat_Syn'], ['Pattern_White_Space', 'Pat_WS'],
      ['Quotation_Mark', 'QMark'], ['Radical'], ['Regional_Indicator', 'RI'], ['Sentence_Terminal', 'STerm'],
      ['Soft_Dotted', 'SD'], ['Terminal_Punctuation', 'Term'], ['Unified_Ideograph', 'UIdeo'], ['Uppercase', 'Upper'],
      ['Variation_Selector', 'VS'], ['White_Space', 'space'], ['XID_Continue', 'XIDC'], ['XID_Start', 'XIDS'],
    ] as const
  ).flatMap((names) => names.map((n) => [loose(n), `\\p{${names[0]}}`] as const)),
)

const SPECIAL_CLASSES: ReadonlyMap<string, string> = new Map([
  ['any', '\\p{Any}'],
  ['assigned', '\\p{Assigned}'],
  ['ascii', '\\p{ASCII}'],
])

/** V8 spellings to try for a script named loosely (`greek`, `Old Italic`, `grek`). */
function scriptCandidates(value: string): string[] {
  const words = value.replace(/^is(?=[A-Z_\s-])/i, '').split(/[\s_-]+/).filter((w) => w !== '')
  const title = words.map((w) => w[0].toUpperCase() + w.slice(1).toLowerCase()).join('_')
  return [value, title]
}

function script(value: string, property: 'Script' | 'Script_Extensions'): CodePointSet | undefined {
  for (const candidate of scriptCandidates(value)) {
    if (!/^[A-Za-z_]+$/.test(candidate)) continue
    const set = v8Class(`\\p{${property}=${candidate}}`)
    if (set) return set
  }
  return undefined
}

const NOT_RESOLVED = 'Unicode property not found'

/** The members of `\p{body}` as Rust resolves the name (property, then category, then script). */
function unicodeProperty(body: string): CodePointSet {
  const op = body.includes('!=') ? '!=' : body.includes(':') ? ':' : body.includes('=') ? '=' : undefined
  if (op === undefined) {
    const norm = loose(body)
    const v8 =
      (norm !== 'cf' && norm !== 'sc' && norm !== 'lc' ? BINARY_PROPERTIES.get(norm) : undefined) ??
      SPECIAL_CLASSES.get(norm) ??
      GENERAL_CATEGORIES.get(norm)
    const set = v8 !== undefined ? v8Class(v8) : script(body.trim(), 'Script')
    if (!set) throw rust(NOT_RESOLVED)
    return set
  }
  const at = body.indexOf(op)
  const name = loose(body.slice(0, at))
  const value = body.slice(at + op.length)
  let set: CodePointSet | undefined
  if (name === 'gc' || name === 'generalcategory') {
    const v8 = GENERAL_CATEGORIES.get(loose(value)) ?? SPECIAL_CLASSES.get(loose(value))
    if (v8 === undefined) throw rust('Unicode property value not found')
    set = v8Class(v8)
  } else if (name === 'sc' || name === 'script') {
    set = script(value.trim(), 'Script')
    if (!set) throw rust('Unicode property value not found')
  } else if (name === 'scx' || name === 'scriptextensions') {
    set = script(value.trim(), 'Script_Extensions')
    if (!set) throw rust('Unicode property value not found')
  } else if (['age', 'gcb', 'graphemeclusterbreak', 'wb', 'wordbreak', 'sb', 'sentencebreak'].includes(name)) {
    throw engine(`the Unicode property '${body}' is not supported`)
  } else {
    throw rust(NOT_RESOLVED)
  }
  if (!set) throw rust('Unicode property value not found')
  return op === '!=' ? negate(set) : set
}

const isAlphabetic = (cp: number): boolean => /\p{Alphabetic}/u.test(String.fromCodePoint(cp))
const isNumeric = (cp: number): boolean => /\p{N}/u.test(String.fromCodePoint(cp))
const isWhitespace = (cp: number): boolean => /\p{White_Space}/u.test(String.fromCodePoint(cp))
const isHex = (cp: number): boolean => (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x46) || (cp >= 0x61 && cp <= 0x66)
const isAsciiAlnum = (cp: number): boolean => (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)
const META = new Set([...'\\.+*?()|[]{}^$#&-~'].map((c) => c.charCodeAt(0)))

/** Whether Rust allows `\c` as a superfluous escape of `c` (any ASCII but letters, digits, `<`, `>`). */
function isEscapeable(cp: number): boolean {
  if (META.has(cp)) return true
  if (cp > 0x7f) return false
  return !isAsciiAlnum(cp) && cp !== 0x3c && cp !== 0x3e
}

const hex = (cp: number): string => cp.toString(16)
const CH = (s: string): number => s.charCodeAt(0)

/** A literal code point in RE2 syntax. */
function literal(cp: number): string {
  return isAsciiAlnum(cp) ? String.fromCharCode(cp) : `\\x{${hex(cp)}}`
}

// Sources of the big shared sets (\d, \w, properties), written once.
const classSources = new WeakMap<CodePointSet, Piece>()

/** A set in RE2 syntax: one literal, or a bracketed list of ranges. */
function classSource(set: CodePointSet): Piece {
  if (set.length < 16) return writeClass(set)
  let piece = classSources.get(set)
  if (!piece) classSources.set(set, (piece = writeClass(set)))
  return piece
}

function writeClass(set: CodePointSet): Piece {
  if (set.length === 0) return { src: `[^\\x{0}-\\x{${hex(MAX_CODE_POINT)}}]`, atom: true }
  if (set.length === 2 && set[0] === set[1]) return { src: literal(set[0]), atom: true }
  let src = '['
  for (let i = 0; i < set.length; i += 2) {
    src += set[i] === set[i + 1] ? `\\x{${hex(set[i])}}` : `\\x{${hex(set[i])}}-\\x{${hex(set[i + 1])}}`
  }
  return { src: `${src}]`, atom: true }
}

/** One class item while a bracketed class is parsed: a set, or a single code point that may start a range. */
type ClassItem = { readonly set: CodePointSet; readonly cp?: number }

class Parser {
  readonly cps: number[]
  pos = 0
  captures = 0
  readonly names: (string | undefined)[] = [undefined]
  private readonly seenNames = new Set<string>()

  constructor(pattern: string, private readonly opts: TranslateOptions) {
    this.cps = Array.from(pattern, (c) => c.codePointAt(0) ?? 0)
  }

  get eof(): boolean {
    return this.pos >= this.cps.length
  }

  get c(): number {
    return this.cps[this.pos]
  }

  peekIs(s: string, offset = 0): boolean {
    for (let k = 0; k < s.length; k++) if (this.cps[this.pos + offset + k] !== s.charCodeAt(k)) return false
    return true
  }

  bumpIf(s: string): boolean {
    if (!this.peekIs(s)) return false
    this.pos += s.length
    return true
  }

  /** In `x` mode, skips whitespace and `#` comments. */
  space(flags: Flags): void {
    if (!flags.x) return
    while (!this.eof) {
      if (isWhitespace(this.c)) this.pos++
      else if (this.c === CH('#')) {
        while (!this.eof && this.c !== CH('\n')) this.pos++
      } else break
    }
  }

  /** Bumps one character, then skips space in `x` mode; false at the end of the pattern. */
  bumpSpace(flags: Flags): boolean {
    this.pos++
    this.space(flags)
    return !this.eof
  }

  /** An alternation up to `)` or the end, at nesting `depth`. */
  alternation(flags: Flags, depth: number): Piece {
    if (depth > NEST_LIMIT) throw rust(`exceed the maximum number of nested parentheses/brackets (${NEST_LIMIT})`)
    const branches = [this.concat(flags, depth)]
    while (!this.eof && this.c === CH('|')) {
      this.pos++
      branches.push(this.concat(flags, depth))
    }
    if (branches.length === 1) return branches[0]
    return { src: branches.map((b) => b.src).join('|'), atom: false }
  }

  concat(flags: Flags, depth: number): Piece {
    const items: (Piece & { flagsOnly?: boolean })[] = []
    for (;;) {
      this.space(flags)
      if (this.eof || this.c === CH('|') || this.c === CH(')')) break
      const c = this.c
      if (c === CH('(')) {
        const group = this.group(flags, depth)
        items.push(group ?? { src: '', atom: false, flagsOnly: true })
      } else if (c === CH('[')) {
        const set = this.bracketed(flags, depth + 1)
        if (!flags.u && intersect(set, [0x80, MAX_CODE_POINT]).length > 0) throw rust('pattern can match invalid UTF-8')
        items.push(classSource(set))
      } else if (c === CH('?') || c === CH('*') || c === CH('+')) {
        const last = items.pop()
        if (!last || last.flagsOnly) throw pcre('quantifier does not follow a repeatable item')
        this.pos++
        let greedy = !flags.U
        if (!this.eof && this.c === CH('?')) {
          greedy = !greedy
          this.pos++
        }
        items.push(repeat(last, String.fromCharCode(c), greedy))
      } else if (c === CH('{')) {
        const last = items.pop()
        if (!last || last.flagsOnly) throw pcre('quantifier does not follow a repeatable item')
        items.push(this.counted(last, flags))
      } else {
        items.push(this.primitive(flags))
      }
    }
    const real = items.filter((p) => !p.flagsOnly)
    if (real.length === 1) return real[0]
    return { src: real.map((p) => p.src).join(''), atom: false }
  }

  counted(operand: Piece, flags: Flags): Piece {
    if (!this.bumpSpace(flags)) throw rust('unclosed counted repetition')
    const min = this.decimal(flags)
    if (this.eof) throw rust('unclosed counted repetition')
    let op: string
    let max: number | undefined
    if (this.c === CH(',')) {
      if (!this.bumpSpace(flags)) throw rust('unclosed counted repetition')
      if (this.c !== CH('}')) {
        if (min === undefined) throw rust('repetition quantifier expects a valid decimal')
        max = this.decimal(flags)
        if (max === undefined) throw rust('repetition quantifier expects a valid decimal')
        op = `{${min},${max}}`
      } else {
        if (min === undefined) throw rust('repetition quantifier expects a valid decimal')
        op = `{${min},}`
      }
    } else {
      if (min === undefined) throw rust('repetition quantifier expects a valid decimal')
      op = `{${min}}`
    }
    if (this.eof || this.c !== CH('}')) throw rust('unclosed counted repetition')
    let greedy = !flags.U
    if (this.bumpSpace(flags) && this.c === CH('?')) {
      greedy = !greedy
      this.pos++
    }
    if (max !== undefined && min !== undefined && min > max) throw pcre('numbers out of order in {} quantifier')
    if ((min ?? 0) > MAX_REPEAT || (max ?? 0) > MAX_REPEAT) throw engine(`a counted repetition above ${MAX_REPEAT} is not supported`)
    return repeat(operand, op, greedy)
  }

  /** A decimal count, leading and trailing whitespace allowed (as Rust's parse_decimal); undefined when empty. */
  decimal(flags: Flags): number | undefined {
    while (!this.eof && isWhitespace(this.c)) this.pos++
    let digits = ''
    while (!this.eof && this.c >= 0x30 && this.c <= 0x39) {
      digits += String.fromCharCode(this.c)
      this.bumpSpace(flags)
    }
    while (!this.eof && isWhitespace(this.c)) this.bumpSpace(flags)
    if (digits === '') return undefined
    const n = Number(digits)
    if (n > 0xffffffff) throw rust('decimal literal invalid')
    return n
  }

  /** A group, or undefined for a flag setting `(?i)` that changes `flags` in place. */
  group(flags: Flags, depth: number): Piece | undefined {
    const open = this.pos
    this.pos++
    this.space(flags)
    if (this.peekIs('?=') || this.peekIs('?!') || this.peekIs('?<=') || this.peekIs('?<!')) {
      throw rust('look-around, including look-ahead and look-behind, is not supported')
    }
    let inner: Flags
    let capture: number | undefined
    let name: string | undefined
    if (this.bumpIf('?P<') || this.bumpIf('?<')) {
      capture = ++this.captures
      name = this.captureName()
      inner = { ...flags }
    } else if (this.bumpIf('?')) {
      if (this.eof) throw pcre('missing closing parenthesis')
      const set = this.flagItems(open)
      const end = this.c
      this.pos++
      if (end === CH(')')) {
        if (set.length === 0) throw pcre('quantifier does not follow a repeatable item')
        applyFlags(flags, set)
        return undefined
      }
      inner = { ...flags }
      applyFlags(inner, set)
    } else {
      capture = ++this.captures
      inner = { ...flags }
    }
    if (capture !== undefined) this.names[capture] = name
    const body = this.alternation(inner, depth + 1)
    if (this.eof) throw pcre('missing closing parenthesis')
    this.pos++
    return { src: capture !== undefined ? `(${body.src})` : `(?:${body.src})`, atom: true }
  }

  captureName(): string {
    const start = this.pos
    if (this.eof) throw rust('unclosed capture group name')
    while (!this.eof && this.c !== CH('>')) {
      const c = this.c
      const ok = this.pos === start ? c === CH('_') || isAlphabetic(c) : c === CH('_') || c === CH('.') || c === CH('[') || c === CH(']') || isAlphabetic(c) || isNumeric(c)
      if (!ok) throw rust('invalid capture group character')
      this.pos++
    }
    if (this.eof) throw rust('unclosed capture group name')
    const name = String.fromCodePoint(...this.cps.slice(start, this.pos))
    this.pos++
    if (name === '') throw rust('empty capture group name')
    if (this.seenNames.has(name)) throw pcre('two named subpatterns have the same name (PCRE2_DUPNAMES not set)')
    this.seenNames.add(name)
    if (this.opts.pcre) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw pcre('syntax error in subpattern name (missing terminator?)')
      if (name.length > 32) throw pcre('subpattern name is too long (maximum 32 code units)')
    }
    return name
  }

  /** The flag letters up to `:` or `)`, as [letter, on] pairs. */
  flagItems(open: number): [string, boolean][] {
    const items: [string, boolean][] = []
    const seen = new Set<string>()
    let negated = false
    let lastWasNegation = false
    while (!this.eof && this.c !== CH(':') && this.c !== CH(')')) {
      const ch = String.fromCodePoint(this.c)
      if (ch === '-') {
        if (negated) throw rust('flag negation operator repeated')
        negated = true
        lastWasNegation = true
      } else {
        lastWasNegation = false
        if (!'imsUuRx'.includes(ch)) throw rust('unrecognized flag')
        if (seen.has(ch)) throw rust('duplicate flag')
        seen.add(ch)
        items.push([ch, !negated])
      }
      this.pos++
    }
    if (this.eof) throw rust('expected flag but got end of regex')
    if (lastWasNegation) throw rust('dangling flag negation operator')
    // PCRE knows i, m, s, x and U; a lone `(?R)` is its recursion, which it accepts.
    const text = String.fromCodePoint(...this.cps.slice(open + 2, this.pos))
    if (this.opts.pcre && /[uR]/.test(text) && !(text === 'R' && this.c === CH(')'))) {
      throw pcre('unrecognized character after (? or (?-')
    }
    return items
  }

  primitive(flags: Flags): Piece {
    const c = this.c
    if (c === CH('\\')) return this.escapePiece(flags)
    this.pos++
    if (c === CH('.')) {
      if (!flags.u) throw rust('pattern can match invalid UTF-8')
      if (flags.s) return classSource(negate([]))
      return classSource(negate(flags.R ? fromPairs([[0x0a, 0x0a], [0x0d, 0x0d]]) : single(0x0a)))
    }
    if (c === CH('^')) return anchor(flags, true)
    if (c === CH('$')) return anchor(flags, false)
    return this.literalPiece(c, flags)
  }

  literalPiece(cp: number, flags: Flags): Piece {
    if (!flags.i) return { src: literal(cp), atom: true }
    if (flags.u) return classSource(fromPairs(caseOrbit(cp).map((x) => [x, x] as const)))
    return classSource(cp <= 0x7f ? asciiCaseFold(single(cp)) : single(cp))
  }

  escapePiece(flags: Flags): Piece {
    const esc = this.escape(flags, false)
    if (esc.kind === 'literal') {
      if (!flags.u && esc.cp > 0x7f && esc.fromHex) throw rust('pattern can match invalid UTF-8')
      return this.literalPiece(esc.cp, flags)
    }
    if (esc.kind === 'set') return classSource(esc.set)
    return { src: esc.src, atom: true }
  }

  /**
   * One escape at `\`: a literal, a class, or an assertion. `inClass` refuses assertions as
   * Rust's class parser does.
   */
  escape(flags: Flags, inClass: boolean): { kind: 'literal'; cp: number; fromHex: boolean } | { kind: 'set'; set: CodePointSet } | { kind: 'assert'; src: string } {
    this.pos++
    if (this.eof) throw pcre('\\ at end of pattern')
    const c = this.c
    const ch = String.fromCodePoint(c)
    if (c >= 0x30 && c <= 0x39) throw rust('backreferences are not supported')
    if (ch === 'x' || ch === 'u' || ch === 'U') {
      if (this.opts.pcre && ch !== 'x') throw pcre('PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u')
      const cp = this.hexEscape(ch, flags)
      if (this.opts.pcre && cp > 0xff) throw pcre('character code point value in \\x{} or \\o{} is too large')
      return { kind: 'literal', cp, fromHex: true }
    }
    if (ch === 'p' || ch === 'P') {
      if (!flags.u) throw rust('Unicode not allowed here')
      let set = this.unicodeClass(flags)
      if (flags.i) set = caseFold(set)
      return { kind: 'set', set: ch === 'P' ? negate(set) : set }
    }
    if ('dswDSW'.includes(ch)) {
      this.pos++
      const lower = ch.toLowerCase()
      const set = flags.u
        ? lower === 'd' ? perlDigit() : lower === 's' ? perlSpace() : perlWord()
        : lower === 'd' ? ASCII_DIGIT : lower === 's' ? ASCII_SPACE : ASCII_WORD
      if (ch === lower) return { kind: 'set', set }
      if (!flags.u && !inClass) throw rust('pattern can match invalid UTF-8')
      return { kind: 'set', set: flags.u ? negate(set) : difference(BYTES, set) }
    }
    this.pos++
    if (isEscapeable(c)) return { kind: 'literal', cp: c, fromHex: false }
    const special: Record<string, number> = { a: 0x07, f: 0x0c, t: 0x09, n: 0x0a, r: 0x0d, v: 0x0b }
    if (ch in special) return { kind: 'literal', cp: special[ch], fromHex: false }
    const assertion = (src: string): { kind: 'assert'; src: string } => {
      if (inClass) throw rust('invalid escape sequence found in character class')
      return { kind: 'assert', src }
    }
    if (ch === 'A') return assertion('\\A')
    if (ch === 'z') return assertion('\\z')
    if (ch === 'b') {
      if (!this.eof && this.c === CH('{') && this.specialWordBoundary(flags)) {
        throw engine('special word boundaries (\\b{start}, \\b{end}, …) are not supported')
      }
      return assertion('\\b')
    }
    if (ch === 'B') return assertion('\\B')
    if (ch === '<' || ch === '>') {
      if (inClass) throw rust('invalid escape sequence found in character class')
      throw engine(`the word boundary \\${ch} is not supported`)
    }
    // Letters PCRE2 gives no meaning are its errors, met before the Rust crate ever sees them.
    if (this.opts.pcre && 'FLl'.includes(ch)) throw pcre('PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u')
    if (this.opts.pcre && 'ijmqyIJMOTY'.includes(ch)) throw pcre('unrecognized character follows \\')
    throw rust('unrecognized escape sequence')
  }

  /** After `\b` at `{`: true for `\b{start}` and its kin, false (nothing consumed) for a repetition. */
  specialWordBoundary(flags: Flags): boolean {
    const start = this.pos
    if (!this.bumpSpace(flags)) {
      throw rust('found either the beginning of a special word boundary or a bounded repetition on a \\b with an opening brace, but no closing brace')
    }
    const valid = (cp: number): boolean => (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || cp === CH('-')
    if (!valid(this.c)) {
      this.pos = start
      return false
    }
    let word = ''
    while (!this.eof && valid(this.c)) {
      word += String.fromCodePoint(this.c)
      this.bumpSpace(flags)
    }
    if (this.eof || this.c !== CH('}')) throw rust('special word boundary assertion is either unclosed or contains an invalid character')
    this.pos++
    if (!['start', 'end', 'start-half', 'end-half'].includes(word)) {
      throw rust('unrecognized special word boundary assertion, valid choices are: start, end, start-half or end-half')
    }
    return true
  }

  hexEscape(kind: string, flags: Flags): number {
    if (!this.bumpSpace(flags)) throw rust('incomplete escape sequence, reached end of pattern prematurely')
    let digits = ''
    if (this.c === CH('{')) {
      while (this.bumpSpace(flags) && this.c !== CH('}')) {
        if (!isHex(this.c)) throw rust('invalid hexadecimal digit')
        digits += String.fromCodePoint(this.c)
      }
      if (this.eof) throw rust('incomplete escape sequence, reached end of pattern prematurely')
      this.bumpSpace(flags)
      if (digits === '') throw rust('hexadecimal literal empty')
    } else {
      const count = kind === 'x' ? 2 : kind === 'u' ? 4 : 8
      for (let k = 0; k < count; k++) {
        if (k > 0 && !this.bumpSpace(flags)) throw rust('incomplete escape sequence, reached end of pattern prematurely')
        if (!isHex(this.c)) throw rust('invalid hexadecimal digit')
        digits += String.fromCodePoint(this.c)
      }
      this.bumpSpace(flags)
    }
    const cp = digits.length > 8 ? Infinity : parseInt(digits, 16)
    if (!(cp <= MAX_CODE_POINT) || (cp >= 0xd800 && cp <= 0xdfff)) throw rust('hexadecimal literal is not a Unicode scalar value')
    return cp
  }

  unicodeClass(flags: Flags): CodePointSet {
    if (!this.bumpSpace(flags)) throw rust('incomplete escape sequence, reached end of pattern prematurely')
    if (this.c === CH('{')) {
      let body = ''
      while (this.bumpSpace(flags) && this.c !== CH('}')) body += String.fromCodePoint(this.c)
      if (this.eof) throw rust('incomplete escape sequence, reached end of pattern prematurely')
      this.pos++
      return unicodeProperty(body)
    }
    if (this.c === CH('\\')) throw rust('invalid Unicode character class')
    const one = String.fromCodePoint(this.c)
    this.bumpSpace(flags)
    return unicodeProperty(one)
  }

  /** A bracketed class at `[`, resolved to its set (case folding and negation applied). */
  bracketed(flags: Flags, depth: number): CodePointSet {
    if (depth > NEST_LIMIT) throw rust(`exceed the maximum number of nested parentheses/brackets (${NEST_LIMIT})`)
    if (!this.bumpSpace(flags)) throw pcre('missing terminating ] for character class')
    let negated = false
    if (this.c === CH('^')) {
      negated = true
      if (!this.bumpSpace(flags)) throw pcre('missing terminating ] for character class')
    }
    let acc: CodePointSet = []
    const leading: number[] = []
    while (this.c === CH('-')) {
      leading.push(CH('-'))
      if (!this.bumpSpace(flags)) throw pcre('missing terminating ] for character class')
    }
    if (leading.length === 0 && this.c === CH(']')) {
      leading.push(CH(']'))
      if (!this.bumpSpace(flags)) throw pcre('missing terminating ] for character class')
    }
    for (const cp of leading) acc = union(acc, this.fold(single(cp), flags))
    // A binary operator applies to everything before it and everything after it up to `]`.
    let pendingOp: string | undefined
    let lhs: CodePointSet = []
    for (;;) {
      this.space(flags)
      if (this.eof) throw pcre('missing terminating ] for character class')
      const c = this.c
      if (c === CH(']')) {
        this.pos++
        break
      }
      const op = c === CH('&') && this.peekIs('&&') ? '&&' : c === CH('-') && this.peekIs('--') ? '--' : c === CH('~') && this.peekIs('~~') ? '~~' : undefined
      if (op) {
        this.pos += 2
        if (pendingOp) acc = applyClassOp(pendingOp, lhs, acc)
        lhs = acc
        acc = []
        pendingOp = op
        continue
      }
      if (c === CH('[')) {
        const ascii = this.asciiClass()
        if (ascii) {
          acc = union(acc, this.fold(ascii, flags, true))
          continue
        }
        acc = union(acc, this.bracketed(flags, depth + 1))
        continue
      }
      acc = union(acc, this.classRange(flags))
    }
    if (pendingOp) acc = applyClassOp(pendingOp, lhs, acc)
    if (!negated) return acc
    return flags.u ? negate(acc) : difference(BYTES, acc)
  }

  fold(set: CodePointSet, flags: Flags, asciiClass = false): CodePointSet {
    if (!flags.i) return set
    if (flags.u) return caseFold(set)
    return asciiClass || intersect(set, ASCII_ONLY).length > 0 ? asciiCaseFold(set) : set
  }

  /** `[:name:]` or `[:^name:]` at `[`, or undefined (nothing consumed) when it is not one. */
  asciiClass(): CodePointSet | undefined {
    const m = /^\[:(\^?)([a-z]+):\]/.exec(String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 12)))
    if (!m || !(m[2] in ASCII_CLASSES)) return undefined
    this.pos += m[0].length
    const set = ASCII_CLASSES[m[2]]
    return m[1] === '^' ? difference(BYTES, set) : set
  }

  /** One class item, or a range `a-z` of two literals. */
  classRange(flags: Flags): CodePointSet {
    const first = this.classItem(flags)
    this.space(flags)
    if (this.eof) throw pcre('missing terminating ] for character class')
    const nextIs = (s: string): boolean => {
      const save = this.pos
      this.pos++
      this.space(flags)
      const is = !this.eof && this.c === CH(s)
      this.pos = save
      return is
    }
    if (this.c !== CH('-') || nextIs(']') || nextIs('-')) return this.itemSet(first, flags)
    if (!this.bumpSpace(flags)) throw pcre('missing terminating ] for character class')
    const second = this.classItem(flags)
    if (first.cp === undefined || second.cp === undefined) throw rust('invalid range boundary, must be a literal')
    if (first.cp > second.cp) throw pcre('range out of order in character class')
    return this.fold([first.cp, second.cp], flags)
  }

  itemSet(item: ClassItem, flags: Flags): CodePointSet {
    return item.cp === undefined ? item.set : this.fold(item.set, flags)
  }

  classItem(flags: Flags): ClassItem {
    if (this.c === CH('\\')) {
      const esc = this.escape(flags, true)
      if (esc.kind === 'literal') {
        if (!flags.u && esc.cp > 0xff) throw rust('Unicode not allowed here')
        return { set: single(esc.cp), cp: esc.cp }
      }
      if (esc.kind === 'set') return { set: esc.set }
      throw rust('invalid escape sequence found in character class')
    }
    const cp = this.c
    this.pos++
    if (!flags.u && cp > 0x7f) throw rust('Unicode not allowed here')
    return { set: single(cp), cp }
  }
}

function applyClassOp(op: string, lhs: CodePointSet, rhs: CodePointSet): CodePointSet {
  if (op === '&&') return intersect(lhs, rhs)
  if (op === '--') return difference(lhs, rhs)
  return symmetricDifference(lhs, rhs)
}

function applyFlags(flags: Flags, items: readonly [string, boolean][]): void {
  for (const [letter, on] of items) flags[letter as keyof Flags] = on
}

function repeat(operand: Piece, op: string, greedy: boolean): Piece {
  const base = operand.atom ? operand.src : `(?:${operand.src})`
  return { src: `${base}${op}${greedy ? '' : '?'}`, atom: false }
}

function anchor(flags: Flags, start: boolean): Piece {
  if (!flags.m) return { src: start ? '\\A' : '\\z', atom: false }
  if (flags.R) throw engine('multi-line anchors in CRLF mode ((?mR)) are not supported')
  return { src: start ? '(?m:^)' : '(?m:$)', atom: false }
}

/** Translates a Rust `regex` pattern for RE2, or says why it is refused. */
export function translateRustRegex(pattern: string, opts: TranslateOptions = {}): TranslatedRegex | RegexError {
  const p = new Parser(pattern, opts)
  const flags: Flags = { i: false, m: false, s: false, U: false, u: true, R: false, x: false }
  try {
    const body = p.alternation(flags, 0)
    if (!p.eof) throw pcre('unmatched closing parenthesis')
    return { source: body.src, groups: p.captures, names: p.names }
  } catch (err) {
    if (err instanceof Refusal) return { by: err.by, reason: err.reason }
    throw err
  }
}

/** Whether a translation result is a refusal. */
export function isRegexError<T extends object>(r: T | RegexError): r is RegexError {
  return 'reason' in r
}

/** The Rust pattern Kong compiles for a regex path `~/…`: anchored at the start, `?<` read as `?P<`. */
export function kongPathPattern(path: string): string {
  return `^${path.slice(1).replaceAll('?<', '?P<')}`
}

/** The Rust pattern Kong compiles for a `~*` header value: the rest, lower-cased (ASCII), unanchored. */
export function kongHeaderPattern(value: string): string {
  return asciiLower(value.slice(2))
}

/** A route regex compiled for matching: Rust's meaning, RE2's linear-time engine. */
export interface RustRegex {
  /** The Rust pattern it was compiled from. */
  readonly pattern: string
  /** Number of capture groups (group 0 excluded). */
  readonly groups: number
  /** Name of each capture group by index (index 0 unused). */
  readonly names: readonly (string | undefined)[]
  /** The leftmost-first match: each group's text by index, undefined where a group took no part; or null. */
  exec(text: string): readonly (string | undefined)[] | null
  /** Whether the pattern matches anywhere in `text`. */
  test(text: string): boolean
}

/** Translates and compiles a Rust `regex` pattern, or says why it is refused. */
export function compileRustRegex(pattern: string, opts: TranslateOptions = {}): RustRegex | RegexError {
  const t = translateRustRegex(pattern, opts)
  if (isRegexError(t)) return t
  let re: RE2
  try {
    re = new RE2(t.source, 'u')
  } catch (err) {
    // RE2's own limits (program size, nested counted repetitions) are narrower than Rust's.
    return { by: 'engine', reason: `RE2 refused the translated pattern: ${(err as Error).message}` }
  }
  return {
    pattern,
    groups: t.groups,
    names: t.names,
    exec: (text) => re.exec(text),
    test: (text) => re.test(text),
  }
}
