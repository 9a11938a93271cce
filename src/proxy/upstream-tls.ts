/**
 * Node TLS client options for an upstream's TLS parameters (Kong's per-service `proxy_ssl_*` and
 * `grpc_ssl_*`): verification, the CA bundle, the client certificate, the server name, and
 * nginx's verify depth, which Node has no option for.
 */
import { checkServerIdentity, type ConnectionOptions, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls'
import type { UpstreamTls } from './upstream-pools.js'

/**
 * The host name check, plus nginx's `proxy_ssl_verify_depth` as OpenSSL counts it: how many
 * intermediate CAs may stand between the upstream's certificate and the trust anchor.
 */
export function depthChecked(maxDepth: number): (host: string, cert: PeerCertificate) => Error | undefined {
  return (host, cert) => {
    const mismatch = checkServerIdentity(host, cert)
    if (mismatch) return mismatch
    let steps = 0
    for (let c: DetailedPeerCertificate | undefined = cert as DetailedPeerCertificate; c?.issuerCertificate && c.issuerCertificate !== c; c = c.issuerCertificate) steps++
    const intermediates = Math.max(0, steps - 1)
    return intermediates > maxDepth ? new Error(`certificate chain too long: ${intermediates} intermediate CA(s), tls_verify_depth ${maxDepth}`) : undefined
  }
}

/** The options `tls.connect` (and `http2.connect`) take for these parameters; no TLS material means Kong's default, no verification. */
export function upstreamTlsOptions(tls: UpstreamTls | undefined): ConnectionOptions {
  if (tls === undefined) return { rejectUnauthorized: false }
  return {
    rejectUnauthorized: tls.verify,
    ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls.clientCert ? { cert: tls.clientCert.cert, key: tls.clientCert.key } : {}),
    ...(tls.verify && tls.verifyDepth !== undefined ? { checkServerIdentity: depthChecked(tls.verifyDepth) } : {}),
  }
}
