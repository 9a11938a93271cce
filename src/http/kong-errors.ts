/**
 * Kong's error catalogue: the DAO error codes and names (`kong/db/errors.lua`), the fixed bodies
 * of the admin and status APIs, the proxy's messages and body templates, and the one mapping
 * from a config that failed to load to Kong's 400 body.
 */
import { ConfigParseError, type DeclarativeConfigError, type KongConfigErrorBody } from '../declarative/errors.js'

/** Kong's error codes and their names, as `kong/db/errors.lua` numbers them. */
export const ERROR_CODES = {
  INVALID_PRIMARY_KEY: { code: 1, name: 'invalid primary key' },
  SCHEMA_VIOLATION: { code: 2, name: 'schema violation' },
  PRIMARY_KEY_VIOLATION: { code: 3, name: 'primary key violation' },
  FOREIGN_KEY_VIOLATION: { code: 4, name: 'foreign key violation' },
  UNIQUE_VIOLATION: { code: 5, name: 'unique constraint violation' },
  NOT_FOUND: { code: 6, name: 'not found' },
  INVALID_OFFSET: { code: 7, name: 'invalid offset' },
  DATABASE_ERROR: { code: 8, name: 'database error' },
  INVALID_SIZE: { code: 9, name: 'invalid size' },
  INVALID_UNIQUE: { code: 10, name: 'invalid unique %s' },
  INVALID_OPTIONS: { code: 11, name: 'invalid options' },
  OPERATION_UNSUPPORTED: { code: 12, name: 'operation unsupported' },
  FOREIGN_KEYS_UNRESOLVED: { code: 13, name: 'foreign keys unresolved' },
  DECLARATIVE_CONFIG: { code: 14, name: 'invalid declarative configuration' },
  TRANSFORMATION_ERROR: { code: 15, name: 'transformation error' },
  INVALID_FOREIGN_KEY: { code: 16, name: 'invalid foreign key' },
  INVALID_WORKSPACE: { code: 17, name: 'invalid workspace' },
  INVALID_UNIQUE_GLOBAL: { code: 18, name: 'invalid global query' },
  REFERENCED_BY_OTHERS: { code: 19, name: 'referenced by others' },
  INVALID_SEARCH_QUERY: { code: 20, name: 'invalid search query' },
  SYNC_DELTAS: { code: 21, name: 'invalid sync deltas' },
} as const

export type ErrorCodeName = keyof typeof ERROR_CODES

/** A DAO error body: `{code, name, message}`, with `fields` when given. */
export interface KongErrorBody {
  readonly code: number
  readonly name: string
  readonly message: string
  readonly fields?: unknown
}

/** The body Kong sends for a DAO error of this kind. */
export function kongError(kind: ErrorCodeName, message: string, fields?: unknown): KongErrorBody {
  const { code, name } = ERROR_CODES[kind]
  return fields === undefined ? { code, name, message } : { code, name, message, fields }
}

/** The fixed `{"message": ...}` bodies of the admin and status APIs. */
export const KONG_BODIES = {
  notFound: { message: 'Not found' },
  methodNotAllowed: { message: 'Method not allowed' },
  unexpected: { message: 'An unexpected error occurred' },
  tooLarge: { message: 'Request Entity Too Large' },
  cannotParseJson: { message: 'Cannot parse JSON body' },
  cannotParseMultipart: { message: 'Cannot parse multipart body' },
  expectedConfig: { message: 'expected a declarative configuration' },
  loadBusy: { message: 'Currently loading previous configuration' },
} as const satisfies Record<string, { readonly message: string }>

/** Messages the proxy sends with `kong.response.error` (Kong's runloop and balancer). */
export const PROXY_MESSAGES = {
  noRoute: 'no Route matched with those values',
  noService: 'no Service found with those values',
  useHttps: 'Please use HTTPS protocol',
  useHttp2: 'Please use HTTP2 protocol',
  nonGrpc: 'Non-gRPC request matched gRPC route',
  nameResolution: 'name resolution failed',
  noPeer: 'failure to get a peer from the ring-balancer',
  unexpected: 'An unexpected error occurred',
} as const

/** Messages of the proxy's error pages (Kong's `error_handlers.lua`), by status. */
export const ERROR_PAGE_MESSAGES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  404: 'Not found',
  405: 'Method not allowed',
  408: 'Request timeout',
  411: 'Length required',
  412: 'Precondition failed',
  413: 'Payload too large',
  414: 'URI too long',
  417: 'Expectation failed',
  494: 'Request header or cookie too large',
  500: 'An unexpected error occurred',
  502: 'An invalid response was received from the upstream server',
  503: 'The upstream server is currently unavailable',
  504: 'The upstream server is timing out',
}

/** The error page message for a status, with Kong's fallback for statuses it has none for. */
export function errorPageMessage(status: number): string {
  return ERROR_PAGE_MESSAGES[status] ?? `The upstream server responded with ${status}`
}

/**
 * `kong.response.error`'s message for a status given none (kong/pdk/response.lua
 * HTTP_ERROR_MESSAGES); unlike the error pages it names most 4xx and 5xx statuses.
 */
export const DEFAULT_ERROR_MESSAGES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Unauthorized',
  402: 'Payment required',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  407: 'Proxy authentication required',
  408: 'Request timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length required',
  412: 'Precondition failed',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  416: 'Range not satisfiable',
  417: 'Expectation failed',
  418: "I'm a teapot",
  421: 'Misdirected request',
  422: 'Unprocessable entity',
  423: 'Locked',
  424: 'Failed dependency',
  425: 'Too early',
  426: 'Upgrade required',
  428: 'Precondition required',
  429: 'Too many requests',
  431: 'Request header fields too large',
  451: 'Unavailable for legal reasons',
  494: 'Request header or cookie too large',
  500: 'An unexpected error occurred',
  501: 'Not implemented',
  502: 'An invalid response was received from the upstream server',
  503: 'The upstream server is currently unavailable',
  504: 'The upstream server is timing out',
  505: 'HTTP version not supported',
  506: 'Variant also negotiates',
  507: 'Insufficient storage',
  508: 'Loop detected',
  510: 'Not extended',
  511: 'Network authentication required',
}

/** The message `kong.response.error` sends for a status when it is given none. */
export function defaultErrorMessage(status: number): string {
  return DEFAULT_ERROR_MESSAGES[status] ?? `The upstream server responded with ${status}`
}

/** The formats of Kong's error bodies (kong/tools/http.lua ERROR_TEMPLATES). */
export type ErrorFormat = 'json' | 'html' | 'xml' | 'plain'

/** The Content-Type of each error body format. */
export const ERROR_CONTENT_TYPES: Readonly<Record<ErrorFormat, string>> = {
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  plain: 'text/plain; charset=utf-8',
}

// The message goes into every template as it is, unescaped, because Kong does so
// (`string.format`): bodies stay byte for byte Kong's, and the messages Kong itself sends hold no
// character that needs escaping. A plugin message with `"` or `<` gives the same broken body
// Kong gives.

/** Kong's JSON error template (no trailing newline; the message is inserted unescaped, as Kong does). */
export function proxyErrorJson(message: string, requestId: string): string {
  return `{\n  "message":"${message}",\n  "request_id":"${requestId}"\n}`
}

/** Kong's error body in a format: its JSON, HTML (with a `.` after the message), XML or plain template. */
export function proxyErrorBody(format: ErrorFormat, message: string, requestId: string): string {
  switch (format) {
    case 'json':
      return proxyErrorJson(message, requestId)
    case 'html':
      return `<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Error</title>\n  </head>\n  <body>\n    <h1>Error</h1>\n    <p>${message}.</p>\n    <p>request_id: ${requestId}</p>\n  </body>\n</html>\n`
    case 'xml':
      return `<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>${message}</message>\n  <requestid>${requestId}</requestid>\n</error>\n`
    case 'plain':
      return `${message}\nrequest_id: ${requestId}\n`
  }
}

/** The 400 body for a config that could not be read or is invalid: Kong's code 14 shape, plus `details`. */
export function loadErrorBody(err: ConfigParseError | DeclarativeConfigError, flatten: boolean): KongConfigErrorBody {
  if (err instanceof ConfigParseError) {
    return {
      code: 14,
      name: 'invalid declarative configuration',
      message: `declarative config is invalid: {error=${JSON.stringify(err.message)}}`,
      fields: { error: err.message },
      details: err.located(),
    }
  }
  return err.toKongBody(flatten)
}
