/** The `services` entity: an upstream API that routes forward to. */
import * as t from '../typedefs.js'
import { defineEntity, type EntityOf, type Shorthand } from '../types.js'

/** Every protocol a service or route may name, sorted as Kong lists them. */
export const PROTOCOLS = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp'] as const

const TLS_ONLY = t.notOneOf(['https', 'tls'])

/**
 * `url: https://host:port/path` expands to protocol, host, port and path exactly as Kong's
 * shorthand does (LuaSocket's parse, no checks of its own): what the URL lacks is filled from
 * the port (80 is http, 443 https) or left to the fields' own checks and messages.
 */
const url: Shorthand = (value) => {
  if (typeof value !== 'string') return { error: 'expected a string' }
  const parsed = t.parseSocketUrl(value)
  const written = parsed.port === undefined || parsed.port.trim() === '' ? undefined : Number(parsed.port)
  const port = written !== undefined && Number.isFinite(written) ? written : undefined
  const protocol = parsed.scheme ?? (port === 443 ? 'https' : 'http')
  return {
    fields: {
      protocol,
      host: parsed.host ?? null,
      port: port ?? parsed.port ?? (protocol === 'https' ? 443 : 80),
      path: parsed.path ?? null,
    },
  }
}

export const services = defineEntity({
  name: 'services',
  singular: 'service',
  endpointKey: 'name',
  fields: {
    id: t.id(),
    created_at: t.timestamp('When the service was created (seconds).'),
    updated_at: t.timestamp('When the service was last updated (seconds).'),
    name: t.name({ description: 'Unique name of the service.' }),
    retries: { type: 'integer', between: [0, 32767], default: 5, description: 'Retries on failure; total tries = retries + 1.' },
    protocol: { type: 'string', oneOf: PROTOCOLS, required: true, default: 'http', description: 'Protocol used to talk to the upstream.' },
    host: t.host({ required: true, description: 'Upstream host (name or IP, no port); an upstream name load-balances.' }),
    port: t.port({ required: true, default: 80, description: 'Upstream port (80 even for https unless set).' }),
    path: t.urlPath({ description: 'Path prefix added to upstream requests.' }),
    connect_timeout: t.timeout({ default: 60000, description: 'Connect timeout in milliseconds.' }),
    write_timeout: t.timeout({ default: 60000, description: 'Write timeout between two writes, in milliseconds.' }),
    read_timeout: t.timeout({ default: 60000, description: 'Read timeout between two reads, in milliseconds.' }),
    tags: t.tags(),
    client_certificate: t.foreign('certificates', { description: 'Certificate presented to the upstream (https/tls only).' }),
    tls_verify: { type: 'boolean', description: 'Verify the upstream certificate (https/tls only).' },
    tls_verify_depth: { type: 'integer', between: [0, 64], description: 'Maximum verification chain depth (https/tls only).' },
    ca_certificates: {
      type: 'array',
      description: 'CA certificate ids trusted for upstream verification (https/tls only).',
      elements: { type: 'string', format: 'uuid', description: 'A ca_certificates id.' },
    },
    enabled: { type: 'boolean', required: true, default: true, description: 'Disabled services and their routes are not proxied.' },
  },
  entityChecks: [
    t.conditional('protocol', TLS_ONLY, 'client_certificate', t.mustBeNull),
    t.conditional('protocol', TLS_ONLY, 'tls_verify', t.mustBeNull),
    t.conditional('protocol', TLS_ONLY, 'tls_verify_depth', t.mustBeNull),
    t.conditional('protocol', TLS_ONLY, 'ca_certificates', t.mustBeNull),
    t.conditional('protocol', t.oneOf(['tcp', 'tls', 'udp', 'grpc', 'grpcs', 'tls_passthrough']), 'path', t.mustBeNull),
  ],
  shorthands: { url },
})
/** A stored services entity. */
export type Service = EntityOf<typeof services>
