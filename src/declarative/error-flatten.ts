/**
 * Kong's flattened shape of config errors (`flatten_errors`): one entry per entity with its type,
 * id, name, tags, the entity as written and each of its problems; we add paths and lines.
 */
import { pathString, sortByPath } from './error-paths.js'
import type { ConfigIssue, EntityOrigin } from './errors.js'
import { byPlace, type Locator } from './source-map.js'

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Kong numbers array elements from 1 in flattened field paths (`tags.3`). */
function kongFieldPath(field: string): string {
  return field
    .split('.')
    .map((p) => (/^\d+$/.test(p) ? String(Number(p) + 1) : p))
    .join('.')
}

/** The entity as written, without its nested collections, with its parent's reference. */
function echo(origin: EntityOrigin): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(origin.input)) {
    if (origin.nested.includes(k)) continue
    out[k] = v
  }
  if (origin.parent && typeof origin.parent.id === 'string' && UUID_RE.test(origin.parent.id)) {
    out[origin.parent.field] = { id: origin.parent.id }
  }
  return out
}

/**
 * The `flattened_errors` list for the problems that concern an entity, in document order;
 * merged from several files, each entry names its `source` and paths are that file's.
 */
export function flattenIssues(issues: readonly ConfigIssue[], locator: Locator): unknown[] {
  const groups = new Map<EntityOrigin, ConfigIssue[]>()
  for (const issue of issues) {
    if (!issue.entity) continue
    const list = groups.get(issue.entity) ?? []
    list.push(issue)
    groups.set(issue.entity, list)
  }
  const origins = sortByPath([...groups.keys()], (o) => o.at)
  const placeOf = (o: EntityOrigin): { file: number; line?: number; column?: number } => {
    const place = locator.place(o.at)
    return { file: place.file, ...place.position }
  }
  origins.sort((a, b) => byPlace(placeOf(a), placeOf(b)))
  return origins.map((origin) => {
    const input = origin.input
    const entry: Record<string, unknown> = { entity_type: origin.singular }
    if (typeof input.id === 'string' && UUID_RE.test(input.id)) entry.entity_id = input.id
    if (typeof input.name === 'string' && input.name !== '') entry.entity_name = input.name
    if (Array.isArray(input.tags) && input.tags.every((t) => typeof t === 'string')) entry.entity_tags = input.tags
    entry.entity = echo(origin)
    const place = locator.place(origin.at)
    if (locator.multi) entry.source = place.source
    entry.entity_path = pathString(place.at)
    if (place.position) Object.assign(entry, { line: place.position.line, column: place.position.column })
    entry.errors = (groups.get(origin) ?? []).map((issue) => {
      const issuePlace = locator.place(issue.at)
      const at = issuePlace.position
      return {
        type: issue.field === undefined ? 'entity' : 'field',
        ...(issue.field === undefined ? {} : { field: kongFieldPath(issue.field) }),
        message: issue.message,
        ...(issue.explanation === undefined ? {} : { explanation: issue.explanation }),
        path: pathString(issuePlace.at),
        ...(at ? { line: at.line, column: at.column } : {}),
      }
    })
    return entry
  })
}
