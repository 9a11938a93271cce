/** bot-detection: refuse requests whose User-Agent looks like a bot, with allow and deny patterns. */
import * as t from '../../declarative/schema/typedefs.js'
import type { Field, PluginSchema } from '../../declarative/schema/types.js'

const patterns = (description: string): Field => ({
  type: 'array',
  default: [],
  description,
  elements: { type: 'string', checks: [t.checkRegex], description: 'A regular expression.' },
})

/** Kong's execution priority: higher runs first. */
export const priority = 2500

export const schema: PluginSchema = {
  name: 'bot-detection',
  noConsumer: true,
  config: {
    type: 'record',
    description: 'bot-detection settings.',
    fields: {
      allow: patterns('User-Agent patterns always let through.'),
      deny: patterns('User-Agent patterns refused.'),
    },
  },
}
