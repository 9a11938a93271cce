/**
 * The read-only entity endpoints of a DB-less node: collections with Kong's pagination and tag
 * filters, entities by id or endpoint key, nested collections, and Kong's answers to writes.
 */
import type { Router } from '@koa/router'
import type { Context } from 'koa'
import type { Entity } from '../declarative/normalize.js'
import { ENTITY_BY_NAME } from '../declarative/schema/entities/index.js'
import { UUID } from '../declarative/schema/validate.js'
import { unresolvedEntity } from '../declarative/vault/unresolved.js'
import { HttpError } from '../http/app.js'
import { KONG_BODIES, kongError } from '../http/kong-errors.js'
import { hasTags, opaqueOffset, opaqueToken, pageSize } from '../http/paging.js'
import type { NodeState } from '../node/state.js'

/** URL segment → collection. */
const COLLECTIONS: readonly (readonly [string, string])[] = [
  ['services', 'services'],
  ['routes', 'routes'],
  ['consumers', 'consumers'],
  ['plugins', 'plugins'],
  ['certificates', 'certificates'],
  ['snis', 'snis'],
  ['upstreams', 'upstreams'],
  ['ca_certificates', 'ca_certificates'],
  ['key-auths', 'keyauth_credentials'],
  ['basic-auths', 'basicauth_credentials'],
  ['acls', 'acls'],
  ['jwts', 'jwt_secrets'],
  ['oauth2', 'oauth2_credentials'],
  ['hmac-auths', 'hmacauth_credentials'],
  ['key-sets', 'key_sets'],
  ['keys', 'keys'],
  ['vaults', 'vaults'],
]

/** parent segment, child segment, child collection, the child's field pointing at the parent. */
const NESTED: readonly (readonly [string, string, string, string])[] = [
  ['services', 'routes', 'routes', 'service'],
  ['services', 'plugins', 'plugins', 'service'],
  ['routes', 'plugins', 'plugins', 'route'],
  ['consumers', 'plugins', 'plugins', 'consumer'],
  ['certificates', 'snis', 'snis', 'certificate'],
  ['upstreams', 'targets', 'targets', 'upstream'],
  ['consumers', 'key-auth', 'keyauth_credentials', 'consumer'],
  ['consumers', 'basic-auth', 'basicauth_credentials', 'consumer'],
  ['consumers', 'acls', 'acls', 'consumer'],
  ['consumers', 'jwt', 'jwt_secrets', 'consumer'],
  ['consumers', 'oauth2', 'oauth2_credentials', 'consumer'],
  ['consumers', 'hmac-auth', 'hmacauth_credentials', 'consumer'],
  ['key-sets', 'keys', 'keys', 'set'],
]

/** Nested lists whose reads `status/upstream-routes.ts` serves, registered before these: only their writes are refused here. */
const READ_ELSEWHERE: ReadonlySet<string> = new Set(['upstreams/targets'])

/** Kong's foreign-key endpoints: child segment, child collection, its foreign field, the referenced collection. */
const FOREIGN: readonly (readonly [string, string, string, string])[] = [
  ['routes', 'routes', 'service', 'services'],
  ['snis', 'snis', 'certificate', 'certificates'],
  ['key-auths', 'keyauth_credentials', 'consumer', 'consumers'],
  ['basic-auths', 'basicauth_credentials', 'consumer', 'consumers'],
  ['acls', 'acls', 'consumer', 'consumers'],
  ['jwts', 'jwt_secrets', 'consumer', 'consumers'],
  ['oauth2', 'oauth2_credentials', 'consumer', 'consumers'],
  ['hmac-auths', 'hmacauth_credentials', 'consumer', 'consumers'],
  ['keys', 'keys', 'set', 'key_sets'],
]

const PARENT_OF: Readonly<Record<string, string>> = Object.fromEntries(COLLECTIONS)

/** A path parameter of the matched route; parameters are named after their collection, as Kong names them in `GET /endpoints`. */
const param = (ctx: Context, name: string): string => (ctx.params as Record<string, string>)[name] ?? ''

function list(state: NodeState, collection: string): readonly Entity[] {
  return state.config.live?.snapshot.entities[collection] ?? []
}

/** An entity as the API shows it: vault references, never the secrets they resolved to. */
function shown(state: NodeState, collection: string, entity: Entity): Entity {
  return unresolvedEntity(state.config.live?.snapshot, collection, entity)
}

/** An entity by id, or by its endpoint key (name, username) when the segment is not a UUID. */
function find(state: NodeState, collection: string, key: string): Entity | undefined {
  const index = state.config.live?.index
  if (!index) return undefined
  return UUID.test(key) ? index.byId(collection, key.toLowerCase()) : index.byKey(collection, key)
}

/** Kong's page: `{data, next, offset?}`, offsets opaque to clients. */
function page(ctx: Context, state: NodeState, collection: string, entities: readonly Entity[]): void {
  const size = pageSize(ctx)
  const start = opaqueOffset(ctx)
  const sizeParam = ctx.query.size
  const tags = typeof ctx.query.tags === 'string' ? ctx.query.tags : undefined
  const filtered = tags ? entities.filter((e) => hasTags(e.tags as string[] | null, tags)) : entities
  const data = filtered.slice(start, start + size).map((e) => shown(state, collection, e))
  if (start + size < filtered.length) {
    const offset = opaqueToken(start + size)
    const query = new URLSearchParams({ ...(tags ? { tags } : {}), ...(typeof sizeParam === 'string' ? { size: sizeParam } : {}), offset })
    ctx.body = { data, offset, next: `${ctx.path}?${query.toString()}` }
  } else {
    ctx.body = { data, next: null }
  }
}

/** Kong's DB-less answers to writes: 405 with the operation, 404/204 for missing entities. */
function refuseWrites(router: Router, base: string, collection: string, state: NodeState, scoped?: (ctx: Context) => readonly Entity[]): void {
  const item = `${base}/:${collection}`
  const endpointKey = ENTITY_BY_NAME.get(collection)?.endpointKey ?? 'name'
  const unsupported = (verb: string, key: string): HttpError => {
    const by = UUID.test(key) ? '' : ` by '${endpointKey}'`
    return new HttpError(405, kongError('OPERATION_UNSUPPORTED', `cannot ${verb} '${collection}' entities${by} when not using a database`))
  }
  const lookup = (ctx: Context): Entity | undefined => {
    const key = param(ctx, collection)
    return scoped ? scoped(ctx).find((e) => e.id === key || e[endpointKey] === key) : find(state, collection, key)
  }
  router.post(base, () => {
    throw new HttpError(405, kongError('OPERATION_UNSUPPORTED', `cannot create '${collection}' entities when not using a database`))
  })
  router.put(item, (ctx) => {
    throw unsupported('create or update', param(ctx, collection))
  })
  router.patch(item, (ctx) => {
    const key = param(ctx, collection)
    if (lookup(ctx)) throw unsupported('update', key)
    const field = UUID.test(key) ? 'id' : endpointKey
    const what = field === 'id' ? 'primary key' : `'${field}'`
    throw new HttpError(404, kongError('NOT_FOUND', `could not find the entity with ${what} '{${field}="${key}"}'`, { [field]: key }))
  })
  router.delete(item, (ctx) => {
    if (lookup(ctx)) throw unsupported('remove', param(ctx, collection))
    ctx.status = 204
  })
}

/** Mounts Kong's entity reads (collections, nested lists, foreign keys) and its DB-less answers to writes. */
export function addEntityRoutes(router: Router, state: NodeState): void {
  for (const [segment, collection] of COLLECTIONS) {
    const base = `/${segment}`
    router.get(base, (ctx) => page(ctx, state, collection, list(state, collection)))
    router.get(`${base}/:${collection}`, (ctx) => {
      const entity = find(state, collection, param(ctx, collection))
      if (!entity) throw new HttpError(404, KONG_BODIES.notFound)
      ctx.body = shown(state, collection, entity)
    })
    refuseWrites(router, base, collection, state)
  }
  for (const [parentSegment, childSegment, collection, field] of NESTED) {
    const parentCollection = PARENT_OF[parentSegment]
    const base = `/${parentSegment}/:${parentCollection}/${childSegment}`
    const children = (ctx: Context): readonly Entity[] => {
      const parent = find(state, parentCollection, param(ctx, parentCollection))
      if (!parent) throw new HttpError(404, KONG_BODIES.notFound)
      return state.config.live?.index.children(collection, field, parent.id) ?? []
    }
    refuseWrites(router, base, collection, state, children)
    if (READ_ELSEWHERE.has(`${parentSegment}/${childSegment}`)) continue
    router.get(base, (ctx) => page(ctx, state, collection, children(ctx)))
    router.get(`${base}/:${collection}`, (ctx) => {
      const parent = find(state, parentCollection, param(ctx, parentCollection))
      const key = param(ctx, collection)
      const entity = parent && (find(state, collection, key) ?? state.config.live?.index.byId(collection, key))
      if (!entity || (entity[field] as { id: string } | null)?.id !== parent?.id) throw new HttpError(404, KONG_BODIES.notFound)
      ctx.body = shown(state, collection, entity)
    })
  }
  for (const [segment, collection, field, target] of FOREIGN) {
    router.get(`/${segment}/:${collection}/${field}`, (ctx) => {
      const child = find(state, collection, param(ctx, collection))
      const ref = child?.[field] as { id: string } | null | undefined
      const entity = ref ? find(state, target, ref.id) : undefined
      if (!entity) throw new HttpError(404, KONG_BODIES.notFound)
      ctx.body = shown(state, target, entity)
    })
  }
}
