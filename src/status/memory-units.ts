/** `/status` memory values: Kong's `unit` and `scale` query parameters and their messages. */

export type Unit = 'b' | 'k' | 'm' | 'g' | ''

/** Why a unit/scale pair is refused, in Kong's words; undefined when it is fine. */
export function checkUnit(unit: string, scale: number): string | undefined {
  const u = unit.toLowerCase()
  if (u === 'b' || u === '') return undefined
  if (u !== 'k' && u !== 'm' && u !== 'g') return `invalid unit '${unit}' (expected 'k/K', 'm/M', or 'g/G')`
  if (scale < 0) return 'scale must be equal or greater than 0'
  return undefined
}

/** Bytes as Kong shows them: a number for `b`, an integer string for an empty unit, else "5.00 MiB". */
export function formatBytes(bytes: number, unit: string, scale: number): number | string {
  const u = unit.toLowerCase()
  if (u === 'b') return Math.floor(bytes)
  if (u === '') return String(Math.floor(bytes))
  const div = u === 'k' ? 1024 : u === 'm' ? 1024 ** 2 : 1024 ** 3
  const suffix = u === 'k' ? 'KiB' : u === 'm' ? 'MiB' : 'GiB'
  return `${(bytes / div).toFixed(scale)} ${suffix}`
}
