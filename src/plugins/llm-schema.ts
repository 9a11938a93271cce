/**
 * The LLM settings shared by the AI plugins (Kong's kong/llm/schemas): the route type, the
 * provider's authentication, the model and its options, and logging, with Kong's cross checks.
 * ai-proxy's config is this record plus its own fields; the AI transformers nest it as `llm`.
 */
import * as t from '../declarative/schema/typedefs.js'
import type { EntityCheck, Field, RecordField } from '../declarative/schema/types.js'

const optionalString = (description: string, referenceable = false): Field => ({ type: 'string', description, ...(referenceable ? { referenceable } : {}) })

const auth: RecordField = {
  type: 'record',
  description: 'How the node authenticates to the AI provider.',
  fields: {
    header_name: optionalString('Header carrying the credential.', true),
    header_value: optionalString('Full value of that header (`Bearer key`).', true),
    param_name: optionalString('Query or body parameter carrying the credential.', true),
    param_value: optionalString('Value of that parameter.', true),
    param_location: { type: 'string', oneOf: ['query', 'body'], description: 'Where the parameter goes.' },
    gcp_use_service_account: { type: 'boolean', default: false, description: 'Authenticate to GCP with a service account.' },
    gcp_service_account_json: optionalString('Service account JSON; read from GCP_SERVICE_ACCOUNT when unset.', true),
    aws_access_key_id: optionalString('AWS access key id for Bedrock.', true),
    aws_secret_access_key: optionalString('AWS secret access key for Bedrock.', true),
    allow_override: { type: 'boolean', default: false, description: "Let the client's own credential win over this one." },
  },
}

const options: RecordField = {
  type: 'record',
  description: 'Model settings.',
  fields: {
    max_tokens: { type: 'integer', description: 'max_tokens of chat and completion models.' },
    input_cost: { type: 'number', gt: 0, description: 'Cost per million prompt tokens.' },
    output_cost: { type: 'number', gt: 0, description: 'Cost per million answer tokens.' },
    temperature: { type: 'number', between: [0, 5], description: 'Sampling temperature.' },
    top_p: { type: 'number', between: [0, 1], description: 'Top-p probability mass.' },
    top_k: { type: 'integer', between: [0, 500], description: 'Top-k tokens considered.' },
    anthropic_version: optionalString('Anthropic API version.'),
    azure_instance: optionalString('Azure OpenAI instance name.'),
    azure_api_version: { type: 'string', default: '2023-05-15', description: 'Azure OpenAI api-version.' },
    azure_deployment_id: optionalString('Azure OpenAI deployment id.'),
    llama2_format: { type: 'string', oneOf: ['raw', 'openai', 'ollama'], description: 'Upstream message format of llama2 models.' },
    mistral_format: { type: 'string', oneOf: ['openai', 'ollama'], description: 'Upstream message format of mistral models.' },
    upstream_url: t.url({ description: 'Full URL of the model endpoint (self-hosted or private).' }),
    upstream_path: optionalString('Deprecated (use upstream_url): path of the model endpoint.'),
    gemini: {
      type: 'record',
      description: 'Gemini on Vertex.',
      fields: {
        api_endpoint: optionalString('Regional API endpoint (host name).'),
        project_id: optionalString('Project id.'),
        location_id: optionalString('Location id.'),
      },
      entityChecks: [t.allOrNone(['api_endpoint', 'project_id', 'location_id'])],
    },
    bedrock: {
      type: 'record',
      description: 'AWS Bedrock.',
      fields: { aws_region: optionalString('AWS region instead of AWS_REGION.') },
    },
    huggingface: {
      type: 'record',
      description: 'Hugging Face inference API.',
      fields: {
        use_cache: { type: 'boolean', description: 'Use the inference cache.' },
        wait_for_model: { type: 'boolean', description: 'Wait for a model that is not ready.' },
      },
    },
  },
}

/** The AI providers Kong OSS speaks to. */
export const PROVIDERS = ['openai', 'azure', 'anthropic', 'cohere', 'mistral', 'llama2', 'gemini', 'bedrock', 'huggingface'] as const

/** The shared LLM fields. */
export const llmFields: Readonly<Record<string, Field>> = {
  route_type: {
    type: 'string',
    required: true,
    oneOf: ['llm/v1/chat', 'llm/v1/completions', 'preserve'],
    description: 'Operation performed; `preserve` passes requests through untranslated.',
  },
  auth,
  model: {
    type: 'record',
    required: true,
    description: 'The model called.',
    fields: {
      provider: { type: 'string', required: true, oneOf: PROVIDERS, description: 'Provider whose API format is spoken.' },
      name: optionalString('Model name.'),
      options,
    },
  },
  logging: {
    type: 'record',
    required: true,
    description: "What is added to the log plugins' output.",
    fields: {
      log_statistics: { type: 'boolean', required: true, default: false, description: 'Add usage and token metrics.' },
      log_payloads: { type: 'boolean', required: true, default: false, description: 'Add request and answer bodies.' },
    },
  },
}

const provider =
  (...names: string[]) =>
  (v: unknown): boolean =>
    typeof v === 'string' && names.includes(v)

const mustSet = (provider: string, option: string, err: string): EntityCheck =>
  t.conditionalAtLeastOneOf('model.provider', (v) => v === provider, [`model.options.${option}`], err)

/** Kong's checks over the shared LLM fields, in Kong's order. */
export const llmChecks: readonly EntityCheck[] = [
  t.conditional('model.provider', provider('bedrock', 'gemini'), 'auth.allow_override', t.mustEqual(false), { err: 'bedrock and gemini only support auth.allow_override = false' }),
  t.unlessReference(['auth.header_name', 'auth.header_value'], t.allOrNone(['auth.header_name', 'auth.header_value'])),
  t.unlessReference(['auth.param_name', 'auth.param_value'], t.allOrNone(['auth.param_name', 'auth.param_value', 'auth.param_location'])),
  mustSet('llama2', 'llama2_format', 'must set %s for llama2 provider'),
  mustSet('mistral', 'mistral_format', 'must set %s for mistral provider'),
  mustSet('anthropic', 'anthropic_version', 'must set %s for anthropic provider'),
  mustSet('azure', 'azure_instance', 'must set %s for azure provider'),
  mustSet('azure', 'azure_api_version', 'must set %s for azure provider'),
  mustSet('azure', 'azure_deployment_id', 'must set %s for azure provider'),
  mustSet('llama2', 'upstream_url', 'must set %s for self-hosted providers/models'),
  (r) => {
    const provider = t.fieldAt(r, 'model.provider')
    const routeType = t.fieldAt(r, 'route_type')
    if (t.fieldAt(r, 'logging.log_statistics') !== true || routeType !== 'llm/v1/completions' || provider !== 'anthropic') return undefined
    return { entity: [`${provider} does not support statistics when route_type is ${routeType}`] }
  },
]

/** The shared LLM settings as one record (the AI transformers' `llm`). */
export const llmRecord: RecordField = {
  type: 'record',
  required: true,
  description: 'The LLM called.',
  fields: llmFields,
  entityChecks: llmChecks,
}

/** The HTTP protocols, the only ones the AI plugins accept. */
export const HTTP_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https']

/** The body size limit every AI plugin declares. */
export const maxRequestBodySize: Field = { type: 'integer', default: 8 * 1024, gt: 0, description: 'Largest request body inspected, in bytes.' }

/** The request and answer format every AI plugin but the transformers declares. */
export const llmFormat: Field = {
  type: 'string',
  default: 'openai',
  oneOf: ['openai', 'bedrock', 'gemini'],
  description: 'Format of the requests and answers the client speaks.',
}

/** The forward-proxy settings of the AI transformers, in Kong's order. */
export const forwardProxyFields: Readonly<Record<string, Field>> = {
  http_proxy_host: t.host({ description: 'Proxy host for http calls to the LLM.' }),
  http_proxy_port: t.port({ description: 'Proxy port for http calls to the LLM.' }),
  https_proxy_host: t.host({ description: 'Proxy host for https calls to the LLM.' }),
  https_proxy_port: t.port({ description: 'Proxy port for https calls to the LLM.' }),
}

/** Kong's plugin-level checks of both AI transformers. */
export const transformerChecks: readonly EntityCheck[] = [
  t.conditional(
    'config.llm.route_type',
    (v) => v !== 'llm/v1/chat',
    'config.llm.route_type',
    t.mustEqual('llm/v1/chat'),
    { err: "'config.llm.route_type' must be 'llm/v1/chat' for AI transformer plugins" },
  ),
  t.allOrNone(['config.http_proxy_host', 'config.http_proxy_port']),
  t.allOrNone(['config.https_proxy_host', 'config.https_proxy_port']),
]
