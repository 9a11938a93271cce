/** aws-lambda: answer requests by invoking an AWS Lambda function. */
import * as t from '../../declarative/schema/typedefs.js'
import type { BooleanField, EntityCheck, PluginSchema } from '../../declarative/schema/types.js'

const flag = (value: boolean, description: string): BooleanField => ({ type: 'boolean', default: value, description })

/** Kong's check: a proxy URL that names a scheme must name http. */
const httpProxyOnly: EntityCheck = (plugin) => {
  const proxy = t.fieldAt(plugin, 'config.proxy_url')
  if (typeof proxy !== 'string') return undefined
  const scheme = /^([^:]+):\/\//.exec(proxy)?.[1]
  return scheme !== undefined && scheme !== 'http' ? { entity: ['proxy_url scheme must be http'] } : undefined
}

/** Kong's execution priority: higher runs first. */
export const priority = 750

export const schema: PluginSchema = {
  name: 'aws-lambda',
  acceptedProtocols: ['grpc', 'grpcs', 'http', 'https'],
  config: {
    type: 'record',
    description: 'aws-lambda settings.',
    fields: {
      timeout: { type: 'number', required: true, default: 60000, description: 'Invocation timeout in milliseconds.' },
      keepalive: { type: 'number', required: true, default: 60000, description: 'Idle connection lifetime in milliseconds.' },
      aws_key: { type: 'string', referenceable: true, description: 'AWS access key id.' },
      aws_secret: { type: 'string', referenceable: true, description: 'AWS secret access key.' },
      aws_assume_role_arn: { type: 'string', referenceable: true, description: 'IAM role assumed to invoke the function.' },
      aws_role_session_name: { type: 'string', default: 'kong', description: 'Session name of the assumed role.' },
      aws_sts_endpoint_url: t.url({ description: 'STS endpoint used to assume the role.' }),
      aws_region: t.host({ description: 'AWS region; detected at run time when unset.' }),
      function_name: { type: 'string', description: 'Function name or ARN (partial ARNs too).' },
      qualifier: { type: 'string', description: 'Version or alias invoked.' },
      invocation_type: {
        type: 'string',
        required: true,
        default: 'RequestResponse',
        oneOf: ['RequestResponse', 'Event', 'DryRun'],
        description: 'Lambda InvocationType.',
      },
      log_type: { type: 'string', required: true, default: 'Tail', oneOf: ['Tail', 'None'], description: 'Lambda LogType.' },
      host: t.host({ description: 'Lambda endpoint host instead of the regional one.' }),
      port: t.port({ default: 443, description: 'Lambda endpoint port.' }),
      disable_https: flag(false, 'Call the endpoint over plain HTTP.'),
      unhandled_status: { type: 'integer', between: [100, 999], description: 'Status answered for an unhandled function error.' },
      forward_request_method: flag(false, 'Send the request method to the function.'),
      forward_request_uri: flag(false, 'Send the request URI to the function.'),
      forward_request_headers: flag(false, 'Send the request headers to the function.'),
      forward_request_body: flag(false, 'Send the request body to the function.'),
      is_proxy_integration: flag(false, 'Read the answer in API Gateway proxy-integration format.'),
      awsgateway_compatible: flag(false, 'Send the request in API Gateway format.'),
      proxy_url: t.url({ description: 'HTTP proxy the calls go through.' }),
      skip_large_bodies: flag(true, 'Do not send bodies nginx buffered to disk.'),
      base64_encode_body: flag(true, 'Base64-encode the request body sent.'),
      aws_imds_protocol_version: { type: 'string', required: true, default: 'v1', oneOf: ['v1', 'v2'], description: 'Instance metadata protocol version.' },
      empty_arrays_mode: {
        type: 'string',
        required: true,
        default: 'legacy',
        oneOf: ['legacy', 'correct'],
        description: 'Empty arrays in answers sent as `{}` (legacy) or `[]`.',
      },
    },
  },
  entityChecks: [
    t.unlessReference(['config.aws_key', 'config.aws_secret'], t.allOrNone(['config.aws_key', 'config.aws_secret'])),
    httpProxyOnly,
  ],
}
