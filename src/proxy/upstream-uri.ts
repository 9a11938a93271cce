/**
 * The path and query a matched request is sent upstream with: Kong's `strip_path` and
 * path_handling v0 (kong/router/utils.lua get_upstream_uri_v0, called by kong/router/atc.lua
 * set_upstream_uri), then Kong's `escape()` and the raw query (kong/runloop/handler.lua).
 *
 * Only v0: the `traditional_compatible` and `expressions` routers (kong/router/atc.lua) call
 * get_upstream_uri_v0 whatever the route's `path_handling` says; only the old `traditional`
 * router, which we do not implement, reads `path_handling = "v1"` (Kong's own deprecation
 * notice in kong/db/schema/entities/routes.lua says v1 "will not work under 'expressions' or
 * 'traditional_compatible' router_flavor").
 *
 * Paths are Unicode text as normalizePath gives them: Node refuses a request line with raw
 * bytes above 0x7F, so every non-ASCII character came from a decoded UTF-8 escape.
 */
import { escapeUri } from '../util/uri.js'

const SLASH = 0x2f
const DOT = 0x2e

// The request path after the matched prefix, "sanitized" as Kong's sanitize_uri_postfix does:
// `.` and `..` become empty, a leading `./` or `../` is dropped.
function postfixOf(path: string, prefix: string): string {
  const from = prefix.length
  const left = path.length - from
  if (left <= 0) return ''
  if (path.charCodeAt(from) === DOT) {
    if (left === 1) return ''
    const second = path.charCodeAt(from + 1)
    if (second === SLASH) return path.slice(from + 2)
    if (second === DOT) {
      if (left === 2) return ''
      if (path.charCodeAt(from + 2) === SLASH) return path.slice(from + 3)
    }
  }
  return path.slice(from)
}

/**
 * Kong's v0 upstream path, not yet escaped: `path` is the normalized request path, `matched` the
 * text the route matched (its prefix path, or the whole regex match; undefined when the route
 * has no paths), `servicePath` the service's `path` (null means "/").
 */
export function upstreamPath(path: string, matched: string | undefined, stripPath: boolean, servicePath: string | null): string {
  const base = servicePath ?? '/'
  const baseEndsWithSlash = base.charCodeAt(base.length - 1) === SLASH
  if (!stripPath) {
    if (baseEndsWithSlash) return base.length === 1 && path.charCodeAt(0) === SLASH ? path : base + path.slice(1)
    return path === '/' ? base : base + path
  }
  const postfix = postfixOf(path, matched ?? '/')
  if (baseEndsWithSlash) {
    if (postfix === '') {
      if (base.length === 1) return '/'
      return path.charCodeAt(path.length - 1) === SLASH ? base : base.slice(0, -1)
    }
    if (postfix.charCodeAt(0) === SLASH) return base.slice(0, -1) + postfix
    return base + postfix
  }
  if (postfix === '') return path.length > 1 && path.charCodeAt(path.length - 1) === SLASH ? base + '/' : base
  if (postfix.charCodeAt(0) === SLASH) return base + postfix
  return base + '/' + postfix
}

/**
 * The request target sent upstream: the v0 path escaped as Kong's `escape()` does, then `?` and
 * the raw query when the request had a `?` at all (`query` undefined means none; an empty
 * string keeps a bare `?`, as Kong does).
 */
export function upstreamUri(path: string, matched: string | undefined, stripPath: boolean, servicePath: string | null, query: string | undefined): string {
  const escaped = escapeUri(upstreamPath(path, matched, stripPath, servicePath))
  return query === undefined ? escaped : escaped + '?' + query
}

/**
 * The prefix Kong reports in `X-Forwarded-Prefix`: the matched text when the path was stripped,
 * unless it is "/" or the route has no paths.
 */
export function strippedPrefix(matched: string | undefined, stripPath: boolean): string | undefined {
  return stripPath && matched !== undefined && matched !== '/' ? matched : undefined
}

// Kong looks for `?` from the second byte on; a target never starts with one.
const queryMark = (target: string): number => target.indexOf('?', 1)

/** The raw path of a request target: everything before its `?` (X-Forwarded-Path's value). */
export function targetPath(target: string): string {
  const q = queryMark(target)
  return q === -1 ? target : target.slice(0, q)
}

/** The raw query of a request target, undefined when it has no `?` (an empty one is ''). */
export function targetQuery(target: string): string | undefined {
  const q = queryMark(target)
  return q === -1 ? undefined : target.slice(q + 1)
}
