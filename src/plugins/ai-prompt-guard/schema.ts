/** ai-prompt-guard: refuse chat requests by allow and deny patterns. */
import * as t from '../../declarative/schema/typedefs.js'
import type { ArrayField, PluginSchema } from '../../declarative/schema/types.js'
import { HTTP_PROTOCOLS, llmFormat, maxRequestBodySize } from '../llm-schema.js'

const patterns = (description: string): ArrayField => ({
  type: 'array',
  lenMax: 10,
  description,
  elements: { type: 'string', lenMin: 1, lenMax: 500, description: 'A regex.' },
})

/** Kong's execution priority: higher runs first. */
export const priority = 771

export const schema: PluginSchema = {
  name: 'ai-prompt-guard',
  acceptedProtocols: HTTP_PROTOCOLS,
  config: {
    type: 'record',
    description: 'ai-prompt-guard settings.',
    fields: {
      allow_patterns: patterns('Patterns a user prompt must match.'),
      deny_patterns: patterns('Patterns a user prompt must not match.'),
      allow_all_conversation_history: { type: 'boolean', required: true, default: false, description: 'Check only the last prompt, not the history.' },
      max_request_body_size: maxRequestBodySize,
      match_all_roles: { type: 'boolean', required: true, default: false, description: "Check every role's messages, not only the user's." },
      llm_format: llmFormat,
    },
  },
  entityChecks: [
    t.atLeastOneOf(['config.allow_patterns', 'config.deny_patterns']),
    t.conditional('config.match_all_roles', (v) => v === true, 'config.allow_all_conversation_history', t.mustEqual(false)),
  ],
}
