/**
 * Kong's checks on a request that matched a gRPC route (kong/runloop/handler.lua access.before,
 * after the https-only check): a request that is not gRPC gets 415, gRPC over HTTP/1.x gets 426,
 * and plain gRPC on a grpcs-only route gets a gRPC error (status 1) in a 200. Pure: facts in, an
 * answer or nothing out.
 */
import { PROXY_MESSAGES } from '../http/kong-errors.js'
import { kongError, type ErrorRequest, type ErrorResponse } from './error-response.js'

/** What the checks look at. */
export interface GrpcRouteFacts {
  /** The matched route's `protocols`. */
  readonly protocols: readonly string[]
  /** The client's HTTP major version: 2 for HTTP/2, 1 for HTTP/1.x. */
  readonly httpVersionMajor: number
  /** The request's first Content-Type line (nginx's `$content_type`), or undefined. */
  readonly contentType: string | undefined
  /** Kong's forwarded proto: the connection's scheme, or a trusted peer's X-Forwarded-Proto. */
  readonly forwardedProto: string
}

/** Kong's `grpc-message` for plain gRPC on a grpcs-only route (the other two are in PROXY_MESSAGES). */
export const GRPCS_ONLY_MESSAGE = 'gRPC request matched gRPCs route'

const GRPC_TYPE = 'application/grpc'

/**
 * Kong's answer to a request on a route with grpc or grpcs in its protocols, or undefined when
 * the request may go on (and for routes of other protocols). `req` and `requestId` give the 415
 * and 426 bodies their format and id, as kong.response.error does.
 *
 * The 426 carries `connection: Upgrade` and `upgrade: HTTP/2`, which HTTP/2 forbids in a
 * response; it is only ever sent to HTTP/1.x clients, since an HTTP/2 request passes that check.
 */
export function grpcRouteCheck(facts: GrpcRouteFacts, req: ErrorRequest, requestId: string): ErrorResponse | undefined {
  const grpc = facts.protocols.includes('grpc')
  if (!grpc && !facts.protocols.includes('grpcs')) return undefined
  // Kong compares the start of the header exactly: `Application/gRPC` is not gRPC to it.
  if (facts.contentType === undefined || !facts.contentType.startsWith(GRPC_TYPE)) return kongError(415, PROXY_MESSAGES.nonGrpc, req, requestId)
  if (facts.httpVersionMajor !== 2) {
    const refusal = kongError(426, PROXY_MESSAGES.useHttp2, req, requestId)
    return { ...refusal, headers: { ...refusal.headers, connection: 'Upgrade', upgrade: 'HTTP/2' } }
  }
  if (!grpc && facts.forwardedProto !== 'https') {
    // kong.response.exit(200, nil, headers): the gRPC status in the headers, no body.
    return { status: 200, headers: { 'content-type': GRPC_TYPE, 'grpc-status': '1', 'grpc-message': GRPCS_ONLY_MESSAGE, 'content-length': '0' }, body: '' }
  }
  return undefined
}
