/** The router's contract: what a request offers to matching, and what a match returns. */
import type { Route, Service } from '../declarative/schema/entities/index.js'

/** What the router reads of a request. */
export interface RouterRequest {
  /** The request method, as received (matched case-sensitively, as Kong does). */
  readonly method: string
  /** The request target's path, without the query string, as received (not yet normalized). */
  readonly rawPath: string
  /** The raw Host header, or undefined when there is none. */
  readonly host: string | undefined
  /** The listener's port: the port host rules check when the Host header carries none. */
  readonly port: number
  readonly scheme: 'http' | 'https'
  /** The TLS server name the client sent, if any. */
  readonly sni?: string
  /** A request header's values by lower-case name with `-` (route names with `_` are looked up with `-`). */
  header(name: string): string | readonly string[] | undefined
}

/** Captures of a regex path: `0` the whole match, `1`…`n` positional, and the named groups. */
export type UriCaptures = Readonly<Record<string, string>>

/** The route a request matched, and what the proxy needs of the match. */
export interface RouteMatch {
  readonly route: Route
  /** The route's service; undefined when the route has none (Kong answers 503). */
  readonly service: Service | undefined
  /** The normalized request path the route was matched against. */
  readonly path: string
  /** The text a path matched: the prefix path, or the regex's whole match; undefined without paths. */
  readonly prefix: string | undefined
  /** Regex captures, when the matched regex has groups and one of them took part. */
  readonly captures: UriCaptures | undefined
}

/** A compiled router: built once per snapshot, then only read. */
export interface Router {
  /** The route a request matches, by Kong's priority order, or undefined. */
  match(req: RouterRequest): RouteMatch | undefined
  /** The same answer found by trying every matcher in priority order (tests and benchmarks). */
  matchLinear(req: RouterRequest): RouteMatch | undefined
  /** How many matchers the routes became (routes split by path group count several times). */
  readonly size: number
}
