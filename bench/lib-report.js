// Numbers in and out of the benches: settings from the environment, medians, formatting, tables,
// and the `BENCH_JSON {...}` line every load generator prints (the fields of wrk's reporter in
// bench/lib-load.js).

/** A number from the environment: positive, or also 0 when `zero` allows it. */
export const envNum = (name, dflt, { zero = false } = {}) => {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return dflt
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zero)) throw new Error(`${name}=${raw}: want a ${zero ? 'non-negative' : 'positive'} number`)
  return n
}

/** The median of the finite numbers of `xs`, NaN when there are none. */
export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** A number with 0, 1 or 2 decimals, or '-' when it is not one. */
export const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-')
export const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-')
export const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-')
/** A share as a whole percentage. */
export const pctS = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : '-')
/** OK or MISSED. */
export const verdict = (ok) => (ok ? 'OK' : 'MISSED')

/** Prints rows of cells as aligned columns: the first left-aligned, the others right-aligned. */
export function printTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  for (const r of rows) console.log(`  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}`)
}

/**
 * Prints the `BENCH_JSON {...}` line of a load run from its latencies of successful requests
 * (milliseconds, any order) and counts; `extra` fields are appended.
 */
export function printBenchJson(latenciesMs, { requests, elapsedUs, bytes, errors, extra = {} }) {
  const l = [...latenciesMs].sort((a, b) => a - b)
  const pct = (p) => (l.length ? l[Math.min(l.length - 1, Math.floor((p / 100) * l.length))] * 1000 : NaN)
  const mean = l.length ? (l.reduce((a, b) => a + b, 0) / l.length) * 1000 : NaN
  console.log(
    `BENCH_JSON ${JSON.stringify({
      requests,
      duration_us: Math.round(elapsedUs),
      bytes,
      err_connect: errors.connect ?? 0,
      err_read: errors.read ?? 0,
      err_write: errors.write ?? 0,
      err_status: errors.status ?? 0,
      err_timeout: errors.timeout ?? 0,
      p50_us: Math.round(pct(50)),
      p90_us: Math.round(pct(90)),
      p99_us: Math.round(pct(99)),
      p999_us: Math.round(pct(99.9)),
      max_us: Math.round(l.length ? l[l.length - 1] * 1000 : NaN),
      mean_us: Math.round(mean * 10) / 10,
      ...extra,
    })}`,
  )
}

/** Field by field, the medians of objects of numbers (the fields of the first object). */
export const medians = (objs) => Object.fromEntries(Object.keys(objs[0]).map((k) => [k, median(objs.map((o) => o[k]))]))
