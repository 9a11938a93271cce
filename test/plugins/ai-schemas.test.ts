/**
 * The AI plugins' config schemas (ai-proxy and its shared LLM settings, the prompt decorator,
 * template and guard, the request and response transformers): Kong's defaults, its cross
 * checks with their messages and where it reports them.
 */
import t from 'tap'
import { loadedPlugin, refusal } from '../helpers/plugin-config.js'

// Vault references resolve at load: the env vault reads this variable.
process.env.OPENAI_KEY = 'secret-from-env'

const HTTP = ['grpc', 'grpcs', 'http', 'https']
const LOGGING = { log_statistics: false, log_payloads: false }
const OPENAI = { route_type: 'llm/v1/chat', model: { provider: 'openai' } }
const OPENAI_STORED = { route_type: 'llm/v1/chat', auth: null, model: { provider: 'openai', name: null, options: null }, logging: LOGGING }
const TRANSFORMER_PROXY = { http_proxy_host: null, http_proxy_port: null, https_proxy_host: null, https_proxy_port: null }

const OPTIONS_STORED = {
  max_tokens: null,
  input_cost: null,
  output_cost: null,
  temperature: null,
  top_p: null,
  top_k: null,
  anthropic_version: null,
  azure_instance: null,
  azure_api_version: '2023-05-15',
  azure_deployment_id: null,
  llama2_format: null,
  mistral_format: null,
  upstream_url: null,
  upstream_path: null,
  gemini: null,
  bedrock: null,
  huggingface: null,
}

/** Each plugin's smallest valid config and the whole config Kong stores for it. */
const DEFAULTS: { name: string; config: Record<string, unknown>; expect: Record<string, unknown> }[] = [
  {
    name: 'ai-proxy',
    config: OPENAI,
    expect: { ...OPENAI_STORED, response_streaming: 'allow', max_request_body_size: 8192, model_name_header: true, llm_format: 'openai' },
  },
  {
    name: 'ai-prompt-decorator',
    config: { prompts: { append: [{ content: 'Answer in French.' }] } },
    expect: { prompts: { prepend: null, append: [{ role: 'system', content: 'Answer in French.' }] }, max_request_body_size: 8192, llm_format: 'openai' },
  },
  {
    name: 'ai-prompt-template',
    config: { templates: [{ name: 'greet', template: 'Say hello to {{name}}' }] },
    expect: { templates: [{ name: 'greet', template: 'Say hello to {{name}}' }], allow_untemplated_requests: true, log_original_request: false, max_request_body_size: 8192 },
  },
  {
    name: 'ai-prompt-guard',
    config: { deny_patterns: ['.*password.*'] },
    expect: { allow_patterns: null, deny_patterns: ['.*password.*'], allow_all_conversation_history: false, max_request_body_size: 8192, match_all_roles: false, llm_format: 'openai' },
  },
  {
    name: 'ai-request-transformer',
    config: { prompt: 'Translate to English.', llm: OPENAI },
    expect: { prompt: 'Translate to English.', transformation_extract_pattern: null, http_timeout: 60000, https_verify: true, max_request_body_size: 8192, ...TRANSFORMER_PROXY, llm: OPENAI_STORED },
  },
  {
    name: 'ai-response-transformer',
    config: { prompt: 'Summarize.', llm: OPENAI },
    expect: {
      prompt: 'Summarize.',
      transformation_extract_pattern: null,
      parse_llm_response_json_instructions: false,
      http_timeout: 60000,
      https_verify: true,
      max_request_body_size: 8192,
      ...TRANSFORMER_PROXY,
      llm: OPENAI_STORED,
    },
  },
]

t.test('the smallest valid configs get every default Kong fills', async (t) => {
  for (const c of DEFAULTS) {
    const plugin = await loadedPlugin(c.name, c.config)
    t.same(plugin?.config, c.expect, `${c.name}: config`)
    t.same(plugin?.protocols, HTTP, `${c.name}: default protocols`)
  }
})

t.test('records Kong leaves optional are filled once given', async (t) => {
  const plugin = await loadedPlugin('ai-proxy', {
    route_type: 'llm/v1/chat',
    auth: { header_name: 'Authorization', header_value: 'Bearer token' },
    model: { provider: 'openai', name: 'gpt-4o', options: { max_tokens: 256, temperature: 1.0, gemini: {} } },
  })
  const config = plugin?.config as Record<string, unknown>
  t.same(
    config.auth,
    {
      header_name: 'Authorization',
      header_value: 'Bearer token',
      param_name: null,
      param_value: null,
      param_location: null,
      gcp_use_service_account: false,
      gcp_service_account_json: null,
      aws_access_key_id: null,
      aws_secret_access_key: null,
      allow_override: false,
    },
    'auth gets its defaults',
  )
  t.same(
    config.model,
    { provider: 'openai', name: 'gpt-4o', options: { ...OPTIONS_STORED, max_tokens: 256, temperature: 1, gemini: { api_endpoint: null, project_id: null, location_id: null } } },
    'options and a given provider block get theirs',
  )
})

/** Configs Kong accepts, from its own specs among others. */
const ACCEPTED: { desc: string; name: string; config: Record<string, unknown> }[] = [
  {
    desc: 'Kong spec: self-hosted llama2 needs no auth',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', model: { name: 'llama-2-7b-chat-hf', provider: 'llama2', options: { max_tokens: 256, temperature: 1.0, upstream_url: 'http://nowhere', llama2_format: 'raw' } } },
  },
  {
    desc: 'Kong spec: header and param auth together',
    name: 'ai-proxy',
    config: {
      route_type: 'llm/v1/chat',
      auth: { param_name: 'apikey', param_value: 'key', param_location: 'query', header_name: 'Authorization', header_value: 'Bearer token' },
      model: { name: 'openai', provider: 'openai', options: { upstream_url: 'http://nowhere' } },
    },
  },
  {
    desc: 'Kong spec: gemini llm_format on a gemini chat',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', model: { name: 'gemini', provider: 'gemini' }, auth: { allow_override: false }, llm_format: 'gemini' },
  },
  {
    desc: 'azure with its three options (the api version defaults)',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', model: { provider: 'azure', options: { azure_instance: 'i', azure_deployment_id: 'd' } } },
  },
  {
    desc: 'a header value held in a vault, resolved at load',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', auth: { header_name: 'Authorization', header_value: '{vault://env/openai-key}' }, model: { provider: 'openai' } },
  },
  { desc: 'anthropic completions without statistics', name: 'ai-proxy', config: { route_type: 'llm/v1/completions', model: { provider: 'anthropic', options: { anthropic_version: '2023-06-01' } } } },
  { desc: 'both pattern lists', name: 'ai-prompt-guard', config: { allow_patterns: ['a'], deny_patterns: ['b'], match_all_roles: true } },
  { desc: 'a forward proxy with its port', name: 'ai-response-transformer', config: { prompt: 'p', llm: OPENAI, https_proxy_host: 'proxy.test', https_proxy_port: 3128 } },
]

t.test('configs Kong accepts load', async (t) => {
  for (const c of ACCEPTED) t.ok(await loadedPlugin(c.name, c.config), `${c.name}: ${c.desc}`)
})

const BEDROCK_AUTH = "bedrock and gemini only support auth.allow_override = false"

/** Configs Kong refuses, with the error tree it gives for the plugin. */
const REFUSED: { desc: string; name: string; config: Record<string, unknown>; entity?: Record<string, unknown>; fields: unknown }[] = [
  { desc: 'no route type or model', name: 'ai-proxy', config: {}, fields: { config: { route_type: 'required field missing', model: { provider: 'required field missing' } } } },
  {
    desc: 'unknown provider',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', model: { provider: 'groq' } },
    fields: { config: { model: { provider: 'expected one of: openai, azure, anthropic, cohere, mistral, llama2, gemini, bedrock, huggingface' } } },
  },
  {
    desc: 'Kong spec: llama2 without upstream_url',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', auth: { header_name: 'Authorization', header_value: 'Bearer token' }, model: { name: 'llama-2-7b-chat-hf', provider: 'llama2', options: { llama2_format: 'raw' } } },
    fields: { config: { '@entity': ["must set 'model.options.upstream_url' for self-hosted providers/models"] } },
  },
  {
    desc: 'llama2 with no options at all',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', model: { provider: 'llama2' } },
    fields: { config: { '@entity': ["must set 'model.options.llama2_format' for llama2 provider", "must set 'model.options.upstream_url' for self-hosted providers/models"] } },
  },
  {
    desc: 'Kong spec: anthropic without its version',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', auth: { header_name: 'x-api-key', header_value: 'anthropic_key' }, model: { name: 'anthropic-chat', provider: 'anthropic', options: { max_tokens: 256 } } },
    fields: { config: { '@entity': ["must set 'model.options.anthropic_version' for anthropic provider"] } },
  },
  {
    desc: 'Kong spec: anthropic completions with statistics',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/completions', model: { provider: 'anthropic', options: { anthropic_version: '2021-09-01' } }, logging: { log_statistics: true } },
    fields: { config: { '@entity': ['anthropic does not support statistics when route_type is llm/v1/completions'] } },
  },
  {
    desc: 'azure without options: each option Kong needs named',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', model: { provider: 'azure' } },
    fields: {
      config: {
        '@entity': [
          "must set 'model.options.azure_instance' for azure provider",
          "must set 'model.options.azure_api_version' for azure provider",
          "must set 'model.options.azure_deployment_id' for azure provider",
        ],
      },
    },
  },
  {
    desc: 'Kong spec: header name without value',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', auth: { header_name: 'Authorization' }, model: { provider: 'openai' } },
    fields: { config: { '@entity': ["all or none of these fields must be set: 'auth.header_name', 'auth.header_value'"] } },
  },
  {
    desc: 'Kong spec: param without location',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', auth: { param_name: 'apikey', param_value: 'key' }, model: { provider: 'openai' } },
    fields: { config: { '@entity': ["all or none of these fields must be set: 'auth.param_name', 'auth.param_value', 'auth.param_location'"] } },
  },
  {
    desc: 'Kong spec: bedrock with auth override',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', auth: { allow_override: true }, model: { provider: 'bedrock' } },
    fields: { config: { auth: { allow_override: 'value must be false' }, '@entity': [BEDROCK_AUTH] } },
  },
  {
    desc: 'gemini without an auth block (Kong compares the absent value with false)',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', model: { provider: 'gemini' } },
    fields: { config: { auth: { allow_override: 'value must be false' }, '@entity': [BEDROCK_AUTH] } },
  },
  {
    desc: 'gemini vertex settings all or none',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', auth: {}, model: { provider: 'gemini', options: { gemini: { project_id: 'p' } } } },
    fields: { config: { model: { options: { gemini: { '@entity': ["all or none of these fields must be set: 'api_endpoint', 'project_id', 'location_id'"] } } } } },
  },
  {
    desc: 'Kong spec: native llm_format on completions',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/completions', auth: { allow_override: false }, model: { provider: 'gemini' }, llm_format: 'gemini' },
    fields: { config: { route_type: 'value must be llm/v1/chat' }, '@entity': ["native provider options in llm_format can only be used with the 'llm/v1/chat' route_type"] },
  },
  {
    desc: 'Kong spec: bedrock llm_format with openai',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', model: { provider: 'openai' }, llm_format: 'bedrock' },
    fields: { config: { model: { provider: 'value must be bedrock' } }, '@entity': ["native llm_format 'bedrock' can only be used with the 'bedrock' model.provider"] },
  },
  {
    desc: 'Kong spec: gemini llm_format with openai',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', model: { provider: 'openai' }, llm_format: 'gemini' },
    fields: { config: { model: { provider: 'value must be gemini' } }, '@entity': ["native llm_format 'gemini' can only be used with the 'gemini' model.provider"] },
  },
  {
    desc: 'model options out of range',
    name: 'ai-proxy',
    config: { route_type: 'llm/v1/chat', model: { provider: 'openai', options: { temperature: 5.5, top_k: 501, input_cost: 0, upstream_url: 'nowhere' } } },
    fields: {
      config: {
        model: {
          options: { temperature: 'value should be between 0 and 5', top_k: 'value should be between 0 and 500', input_cost: 'value must be greater than 0', upstream_url: 'missing host in url' },
        },
      },
    },
  },
  { desc: 'streaming mode', name: 'ai-proxy', config: { ...OPENAI, response_streaming: 'never' }, fields: { config: { response_streaming: 'expected one of: allow, deny, always' } } },
  { desc: 'stream protocols', name: 'ai-proxy', config: OPENAI, entity: { protocols: ['tls'] }, fields: { protocols: ['expected one of: grpc, grpcs, http, https'] } },
  {
    desc: 'no prompts',
    name: 'ai-prompt-decorator',
    config: {},
    fields: { '@entity': ["at least one of these fields must be non-empty: 'config.prompts.prepend', 'config.prompts.append'"] },
  },
  {
    desc: 'empty prompt lists',
    name: 'ai-prompt-decorator',
    config: { prompts: { prepend: [], append: [] } },
    fields: { '@entity': ["at least one of these fields must be non-empty: 'config.prompts.prepend', 'config.prompts.append'"] },
  },
  {
    desc: 'prompt content and role',
    name: 'ai-prompt-decorator',
    config: { prompts: { prepend: [{ role: 'tool', content: '' }, { content: 'x'.repeat(501) }] } },
    fields: { config: { prompts: { prepend: [{ role: 'expected one of: system, assistant, user', content: 'length must be at least 1' }, { content: 'length must be at most 500' }] } } },
  },
  {
    desc: 'more than 15 prompts',
    name: 'ai-prompt-decorator',
    config: { prompts: { append: Array.from({ length: 16 }, () => ({ content: 'x' })) } },
    fields: { config: { prompts: { append: 'length must be at most 15' } } },
  },
  { desc: 'no templates', name: 'ai-prompt-template', config: {}, fields: { config: { templates: 'required field missing' } } },
  {
    desc: 'a template without its text',
    name: 'ai-prompt-template',
    config: { templates: [{ name: 'n' }] },
    fields: { config: { templates: [{ template: 'required field missing' }] } },
  },
  { desc: 'no patterns', name: 'ai-prompt-guard', config: {}, fields: { '@entity': ["at least one of these fields must be non-empty: 'config.allow_patterns', 'config.deny_patterns'"] } },
  {
    desc: 'all roles with the whole history',
    name: 'ai-prompt-guard',
    config: { allow_patterns: ['a'], match_all_roles: true, allow_all_conversation_history: true },
    fields: { config: { allow_all_conversation_history: 'value must be false' }, '@entity': ["failed conditional validation given value of field 'config.match_all_roles'"] },
  },
  {
    desc: 'more than 10 patterns, and a long one',
    name: 'ai-prompt-guard',
    config: { allow_patterns: Array.from({ length: 11 }, () => 'a'), deny_patterns: ['x'.repeat(501)] },
    fields: { config: { allow_patterns: 'length must be at most 10', deny_patterns: ['length must be at most 500'] } },
  },
  {
    desc: 'no prompt, no llm',
    name: 'ai-request-transformer',
    config: {},
    fields: { config: { prompt: 'required field missing', llm: { route_type: 'required field missing', model: { provider: 'required field missing' } } } },
  },
  {
    desc: 'a completions llm',
    name: 'ai-request-transformer',
    config: { prompt: 'p', llm: { route_type: 'llm/v1/completions', model: { provider: 'openai' } } },
    fields: { config: { llm: { route_type: 'value must be llm/v1/chat' } }, '@entity': ["'config.llm.route_type' must be 'llm/v1/chat' for AI transformer plugins"] },
  },
  {
    desc: 'the shared LLM checks apply to the nested llm',
    name: 'ai-response-transformer',
    config: { prompt: 'p', llm: { route_type: 'llm/v1/chat', model: { provider: 'mistral' } } },
    fields: { config: { llm: { '@entity': ["must set 'model.options.mistral_format' for mistral provider"] } } },
  },
  {
    desc: 'a proxy host without its port',
    name: 'ai-response-transformer',
    config: { prompt: 'p', llm: OPENAI, http_proxy_host: 'proxy.test' },
    fields: { '@entity': ["all or none of these fields must be set: 'config.http_proxy_host', 'config.http_proxy_port'"] },
  },
]

t.test('configs Kong refuses are refused with its messages', async (t) => {
  for (const c of REFUSED) t.same(await refusal(c.name, c.config, c.entity), c.fields, `${c.name}: ${c.desc}`)
})

t.test('ai-request-transformer cannot be scoped to a consumer', async (t) => {
  const fields = await refusal('ai-request-transformer', { prompt: 'p', llm: OPENAI }, { consumer: 'someone' })
  t.match(fields, { consumer: 'value must be null' })
  t.ok(await loadedPlugin('ai-response-transformer', { prompt: 'p', llm: OPENAI }), 'the response transformer has no such limit')
})
