/**
 * A strict reader of Prometheus' text exposition format (0.0.4) for tests: every sample belongs
 * to a family announced by HELP and TYPE lines before it, a family's samples are contiguous,
 * names, labels and values have the format's syntax. Anything else throws, naming the line.
 */

/** One sample line. */
export interface PromSample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  /** Label names in the order they were written. */
  readonly labelOrder: readonly string[]
  readonly value: number
}

/** One metric family: its HELP, TYPE and samples in the order written. */
export interface PromFamily {
  readonly name: string
  readonly help: string
  readonly type: string
  readonly samples: PromSample[]
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"/
const VALUE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN|Nan)$/

function unescape(v: string): string {
  return v.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c))
}

function parseSample(line: string, where: string): PromSample {
  const nameEnd = line.search(/[{ ]/)
  if (nameEnd <= 0) throw new Error(`${where}: no metric name`)
  const name = line.slice(0, nameEnd)
  if (!NAME.test(name)) throw new Error(`${where}: bad metric name ${name}`)
  let rest = line.slice(nameEnd)
  const labels: Record<string, string> = {}
  const labelOrder: string[] = []
  if (rest.startsWith('{')) {
    rest = rest.slice(1)
    while (!rest.startsWith('}')) {
      const m = LABEL.exec(rest)
      if (!m) throw new Error(`${where}: bad label at ${rest}`)
      if (m[1] in labels) throw new Error(`${where}: label ${m[1]} twice`)
      labels[m[1]] = unescape(m[2])
      labelOrder.push(m[1])
      rest = rest.slice(m[0].length)
      if (rest.startsWith(',')) rest = rest.slice(1)
      else if (!rest.startsWith('}')) throw new Error(`${where}: expected , or } at ${rest}`)
    }
    rest = rest.slice(1)
  }
  if (!rest.startsWith(' ')) throw new Error(`${where}: no value`)
  const value = rest.slice(1)
  if (!VALUE.test(value)) throw new Error(`${where}: bad value ${value}`)
  return { name, labels, labelOrder, value: Number(value.replace(/^Nan$/, 'NaN')) }
}

/** Every family of an exposition, in the order written. */
export function parsePrometheus(text: string): PromFamily[] {
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline')
  const families: PromFamily[] = []
  const seen = new Set<string>()
  let help: { name: string; help: string } | undefined
  let current: PromFamily | undefined
  const lines = text.slice(0, -1).split('\n')
  lines.forEach((line, i) => {
    const where = `line ${i + 1} (${line})`
    if (line === '') return
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line)
    if (comment) {
      const [, kind, name, rest] = comment
      if (kind === 'HELP') {
        if (seen.has(name)) throw new Error(`${where}: family ${name} announced twice`)
        help = { name, help: rest }
        return
      }
      if (!help || help.name !== name) throw new Error(`${where}: TYPE without its HELP`)
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`${where}: unknown type`)
      current = { name, help: help.help, type: rest, samples: [] }
      families.push(current)
      seen.add(name)
      help = undefined
      return
    }
    if (line.startsWith('#')) return
    const sample = parseSample(line, where)
    const base = current && (sample.name === current.name || (/^(histogram|summary)$/.test(current.type) && sample.name.startsWith(current.name + '_')))
    if (!current || !base) throw new Error(`${where}: sample outside its family`)
    current.samples.push(sample)
  })
  return families
}

/** The family named `name`, or undefined. */
export function family(families: readonly PromFamily[], name: string): PromFamily | undefined {
  return families.find((f) => f.name === name)
}

/** The value of the one sample of `name` whose labels include `labels`. */
export function sampleValue(families: readonly PromFamily[], name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const matches = family(families, name)?.samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v)) ?? []
  if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`)
  return matches[0]?.value
}
