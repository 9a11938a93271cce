/** The config both serverless function plugins share: Lua code to run per phase. */
import * as t from '../declarative/schema/typedefs.js'
import type { Field, PluginSchema } from '../declarative/schema/types.js'

const PHASES = ['certificate', 'rewrite', 'access', 'header_filter', 'body_filter', 'log'] as const

const phase = (name: string): Field => ({
  type: 'array',
  required: true,
  default: [],
  description: `Lua code run, in order, in the ${name} phase.`,
  elements: { type: 'string', description: 'A Lua chunk.' },
})

/** pre-function's or post-function's schema; only the name differs. */
export function functionsSchema(name: 'pre-function' | 'post-function'): PluginSchema {
  return {
    name,
    noConsumer: true,
    config: {
      type: 'record',
      description: `${name} settings.`,
      fields: Object.fromEntries(PHASES.map((p) => [p, phase(p)])),
      entityChecks: [t.atLeastOneOf(PHASES, PHASES.map((p) => `config.${p}`))],
    },
  }
}
