/** ai-request-transformer: have an LLM rewrite the request body before it is proxied. */
import type { PluginSchema } from '../../declarative/schema/types.js'
import { HTTP_PROTOCOLS, forwardProxyFields, llmRecord, maxRequestBodySize, transformerChecks } from '../llm-schema.js'

/** Kong's execution priority: higher runs first. */
export const priority = 777

export const schema: PluginSchema = {
  name: 'ai-request-transformer',
  acceptedProtocols: HTTP_PROTOCOLS,
  noConsumer: true,
  config: {
    type: 'record',
    description: 'ai-request-transformer settings.',
    fields: {
      prompt: { type: 'string', required: true, description: 'Instructions given to the LLM with the request body.' },
      transformation_extract_pattern: { type: 'string', description: 'Regex whose first match in the answer becomes the body.' },
      http_timeout: { type: 'integer', required: true, default: 60000, description: 'LLM call timeout in milliseconds.' },
      https_verify: { type: 'boolean', required: true, default: true, description: "Verify the LLM server's certificate." },
      max_request_body_size: maxRequestBodySize,
      ...forwardProxyFields,
      llm: llmRecord,
    },
  },
  entityChecks: transformerChecks,
}
