/**
 * Serves a request handler on each configured listener as Kong's listen flags say: plain
 * HTTP/1.1, `ssl` (HTTPS), `ssl http2` (ALPN `h2` with HTTP/1.1 fallback), plain `http2` (h2c
 * prior knowledge beside HTTP/1.1 on one port) and `proxy_protocol` (a PROXY header first),
 * counting connections. Every listener is returned as a `Listener`, which stops the same way
 * whatever it serves.
 */
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer, type ServerOptions } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createSecureServer, createServer as createH2cServer, type Http2Server, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2'
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net'
import type { SecureContext, TlsOptions } from 'node:tls'
import type { ListenSpec } from '../conf/listen.js'
import type { NodeLogger } from '../log.js'
import type { ClientHello } from '../tls/client-hello.js'
import { KeyTypeContexts } from '../tls/certificate-selector.js'
import type { ConnectionCounters } from './connection-counters.js'
import { createConnectionFront } from './connection-front.js'

/** A listener that could not be bound, named as the setting names it. */
export class ListenError extends Error {
  constructor(
    readonly setting: string,
    readonly spec: ListenSpec,
    readonly code: string | undefined,
    reason: string,
  ) {
    super(`${setting} ${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}: ${reason}`)
    this.name = 'ListenError'
  }
}

const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available',
}

/** Why a bind failed, in words. */
export function bindFailure(setting: string, spec: ListenSpec, err: NodeJS.ErrnoException): ListenError {
  return new ListenError(setting, spec, err.code, (err.code && REASONS[err.code]) ?? err.message)
}

/** nginx binds `[::]` listeners IPv6-only unless told `ipv6only=off`, so `0.0.0.0:P, [::]:P` both bind. */
export function ipv6Only(spec: ListenSpec): boolean | undefined {
  return spec.host.includes(':') ? (spec.ipv6only ?? true) : undefined
}

/** Picks a certificate per TLS handshake from the client's server name and whether it takes ECDSA; none: the listener's default. */
export type SniSelect = (servername: string, ecdsa: boolean) => SecureContext | undefined

/** What `ssl` listeners serve. */
export interface ListenerTls {
  /** Protocols, ciphers, sessions. */
  readonly options: TlsOptions
  /** The default certificate chains and their keys (an RSA and an ECDSA pair may sit side by side). */
  readonly cert: readonly string[]
  readonly key: readonly string[]
  /** The proxy's per-config certificates; absent on the admin and status listeners. */
  readonly select?: SniSelect
}

/** How a listener's servers are set up. */
export interface ListenOptions {
  readonly setting: string
  readonly counters: ConnectionCounters
  readonly log: NodeLogger
  /** Options of the HTTP/1.1 servers. */
  readonly http?: ServerOptions
  /** The handler reports finished HTTP/1.x responses to `counters.responded` itself. */
  readonly finishedByHandler?: boolean
  /** Required when any entry has the `ssl` flag. */
  readonly tls?: ListenerTls
  /** How long a `proxy_protocol` or h2c listener waits for a connection's first bytes. */
  readonly firstBytesTimeoutMs?: number
}

/** One bound listener. */
export interface Listener {
  readonly spec: ListenSpec
  /** The servers that parse HTTP/1.x on it (for `upgrade` and `clientError`). */
  readonly http1: readonly (HttpServer | Http2SecureServer)[]
  address(): AddressInfo | string | null
  /**
   * Stops accepting; `done` once every connection has gone. Idle HTTP/1.x keep-alive
   * connections are closed at once, unless `keepIdle`: then they are left to `closeIdle`.
   */
  close(done?: () => void, keepIdle?: boolean): void
  /** Closes connections with nothing in flight; HTTP/2 connections get a GOAWAY and finish their streams. */
  closeIdle(): void
  /** Cuts every connection off. */
  closeAll(): void
}

/** HTTP/1.x settings an `http2` server's fallback reads off the server itself. */
function applyHttp1Options(server: object, options: ServerOptions): void {
  const target = server as Record<string, unknown>
  target.keepAliveTimeout = options.keepAliveTimeout ?? 60_000
  if (options.maxHeaderSize !== undefined) target.maxHeaderSize = options.maxHeaderSize
  if (options.requireHostHeader !== undefined) target.requireHostHeader = options.requireHostHeader
}

/** Keeps a server's HTTP/2 sessions in `sessions`, so a stop can send each a GOAWAY or cut it off. */
function trackSessions(server: Http2Server | Http2SecureServer, sessions: Set<Http2Session>): void {
  server.on('session', (session: Http2Session) => {
    sessions.add(session)
    session.once('close', () => sessions.delete(session))
    // A session error is the peer's business; it closes the session, never the process.
    session.on('error', () => undefined)
  })
}

function tlsOf(tls: ListenerTls | undefined, setting: string): ListenerTls {
  if (tls === undefined) throw new Error(`${setting}: ssl entries need certificates`)
  return tls
}

/** The listener's own certificates, for a client that names no server (OpenSSL picks RSA or ECDSA). */
function defaultOptions(tls: ListenerTls): TlsOptions {
  return { ...tls.options, cert: [...tls.cert], key: [...tls.key] }
}

/**
 * Options of the server that takes clients which sent a server name, on a listener with
 * per-config certificates: no certificate of its own (Node would keep its other key type
 * beside the chosen one), the certificate chosen per handshake from the name and from what
 * the front read in the ClientHello.
 */
function byNameOptions(tls: ListenerTls, select: SniSelect, hellos: WeakMap<object, ClientHello>): TlsOptions {
  const defaults = new KeyTypeContexts(tls.options, tls.cert, tls.key)
  return {
    ...tls.options,
    // Node calls it on the TLS socket, whose `_parent` is the socket the front read from.
    SNICallback(this: unknown, servername, callback) {
      try {
        const hello = hellos.get((this as { _parent?: object })._parent ?? {})
        const ecdsa = hello?.ecdsa ?? false
        callback(null, select(servername, ecdsa) ?? defaults.pick(ecdsa))
      } catch (err) {
        callback(err as Error)
      }
    },
  }
}

/** Builds one listener's servers (not yet bound): the one that binds, and what stopping does. */
function build(handler: RequestListener, spec: ListenSpec, o: ListenOptions): { bound: NetServer; behind: NetServer[]; listener: Omit<Listener, 'spec' | 'address'> } {
  const http = { keepAliveTimeout: 60_000, ...o.http }
  const firstBytesTimeoutMs = o.firstBytesTimeoutMs ?? 60_000
  // One handler serves both: it reads only what HTTP/1.x and HTTP/2 compat requests share.
  const h2Handler = handler as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void
  let inner: HttpServer | Http2SecureServer
  /** On a proxy ssl listener: the server for clients that sent a server name. */
  let named: HttpServer | Http2SecureServer | undefined
  let sessions: Set<Http2Session> | undefined
  let h2c: Http2Server | undefined
  const hellos = new WeakMap<object, ClientHello>()
  const tlsServer = (options: TlsOptions): HttpServer | Http2SecureServer => {
    if (!spec.http2) return createHttpsServer({ ...http, ...options }, handler)
    // HTTP/1.x clients of an h2 listener get the same response class as those of a plain one.
    const server = createSecureServer({ ...options, allowHTTP1: true, ...(http.ServerResponse ? { Http1ServerResponse: http.ServerResponse } : {}) }, h2Handler)
    applyHttp1Options(server, http)
    sessions ??= new Set()
    trackSessions(server, sessions)
    return server
  }
  if (spec.ssl) {
    const tls = tlsOf(o.tls, o.setting)
    inner = tlsServer(defaultOptions(tls))
    if (tls.select) named = tlsServer(byNameOptions(tls, tls.select, hellos))
  } else {
    inner = createHttpServer(http, handler)
    if (spec.http2) {
      h2c = createH2cServer({}, h2Handler)
      sessions = new Set()
      trackSessions(h2c, sessions)
      o.counters.track(h2c)
    }
  }
  for (const server of named ? [inner, named] : [inner]) {
    o.counters.track(server, o.finishedByHandler ?? false)
    // A TLS client that sends garbage, or hangs up mid-handshake, costs its own connection only.
    server.on('tlsClientError', (err: Error, socket: Socket) => {
      o.log.debug({ listener: spec.text, error: err.message }, 'TLS handshake failed')
      socket.destroy()
    })
  }

  let bound: NetServer = inner
  if (spec.proxyProtocol || h2c !== undefined || named !== undefined) {
    const h1 = inner
    const h2 = h2c
    const byName = named
    bound = createConnectionFront(
      { proxyProtocol: spec.proxyProtocol, h2c: h2 !== undefined, clientHello: byName !== undefined, headerTimeoutMs: firstBytesTimeoutMs },
      (socket, protocol, hello) => {
        if (hello?.servername !== undefined && byName !== undefined) {
          hellos.set(socket, hello)
          byName.emit('connection', socket)
        } else {
          ;(protocol === 'h2' && h2 ? h2 : h1).emit('connection', socket)
        }
      },
      (socket, reason) => o.log.info({ listener: spec.text, peer: socket.remoteAddress, reason }, 'connection refused before HTTP'),
    )
  }
  const keepalive = spec.soKeepalive
  if (keepalive !== undefined) bound.on('connection', (socket: Socket) => socket.setKeepAlive(true, (keepalive.idleSeconds ?? 0) * 1000))
  const http1Servers = named ? [inner, named] : [inner]
  const closeIdle = (): void => {
    for (const server of http1Servers) if ('closeIdleConnections' in server) server.closeIdleConnections()
    for (const s of sessions ?? []) s.close()
  }
  return {
    bound,
    behind: bound === inner ? [] : [inner, ...(named ? [named] : []), ...(h2c ? [h2c] : [])],
    listener: {
      http1: http1Servers,
      // Behind a front, the front counts the connections: its close waits for all of them.
      close: (done, keepIdle = false) => {
        // Node's HTTP servers close their idle connections as they stop listening; the plain
        // close of the listening socket leaves them open.
        const stop = (server: NetServer, cb?: () => void): void => void (keepIdle ? NetServer.prototype.close.call(server, cb) : server.close(cb))
        stop(bound, () => done?.())
        if (bound !== inner) stop(inner)
        if (named) stop(named)
        h2c?.close()
        if (!keepIdle) closeIdle()
        else for (const s of sessions ?? []) s.close()
      },
      closeIdle,
      closeAll: () => {
        for (const server of http1Servers) if ('closeAllConnections' in server) server.closeAllConnections()
        for (const s of sessions ?? []) s.destroy()
      },
    },
  }
}

/** Binds every listener of `setting`; resolves to them, or rejects with a ListenError (nothing left bound). */
export async function listenAll(handler: RequestListener, specs: readonly ListenSpec[], options: ListenOptions): Promise<Listener[]> {
  const listeners: Listener[] = []
  try {
    for (const spec of specs) {
      const { bound, behind, listener } = build(handler, spec, options)
      await new Promise<void>((resolve, reject) => {
        bound.once('error', (err: NodeJS.ErrnoException) => reject(bindFailure(options.setting, spec, err)))
        bound.listen({ host: spec.host, port: spec.port, ...(spec.backlog ? { backlog: spec.backlog } : {}), ipv6Only: ipv6Only(spec) }, resolve)
      })
      // Node starts an HTTP server's header and request timeouts when it listens; servers behind a
      // front never do themselves.
      for (const server of behind) server.emit('listening')
      listeners.push({ ...listener, spec, address: () => bound.address() })
    }
  } catch (err) {
    for (const l of listeners) l.close()
    throw err
  }
  return listeners
}
