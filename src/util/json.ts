/** Helpers for plain JSON data: the shape test, a key-sorted copy, and a prototype-safe key write. */

/** True for a plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * A structural copy of JSON data with object keys sorted, so defaults and inputs are never
 * shared between entities and free-form values are already in canonical order.
 */
export function copyJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyJson) as T
  if (isRecord(value)) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) defineKey(out, key, copyJson(value[key]))
    return out as T
  }
  return value
}

/** Sets a key even when it is `__proto__`, without touching the object's prototype. */
export function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    target[key] = value
  }
}
