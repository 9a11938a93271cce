/** The `plugins` entity: a plugin instance, global or scoped to a route, service or consumer. */
import * as t from '../typedefs.js'
import { defineEntity, type EntityOf } from '../types.js'
import { PROTOCOLS } from './services.js'

/** The default `protocols` of a plugin whose schema names none. */
export const DEFAULT_PLUGIN_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https'] as const

export const plugins = defineEntity({
  name: 'plugins',
  singular: 'plugin',
  endpointKey: 'instance_name',
  cacheKey: ['name', 'route', 'service', 'consumer'],
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the plugin was created (seconds).'),
    updated_at: t.timestamp('When the plugin was last updated (seconds).'),
    name: { type: 'string', required: true, description: 'The plugin to run.' },
    instance_name: t.name({ description: 'Unique name of this plugin instance.' }),
    route: t.foreign('routes', { description: 'Only run on this route.' }),
    service: t.foreign('services', { description: "Only run on this service's routes." }),
    consumer: t.foreign('consumers', { description: 'Only run for this consumer.' }),
    config: { type: 'any', description: "The plugin's configuration, checked against its own schema." },
    protocols: {
      type: 'set',
      required: true,
      description: 'Protocols the plugin runs on; defaults to those it supports.',
      elements: { type: 'string', oneOf: PROTOCOLS, description: 'A protocol.' },
    },
    enabled: { type: 'boolean', required: true, default: true, description: 'Disabled plugins do not run.' },
    tags: t.tags(),
  },
})
/** A stored plugins entity. */
export type Plugin = EntityOf<typeof plugins>
