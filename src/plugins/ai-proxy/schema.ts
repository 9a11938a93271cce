/** ai-proxy: turn a route into an LLM endpoint, translating to and from the provider's API. */
import * as t from '../../declarative/schema/typedefs.js'
import type { PluginSchema } from '../../declarative/schema/types.js'
import { HTTP_PROTOCOLS, llmChecks, llmFields, llmFormat, maxRequestBodySize } from '../llm-schema.js'

/** Kong's execution priority: higher runs first. */
export const priority = 770

export const schema: PluginSchema = {
  name: 'ai-proxy',
  acceptedProtocols: HTTP_PROTOCOLS,
  config: {
    type: 'record',
    description: "ai-proxy settings: the shared LLM settings and the proxy's own.",
    fields: {
      ...llmFields,
      response_streaming: {
        type: 'string',
        default: 'allow',
        oneOf: ['allow', 'deny', 'always'],
        description: 'Server-sent-event streaming of answers: allowed, refused or forced.',
      },
      max_request_body_size: maxRequestBodySize,
      model_name_header: { type: 'boolean', default: true, description: 'Name the model in X-Kong-LLM-Model.' },
      llm_format: llmFormat,
    },
    entityChecks: llmChecks,
  },
  entityChecks: [
    t.conditional(
      'config.llm_format',
      (v) => v === 'bedrock' || v === 'gemini',
      'config.route_type',
      t.mustEqual('llm/v1/chat'),
      { err: "native provider options in llm_format can only be used with the 'llm/v1/chat' route_type" },
    ),
    t.conditional('config.llm_format', (v) => v === 'bedrock', 'config.model.provider', t.mustEqual('bedrock'), { err: "native llm_format 'bedrock' can only be used with the 'bedrock' model.provider" }),
    t.conditional('config.llm_format', (v) => v === 'gemini', 'config.model.provider', t.mustEqual('gemini'), { err: "native llm_format 'gemini' can only be used with the 'gemini' model.provider" }),
  ],
}
