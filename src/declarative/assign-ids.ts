/**
 * Entity ids, as Kong derives them: from the cache key, else the endpoint key (UUIDv5 in the
 * collection's namespace). Where Kong would pick a random id we derive one from the entity's
 * canonical content, so reloading the same config yields the same ids and the same hash, and
 * a new release that adds a field with a default keeps them.
 */
import { hash } from 'node:crypto'
import { entityWriter, type SchemaLookups } from './canonical-form.js'
import { endpointKeyOf, scalarText, type Node } from './entity-node.js'
import { deterministicId } from './ids.js'
import { RowBytes } from './row-bytes.js'

/** Every node, parents before children. */
export function flatten(roots: readonly Node[]): Node[] {
  const out: Node[] = []
  const visit = (node: Node): void => {
    out.push(node)
    if (node.children) for (const child of node.children) visit(child)
  }
  roots.forEach(visit)
  return out
}

/** Assigns every node its id and writes parents' ids into their children's references to them. */
export function assignIds(roots: readonly Node[], schemas: SchemaLookups): Node[] {
  const all = flatten(roots)
  const digests = new Map<Node, string>()
  const out = new RowBytes()
  const digest = (node: Node): string => {
    let d = digests.get(node)
    if (d !== undefined) return d
    // Children first: their digests are part of this one, and they reuse the buffer.
    const children = (node.children ?? []).map((c) => `${c.schema.name}:${digest(c)}`).sort()
    out.reset()
    entityWriter(node.schema, 'content', node.parentField)(node.record, out, schemas)
    out.list(children.length)
    for (const c of children) out.string(c)
    // An empty list where the digest's layout has one more: ids stay what they have been.
    out.list(0)
    d = hash('sha1', out.bytes(), 'hex')
    digests.set(node, d)
    return d
  }
  const seen = new Map<string, number>()
  for (const node of all.filter((n) => !n.parent)) setIds(node, digest, seen)
  for (const node of all) {
    const parent = node.parent
    if (parent && node.parentField) node.record[node.parentField] = { id: parent.id }
  }
  return all
}

function setIds(node: Node, digest: (n: Node) => string, seen: Map<string, number>): void {
  if (node.id === '') {
    const key = cacheKeyOf(node) ?? endpointKeyOf(node)
    if (key !== undefined) {
      node.id = deterministicId(node.schema.name, key)
    } else {
      const d = `${node.schema.name}:${digest(node)}`
      const n = seen.get(d) ?? 0
      seen.set(d, n + 1)
      node.id = deterministicId(node.schema.name, `~content:${d}:${n}`)
    }
  }
  node.record.id = node.id
  if (node.children) for (const child of node.children) setIds(child, digest, seen)
}

function cacheKeyOf(node: Node): string | undefined {
  const fields = node.schema.cacheKey
  if (!fields) return undefined
  const parts: string[] = []
  for (const f of fields) {
    const def = node.schema.fields[f]
    if (!def || def.auto) return undefined
    const v = node.record[f]
    if (def.type === 'foreign') {
      const parent = f === node.parentField ? node.parent : undefined
      if (parent) parts.push(parent.id)
      else parts.push(typeof v === 'string' ? v : '')
    } else if (v === null || v === undefined) {
      if (def.required) return undefined
      parts.push('')
    } else {
      parts.push(scalarText(v))
    }
  }
  return `${node.schema.name}:*:${parts.join(':')}`
}
