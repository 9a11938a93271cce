/** `POST /config` (every body form, flatten_errors, check_hash) and `GET /config`. */
import type { Router } from '@koa/router'
import { dump } from 'js-yaml'
import { DeclarativeConfigError } from '../declarative/errors.js'
import { ConfigParseError } from '../declarative/parse.js'
import { ENTITIES } from '../declarative/schema/entities/index.js'
import type { Snapshot } from '../declarative/snapshot.js'
import { HttpError } from '../server/kong-http.js'
import type { NodeState } from '../server/node-state.js'
import { parseAdminBody } from './body.js'

/** Kong's truthiness for flatten_errors: true, 1, or "true"/"1"/"on"/"yes" in any case. */
function truthy(value: unknown): boolean {
  if (value === true || value === 1) return true
  return typeof value === 'string' && ['true', '1', 'on', 'yes'].includes(value.toLowerCase())
}

/** The 201 body: `{collection: {id: entity}}`. */
function entityMap(snapshot: Snapshot): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {}
  for (const [collection, list] of Object.entries(snapshot.entities)) {
    if (list.length === 0) continue
    const byId: Record<string, unknown> = {}
    for (const entity of list) byId[entity.id] = entity
    out[collection] = byId
  }
  return out
}

/** The export `GET /config` returns: flat lists, references as plain ids, `_transform: false`. */
export function exportYaml(snapshot: Snapshot | undefined): string {
  const doc: Record<string, unknown> = { _format_version: '3.0', _transform: false }
  for (const { name, fields } of ENTITIES) {
    const list = snapshot?.entities[name]
    if (!list || list.length === 0) continue
    doc[name] = list.map((entity) => {
      const out: Record<string, unknown> = {}
      for (const [key, value] of Object.entries(entity)) {
        out[key] = fields[key]?.type === 'foreign' && value !== null ? (value as { id: string }).id : value
      }
      return out
    })
  }
  return dump(doc, { noRefs: true, lineWidth: -1 })
}

export function addConfigRoutes(router: Router, state: NodeState): void {
  router.get('/config', (ctx) => {
    ctx.body = { config: exportYaml(state.store.live?.snapshot) }
  })
  router.post('/config', async (ctx) => {
    const { params, raw, mediaType } = await parseAdminBody(ctx, true)
    const flatten = truthy(params.flatten_errors)
    const checkHash = String(params.check_hash) === '1'
    delete params.flatten_errors
    delete params.check_hash
    const source = 'POST /config'
    let outcome
    if (params._format_version !== undefined) {
      outcome = await state.store.loadObject(params, source, checkHash)
    } else if (typeof params.config === 'string') {
      outcome = await state.store.loadText(params.config, source, 'auto', checkHash)
    } else if (raw.length > 0 && mediaType !== 'application/x-www-form-urlencoded' && mediaType !== 'multipart/form-data') {
      outcome = await state.store.loadText(raw.toString('utf8'), source, 'auto', checkHash)
    } else {
      throw new HttpError(400, { message: 'expected a declarative configuration' })
    }
    if ('busy' in outcome) {
      throw new HttpError(429, { message: 'Currently loading previous configuration' }, { 'Retry-After': '1' })
    }
    if (!outcome.ok) {
      const err = outcome.error
      if (err instanceof ConfigParseError) {
        const where = err.line === undefined ? {} : { line: err.line, column: err.column ?? 1 }
        throw new HttpError(400, {
          code: 14,
          name: 'invalid declarative configuration',
          message: `declarative config is invalid: {error=${JSON.stringify(err.message)}}`,
          fields: { error: err.message },
          details: [{ source, ...where, path: '(document)', message: err.message }],
        })
      }
      if (err instanceof DeclarativeConfigError) throw new HttpError(400, err.toKongBody(flatten))
    }
    if (outcome.ok && outcome.unchanged) {
      ctx.status = 304
      return
    }
    if (outcome.ok) {
      state.log.notice({ configuration_hash: outcome.live.snapshot.hash, source }, 'configuration loaded')
      ctx.status = 201
      ctx.body = entityMap(outcome.live.snapshot)
    }
  })
}
