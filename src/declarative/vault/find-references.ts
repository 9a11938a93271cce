/** Finds the vault references written in the referenceable string fields of a record. */
import { isRecord } from '../../util/json.js'
import type { Field } from '../schema/types.js'
import type { Path } from '../schema/validate.js'
import { isReference } from './reference.js'

/** A reference found at a path inside a record. */
export interface FoundReference {
  readonly path: Path
  readonly reference: string
}

/** The references in `value` (a record of `fields`), at paths relative to it. */
export function findReferences(fields: Readonly<Record<string, Field>>, value: Record<string, unknown>, base: Path = []): FoundReference[] {
  const out: FoundReference[] = []
  for (const name of referenceableFields(fields)) {
    if (Object.hasOwn(value, name)) visit(fields[name], value[name], [...base, name], out)
  }
  return out
}

const REFERENCEABLE = new WeakMap<object, readonly string[]>()

/**
 * The fields that are, or hold, a referenceable string; worked out once per schema, so that
 * the entities of the many schemas with none (routes, services...) are not walked at all.
 */
function referenceableFields(fields: Readonly<Record<string, Field>>): readonly string[] {
  let names = REFERENCEABLE.get(fields)
  if (!names) {
    names = Object.keys(fields).filter((name) => holdsReferenceable(fields[name]))
    REFERENCEABLE.set(fields, names)
  }
  return names
}

function holdsReferenceable(field: Field): boolean {
  switch (field.type) {
    case 'string':
      return field.referenceable === true
    case 'record':
      return referenceableFields(field.fields).length > 0
    case 'array':
    case 'set':
      return holdsReferenceable(field.elements)
    case 'map':
      return holdsReferenceable(field.values)
    default:
      return false
  }
}

function visit(field: Field, value: unknown, path: Path, out: FoundReference[]): void {
  switch (field.type) {
    case 'string':
      if (field.referenceable && isReference(value)) out.push({ path, reference: value })
      return
    case 'record':
      if (isRecord(value)) out.push(...findReferences(field.fields, value, path))
      return
    case 'array':
    case 'set':
      if (Array.isArray(value)) value.forEach((item, i) => visit(field.elements, item, [...path, i], out))
      return
    case 'map':
      if (isRecord(value)) for (const key of Object.keys(value)) visit(field.values, value[key], [...path, key], out)
      return
    default:
      return
  }
}

/**
 * Writes `value` at `path` inside `root`, copying the nested containers along the path first so
 * that the parsed document they came from is left as it was.
 */
export function placeAt(root: Record<string, unknown>, path: Path, value: unknown): void {
  const copy = (container: unknown): Record<string | number, unknown> =>
    (Array.isArray(container) ? [...(container as unknown[])] : { ...(container as Record<string, unknown>) }) as Record<string | number, unknown>
  let at = root as Record<string | number, unknown>
  for (let i = 0; i < path.length - 1; i++) {
    const next = copy(at[path[i]])
    at[path[i]] = next
    at = next
  }
  at[path[path.length - 1]] = value
}

/** Writes `value` at `path` inside a freshly validated record (its containers are its own); false when the path is gone. */
export function setValueAt(root: Record<string, unknown>, path: Path, value: unknown): boolean {
  let at: unknown = root
  for (let i = 0; i < path.length - 1; i++) {
    at = (at as Record<string | number, unknown>)[path[i]]
    if (typeof at !== 'object' || at === null) return false
  }
  ;(at as Record<string | number, unknown>)[path[path.length - 1]] = value
  return true
}

/** The value at `path`, or undefined. */
export function valueAt(root: unknown, path: Path): unknown {
  let at = root
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined
    at = (at as Record<string | number, unknown>)[key]
  }
  return at
}
