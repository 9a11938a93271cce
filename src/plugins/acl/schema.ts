/** acl: allow or deny consumers by group. */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema } from '../../declarative/schema/types.js'

const groups = (description: string) =>
  ({ type: 'array', description, elements: { type: 'string', description: 'A group name.' } }) as const

/** Kong's execution priority: higher runs first. */
export const priority = 950

export const schema: PluginSchema = {
  name: 'acl',
  noConsumer: true,
  config: {
    type: 'record',
    description: 'acl settings; exactly one of allow or deny.',
    fields: {
      allow: groups('Groups allowed through.'),
      deny: groups('Groups refused.'),
      hide_groups_header: { type: 'boolean', required: true, default: false, description: 'Do not send X-Consumer-Groups upstream.' },
      always_use_authenticated_groups: {
        type: 'boolean',
        required: true,
        default: false,
        description: 'Prefer groups set by other plugins over the consumer\'s.',
      },
    },
    entityChecks: [
      t.onlyOneOf(['allow', 'deny'], ['config.allow', 'config.deny']),
      t.atLeastOneOf(['allow', 'deny'], ['config.allow', 'config.deny']),
    ],
  },
}
