/**
 * HTTP/1.x responses that close their connection once the process is stopping. Their head says
 * `Connection: close`, so a keep-alive client sends its next request on a new connection (which
 * a closed listener refuses) rather than on one the stop closes under it as it goes idle.
 */
import { ServerResponse, type IncomingMessage } from 'node:http'

/** A ServerResponse class whose responses close their connection while `stopping()` is true. */
export function closingResponse(stopping: () => boolean): typeof ServerResponse {
  return class ClosingResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
    // Every head goes through writeHead (an implicit one too): one check per response, and no
    // list of responses in flight to keep for the sake of stopping.
    override writeHead(...args: unknown[]): this {
      if (stopping()) this.shouldKeepAlive = false
      return (super.writeHead as (...a: unknown[]) => this).apply(this, args)
    }
  }
}
