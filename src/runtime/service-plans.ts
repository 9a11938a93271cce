/**
 * What forwarding needs of each service, worked out once per snapshot: the scheme, the timeouts,
 * the path, and for https and grpcs the TLS material (CA bundle, client certificate) looked up
 * from the snapshot's certificates, so no request reads an entity list.
 */
import type { Service } from '../declarative/schema/entities/index.js'
import type { SnapshotIndex } from '../declarative/snapshot-index.js'

/** TLS towards an https or grpcs upstream (Kong's `proxy_ssl_*` / `grpc_ssl_*` per service). */
export interface ServiceTls {
  /** `tls_verify`; null in the config means Kong's default, which is not to verify. */
  readonly verify: boolean
  readonly verifyDepth: number | undefined
  /** The PEM bundle of `ca_certificates`, or undefined for the system's. */
  readonly ca: string | undefined
  /** The ids of `ca_certificates`, joined: part of the connection pool key. */
  readonly caIds: string
  readonly clientCert: { readonly id: string; readonly cert: string; readonly key: string } | undefined
}

/** How requests to one service are sent. */
export interface ServicePlan {
  /**
   * http and https go over HTTP/1.1 (forwardTry); grpc (h2c) and grpcs (HTTP/2 over TLS) over
   * HTTP/2 (grpcTry). tcp, tls, tls_passthrough and udp services get no plan.
   */
  readonly scheme: 'http' | 'https' | 'grpc' | 'grpcs'
  /** grpc or grpcs: sent over HTTP/2 with the client's own URI. */
  readonly grpc: boolean
  /** The port the Host header (`:authority` for gRPC) leaves out: 80 for http and grpc, 443 for https and grpcs. */
  readonly defaultPort: number
  readonly connectTimeoutMs: number
  readonly readTimeoutMs: number
  /** Set for https and grpcs. */
  readonly tls: ServiceTls | undefined
}

interface CertificateFields {
  readonly cert: string
  readonly key: string
}

function tlsOf(service: Service, index: SnapshotIndex): ServiceTls {
  const caIds = service.ca_certificates ?? []
  const pems = caIds.map((id) => (index.byId('ca_certificates', id) as { cert?: string } | undefined)?.cert).filter((pem): pem is string => typeof pem === 'string')
  const client = service.client_certificate ? (index.byId('certificates', service.client_certificate.id) as CertificateFields | undefined) : undefined
  return {
    verify: service.tls_verify === true,
    verifyDepth: service.tls_verify_depth ?? undefined,
    ca: pems.length > 0 ? pems.join('\n') : undefined,
    caIds: caIds.join(','),
    clientCert: client && service.client_certificate ? { id: service.client_certificate.id, cert: client.cert, key: client.key } : undefined,
  }
}

// Kong's schema leaves tls_verify, ca_certificates and client_certificate unset on a grpcs
// service, so its plan gets the defaults (no verification, no client certificate); they are read
// all the same, as for https, should a config carry them.
const OVER_TLS: ReadonlySet<string> = new Set(['https', 'grpcs'])

/** The plan of every http, https, grpc or grpcs service of a snapshot, by service id. */
export function buildServicePlans(services: readonly Service[], index: SnapshotIndex): ReadonlyMap<string, ServicePlan> {
  const plans = new Map<string, ServicePlan>()
  for (const service of services) {
    const scheme = service.protocol
    if (scheme !== 'http' && scheme !== 'https' && scheme !== 'grpc' && scheme !== 'grpcs') continue
    const tls = OVER_TLS.has(scheme)
    plans.set(service.id, {
      scheme,
      grpc: scheme === 'grpc' || scheme === 'grpcs',
      defaultPort: tls ? 443 : 80,
      connectTimeoutMs: service.connect_timeout,
      readTimeoutMs: service.read_timeout,
      tls: tls ? tlsOf(service, index) : undefined,
    })
  }
  return plans
}
