/**
 * Kong's `/schemas` endpoints: entity, plugin and vault schemas in Kong's JSON form, generated
 * from our declarations, and validation of one entity's body without storing anything (what
 * the ingress controller's admission webhook and decK call).
 */
import type { Router } from '@koa/router'
import type { Context } from 'koa'
import { entitySchemaForm, pluginSchemaForm, vaultSchemaForm } from '../declarative/kong-schema-form.js'
import { schemaViolationBody } from '../declarative/schema-violation.js'
import { ENTITY_BY_NAME } from '../declarative/schema/entities/index.js'
import type { PluginSchemaLookup, RecordField } from '../declarative/schema/types.js'
import { validateEntityInput } from '../declarative/validate-entity.js'
import { HttpError } from '../http/app.js'
import { KONG_BODIES } from '../http/kong-errors.js'
import { ADMIN_BODY_LIMIT } from './config-routes.js'
import { readParams } from './request-params.js'

/** A vault's declared config, by vault name (`env`); undefined for vaults this node lacks. */
export type VaultSchemaLookup = (name: string) => { readonly config: RecordField } | undefined

/** Where the schemas behind `/schemas/plugins/...` and `/schemas/vaults/...` come from. */
export interface SchemaSources {
  readonly plugins: PluginSchemaLookup
  readonly vaults: VaultSchemaLookup
}

const param = (ctx: Context, name: string): string => (ctx.params as Record<string, string>)[name] ?? ''

/** Answers the validation of the request's parameters as one `entityName` entity. */
async function validate(ctx: Context, entityName: string, sources: SchemaSources, drop?: string): Promise<void> {
  // Parameters first, as Kong reads them before its handler runs: a bad body is a 400 anywhere.
  const params = await readParams(ctx, ADMIN_BODY_LIMIT)
  const schema = ENTITY_BY_NAME.get(entityName)
  if (!schema) throw new HttpError(404, { message: `No entity named '${entityName}'` })
  // Kong reads the path parameter from the same table as the body, and clears it before validating.
  if (drop !== undefined) delete params[drop]
  const issues = validateEntityInput(schema, params, sources.plugins)
  if (issues.length > 0) throw new HttpError(400, schemaViolationBody(issues))
  ctx.body = { message: 'schema validation successful' }
}

/**
 * Kong matches `/schemas/plugins/validate` before `/schemas/plugins/{name}`, and that route takes
 * only POST: any other method there is Kong's 405, not a search for a plugin named "validate".
 */
function refuseValidatePath(name: string): void {
  if (name === 'validate') throw new HttpError(405, KONG_BODIES.methodNotAllowed)
}

/** Mounts the `/schemas` routes; the specific paths first, as they also match the generic ones. */
export function addSchemaRoutes(router: Router, sources: SchemaSources): void {
  router.post('/schemas/plugins/validate', (ctx) => validate(ctx, 'plugins', sources))
  router.post('/schemas/vaults/validate', (ctx) => validate(ctx, 'vaults', sources))
  router.post('/schemas/:db_entity_name/validate', (ctx) => validate(ctx, param(ctx, 'db_entity_name'), sources, 'db_entity_name'))
  router.get('/schemas/plugins/:name', (ctx) => {
    const name = param(ctx, 'name')
    refuseValidatePath(name)
    const plugin = sources.plugins(name)
    if (!plugin) throw new HttpError(404, { message: `No plugin named '${name}'` })
    ctx.body = pluginSchemaForm(plugin)
  })
  router.get('/schemas/vaults/:name', (ctx) => {
    const name = param(ctx, 'name')
    refuseValidatePath(name)
    const vault = sources.vaults(name)
    if (!vault) throw new HttpError(404, { message: `No vault named '${name}'` })
    ctx.body = vaultSchemaForm(vault)
  })
  router.get('/schemas/:name', (ctx) => {
    const name = param(ctx, 'name')
    const schema = ENTITY_BY_NAME.get(name)
    if (!schema) throw new HttpError(404, { message: `No entity named '${name}'` })
    ctx.body = entitySchemaForm(schema)
  })
}
