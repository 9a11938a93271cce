/**
 * The checks that need the whole config: unique ids, endpoint keys and unique fields, and
 * references (by name or id) that resolve, written back as `{id}`.
 */
import type { ConfigIssue } from './errors.js'
import { endpointKeyOf, scalarText, factsOf, type Node } from './entity-node.js'

/** How Kong keys reference and unique-field errors: the endpoint key's value, else the id. */
function nameOf(node: Node): string {
  return endpointKeyOf(node) ?? node.id
}

/** A two-level index: collection, then key. */
class Index<V> {
  readonly #maps = new Map<string, Map<string, V>>()
  get(collection: string, key: string): V | undefined {
    return this.#maps.get(collection)?.get(key)
  }
  /** Stores the value unless the key is taken; returns whether it was stored. */
  add(collection: string, key: string, value: V): boolean {
    let map = this.#maps.get(collection)
    if (!map) this.#maps.set(collection, (map = new Map<string, V>()))
    if (map.has(key)) return false
    map.set(key, value)
    return true
  }
}

/** Entities by id and by endpoint key, per collection: built while checking uniqueness. */
interface EntityIndex {
  readonly byId: Index<Node>
  readonly byName: Index<Node>
}

export function checkUniqueness(all: readonly Node[], issues: ConfigIssue[]): EntityIndex {
  const violation = (node: Node, what: string, value: string): string =>
    `uniqueness violation: '${node.schema.name}' entity with ${what} set to '${value}' already declared`
  const byKey = new Index<Node>()
  const byId = new Index<Node>()
  const byField = new Index<Node>()
  for (const node of all) {
    const collection = node.schema.name
    const ek = node.schema.endpointKey
    const value = endpointKeyOf(node)
    let flagged = false
    if (ek !== undefined && value !== undefined && !byKey.add(collection, value, node)) {
      flagged = true
      const first = byKey.get(collection, value) as Node
      issues.push({ kind: 'field', key: node.at, at: [...node.at, ek], message: violation(node, ek, value), entity: node.origin, firstAt: [...first.at, ek] })
    }
    if (!byId.add(collection, node.id, node) && !flagged) {
      const first = byId.get(collection, node.id) as Node
      issues.push({ kind: 'field', key: node.at, at: node.at, message: violation(node, 'primary key', node.id), entity: node.origin, firstAt: first.at })
    }
    for (const { field, index } of factsOf(node.schema).unique) {
      const v = node.record[field]
      if (v === null || v === undefined) continue
      if (!byField.add(index, scalarText(v), node)) {
        issues.push({
          kind: 'field',
          key: [collection, nameOf(node)],
          at: [...node.at, field],
          message: violation(node, field, scalarText(v)),
          entity: node.origin,
          firstAt: [...(byField.get(index, scalarText(v)) as Node).at, field],
        })
      }
    }
  }
  return { byId, byName: byKey }
}

export function resolveReferences(all: readonly Node[], { byId, byName }: EntityIndex, issues: ConfigIssue[]): void {
  for (const node of all) {
    for (const { name: field, reference } of factsOf(node.schema).foreign) {
      if (field === node.parentField) continue
      const value = node.record[field]
      if (value === null || value === undefined) continue
      const target =
        typeof value === 'string'
          ? (byName.get(reference, value) ?? byId.get(reference, value))
          : byId.get(reference, (value as { id: string }).id)
      if (target) {
        node.record[field] = { id: target.id }
        continue
      }
      const shown = typeof value === 'string' ? value : JSON.stringify(value)
      issues.push({
        kind: 'list',
        key: [node.schema.name, nameOf(node)],
        at: [...node.at, field],
        message: `invalid reference '${field}: ${shown}' (no such entry in '${reference}')`,
        entity: node.origin,
        field,
      })
    }
  }
}

/**
 * Kong's answer for references when its first validation pass fails: that pass reads top-level
 * references as plain strings, and when anything in the config fails it (a schema problem, or
 * a top-level basic-auth credential, whose password transformation needs `consumer.id`) Kong
 * validates again with references read as primary keys. A top-level reference that names
 * nothing is then `{<field>: {id: "missing primary key"}}` rather than `invalid reference`;
 * we keep the clearer message as the issue's explanation. Returns whether that pass fails.
 */
export function referencesAsPrimaryKeys(roots: readonly Node[], issues: ConfigIssue[]): boolean {
  const credentialNeedsId = roots.some((n) => n.schema.name === 'basicauth_credentials' && typeof n.input.consumer === 'string')
  if (issues.length === 0 && !credentialNeedsId) return false
  const known = new Map<string, Set<string>>()
  const collect = (node: Node): void => {
    let set = known.get(node.schema.name)
    if (!set) known.set(node.schema.name, (set = new Set<string>()))
    const ek = node.schema.endpointKey
    for (const v of [node.input.id, ek === undefined ? undefined : node.input[ek]]) if (typeof v === 'string') set.add(v)
    for (const child of node.children ?? []) collect(child)
  }
  for (const root of roots) collect(root)
  for (const node of roots) {
    for (const { name: field, reference } of factsOf(node.schema).foreign) {
      const value = node.input[field]
      if (typeof value !== 'string' || known.get(reference)?.has(value)) continue
      const explanation = `invalid reference '${field}: ${value}' (no such entry in '${reference}')`
      issues.push({ kind: 'field', key: [...node.at, field, 'id'], at: [...node.at, field], message: 'missing primary key', entity: node.origin, field: `${field}.id`, explanation })
      if (node.schema.name === 'basicauth_credentials' && field === 'consumer' && typeof node.input.password === 'string') {
        issues.push({ kind: 'entity', key: node.at, at: node.at, message: "all or none of these fields must be set: 'password', 'consumer.id'", entity: node.origin })
      }
    }
  }
  return issues.length > 0
}
