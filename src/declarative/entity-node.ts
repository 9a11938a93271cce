/**
 * One entity while a config is normalized: where it was written, what it was validated to, its
 * id once assigned, and its nested children; plus per-schema facts the later steps share.
 */
import type { EntityOrigin } from './errors.js'
import { nestingsOf } from './schema/entities/index.js'
import type { EntitySchema } from './schema/types.js'
import type { Path } from './schema/validate.js'

/**
 * One entity while it is normalized. Where it was written and the origin errors echo are worked
 * out only when asked for: a valid config never needs them, and every object a load keeps
 * alive is one the garbage collector copies.
 */
export class Node {
  record: Record<string, unknown> = EMPTY_RECORD
  id = ''
  children: Node[] | undefined
  /** Vault references in its fields: the record holds the reference, `value` the secret. */
  references: { path: Path; reference: string; value: unknown }[] | undefined
  #origin: EntityOrigin | undefined

  constructor(
    readonly schema: EntitySchema,
    readonly input: Record<string, unknown>,
    /** The entity this one is written inside, if any: its nesting parent. */
    readonly owner: Node | undefined,
    /** The key it is written under: its collection at top level or nested, else the field. */
    readonly key: string,
    /** Its index in that list. */
    readonly index: number,
    /** The foreign field that points at the nesting parent; unset at top level. */
    readonly parentField: string | undefined,
  ) {}

  /** The nesting parent, whose id this entity's parentField takes. */
  get parent(): Node | undefined {
    return this.parentField === undefined ? undefined : this.owner
  }

  /** Document path of the entity (`['services', 0, 'routes', 1]`). */
  get at(): Path {
    return pathOf(this.owner, this.key, this.index)
  }

  get origin(): EntityOrigin {
    if (this.#origin) return this.#origin
    const { schema, input, parentField, owner } = this
    const base = { collection: schema.name, singular: schema.singular, at: this.at, input, nested: nestingsOf(schema).map((n) => n.child.name) }
    this.#origin = parentField && owner ? { ...base, parent: { field: parentField, id: owner.input.id } } : base
    return this.#origin
  }
}

export const EMPTY_RECORD: Record<string, unknown> = Object.freeze({})

/** The document path of what is written at `key`, `index` inside `owner`. */
export function pathOf(owner: Node | undefined, key: string, index: number): Path {
  return [...(owner ? owner.at : []), key, index]
}

export const PARENT_REF = Object.freeze({ id: '00000000-0000-0000-0000-000000000000' })

export function endpointKeyOf(node: Node): string | undefined {
  const key = node.schema.endpointKey
  const v = key === undefined ? undefined : node.record[key]
  return typeof v === 'string' ? v : undefined
}

/** Per-schema field lists, computed once instead of per entity. */
export interface SchemaFacts {
  readonly foreign: readonly { name: string; reference: string }[]
  /** Unique fields other than the endpoint key, with the name of their index. */
  readonly unique: readonly { field: string; index: string }[]
}
const FACTS = new Map<EntitySchema, SchemaFacts>()
export function factsOf(schema: EntitySchema): SchemaFacts {
  let facts = FACTS.get(schema)
  if (!facts) {
    const foreign: { name: string; reference: string }[] = []
    const unique: { field: string; index: string }[] = []
    for (const [name, def] of Object.entries(schema.fields)) {
      if (def.type === 'foreign') foreign.push({ name, reference: def.reference })
      if (def.unique && name !== schema.endpointKey) unique.push({ field: name, index: `${schema.name}.${name}` })
    }
    facts = { foreign, unique }
    FACTS.set(schema, facts)
  }
  return facts
}

/** A field value as text in keys and messages: strings as they are, numbers and booleans as JSON writes them. */
export function scalarText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v)
}
