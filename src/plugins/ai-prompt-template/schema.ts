/** ai-prompt-template: let clients fill named prompt templates instead of writing prompts. */
import type { PluginSchema } from '../../declarative/schema/types.js'
import { HTTP_PROTOCOLS, maxRequestBodySize } from '../llm-schema.js'

/** Kong's execution priority: higher runs first. */
export const priority = 773

export const schema: PluginSchema = {
  name: 'ai-prompt-template',
  acceptedProtocols: HTTP_PROTOCOLS,
  config: {
    type: 'record',
    description: 'ai-prompt-template settings.',
    fields: {
      templates: {
        type: 'array',
        required: true,
        description: 'Templates requests may call.',
        elements: {
          type: 'record',
          required: true,
          description: 'A template.',
          fields: {
            name: { type: 'string', required: true, description: 'Name called as `{template://NAME}`.' },
            template: { type: 'string', required: true, description: 'Text with mustache-style `{{placeholders}}`.' },
          },
        },
      },
      allow_untemplated_requests: { type: 'boolean', required: true, default: true, description: 'Let requests that call no template through.' },
      log_original_request: { type: 'boolean', required: true, default: false, description: 'Add the original request to the log output.' },
      max_request_body_size: maxRequestBodySize,
    },
  },
}
