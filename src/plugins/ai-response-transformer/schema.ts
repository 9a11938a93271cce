/** ai-response-transformer: have an LLM rewrite the upstream's answer before it is returned. */
import type { PluginSchema } from '../../declarative/schema/types.js'
import { HTTP_PROTOCOLS, forwardProxyFields, llmRecord, maxRequestBodySize, transformerChecks } from '../llm-schema.js'

/** Kong's execution priority: higher runs first. */
export const priority = 768

export const schema: PluginSchema = {
  name: 'ai-response-transformer',
  acceptedProtocols: HTTP_PROTOCOLS,
  config: {
    type: 'record',
    description: 'ai-response-transformer settings.',
    fields: {
      prompt: { type: 'string', required: true, description: 'Instructions given to the LLM with the answer body.' },
      transformation_extract_pattern: { type: 'string', description: 'Regex whose first match in the answer becomes the body.' },
      parse_llm_response_json_instructions: {
        type: 'boolean',
        required: true,
        default: false,
        description: "Read status, headers and body from the LLM's JSON answer.",
      },
      http_timeout: { type: 'integer', required: true, default: 60000, description: 'LLM call timeout in milliseconds.' },
      https_verify: { type: 'boolean', required: true, default: true, description: "Verify the LLM server's certificate." },
      max_request_body_size: maxRequestBodySize,
      ...forwardProxyFields,
      llm: llmRecord,
    },
  },
  entityChecks: transformerChecks,
}
