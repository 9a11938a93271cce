/** ai-prompt-decorator: add fixed chat messages before and after the client's. */
import * as t from '../../declarative/schema/typedefs.js'
import type { ArrayField, PluginSchema } from '../../declarative/schema/types.js'
import { HTTP_PROTOCOLS, llmFormat, maxRequestBodySize } from '../llm-schema.js'

const messages = (description: string): ArrayField => ({
  type: 'array',
  lenMax: 15,
  description,
  elements: {
    type: 'record',
    description: 'A chat message.',
    fields: {
      role: { type: 'string', required: true, default: 'system', oneOf: ['system', 'assistant', 'user'], description: 'Who says it.' },
      content: { type: 'string', required: true, lenMin: 1, lenMax: 500, description: 'What is said.' },
    },
  },
})

/** Kong's execution priority: higher runs first. */
export const priority = 772

export const schema: PluginSchema = {
  name: 'ai-prompt-decorator',
  acceptedProtocols: HTTP_PROTOCOLS,
  config: {
    type: 'record',
    description: 'ai-prompt-decorator settings.',
    fields: {
      prompts: {
        type: 'record',
        description: 'Messages added, in order.',
        fields: {
          prepend: messages('Messages put before the chat.'),
          append: messages('Messages put after the chat.'),
        },
      },
      max_request_body_size: maxRequestBodySize,
      llm_format: llmFormat,
    },
  },
  entityChecks: [t.atLeastOneOf(['config.prompts.prepend', 'config.prompts.append'])],
}
