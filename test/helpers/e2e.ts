/**
 * What the end-to-end proxy tests share: a node started per test file (one worker unless told),
 * a client that sends exactly the request a test means (any Host or none, raw header lines,
 * streamed bodies), a raw-socket exchange for what Node's client refuses to send, and the
 * node's worker pids and their resident memory from /proc.
 */
import { readFileSync } from 'node:fs'
import { request as httpRequest, type Agent, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import { connect } from 'node:net'
import type { Readable } from 'node:stream'
import { startNode, type RunningNode } from './node.js'
import type { Echoed } from './upstreams.js'

/** Kong's 32 lower-case hex request id. */
export const REQUEST_ID = /^[0-9a-f]{32}$/

/** Our Server token (README, difference 7) and Kong's Via token. */
export const VIA_TOKEN = 'kong/3.10.0'
export const SERVER_TOKEN = /^kong-dbless\/\d+\.\d+\.\d+/

/** A declarative config as JSON text (JSON is YAML, so kong.yml takes it as is). */
export function kongYml(config: Record<string, unknown>): string {
  return JSON.stringify({ _format_version: '3.0', ...config }, null, 1)
}

/** Starts a node for one test file: one worker, no access log; stopped when the file ends. */
export async function startE2eNode(
  t: { teardown: (fn: () => unknown) => void },
  config: string,
  env: Readonly<Record<string, string>> = {},
  workers = 1,
): Promise<RunningNode> {
  const node = await startNode({ config, workers, env: { KONG_PROXY_ACCESS_LOG: 'off', ...env } })
  t.teardown(async () => {
    await node.stop()
    // E2E_LOGS=1 prints what the node logged, to see why a test failed.
    if (process.env.E2E_LOGS === '1') for (const line of node.logs) process.stderr.write(`${JSON.stringify(line)}\n`)
  })
  return node
}

/** A response as the client got it. */
export interface Reply {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  /** Header names and values in the order and case they came in. */
  readonly rawHeaders: string[]
  readonly body: Buffer
  readonly text: string
  readonly res: IncomingMessage
}

export interface SendOptions {
  readonly method?: string
  readonly path?: string
  /** Headers as an object, or raw `name, value` lines (repeats and order kept). */
  readonly headers?: OutgoingHttpHeaders | readonly string[]
  readonly body?: string | Buffer | Readable
  /** Default: a new connection per request (`false`). */
  readonly agent?: Agent | false
  /** Node adds `Host: 127.0.0.1:<port>` unless the headers carry one; false sends none. */
  readonly setHost?: boolean
}

/** Sends one request to the proxy on `port` and reads the whole response. */
export function send(port: number, options: SendOptions = {}): Promise<Reply> {
  let headers = options.headers
  // Node adds no Host to raw header lines; add the one it would.
  if (Array.isArray(headers) && options.setHost !== false && !headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'host')) {
    headers = ['Host', `127.0.0.1:${port}`, ...(headers as readonly string[])]
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: headers as OutgoingHttpHeaders | undefined,
        agent: options.agent ?? false,
        setHost: options.setHost ?? true,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const body = Buffer.concat(chunks)
          resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body, text: body.toString('utf8'), res })
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    const body = options.body
    if (body === undefined) req.end()
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body)
    else body.pipe(req)
  })
}

/** What the echo upstream received, from a proxied reply (fails loudly if the reply is not the echo's). */
export function echoed(reply: Reply): Echoed {
  if (reply.status !== 200 && reply.headers['content-type'] !== 'application/json') {
    throw new Error(`not an echo reply: ${reply.status} ${reply.text}`)
  }
  return JSON.parse(reply.text) as Echoed
}

/** The value of a header the upstream received, by lower-case name (every line, in order). */
export function receivedLines(e: Echoed, name: string): string[] {
  const out: string[] = []
  for (let i = 0; i < e.rawHeaders.length; i += 2) if (e.rawHeaders[i].toLowerCase() === name) out.push(e.rawHeaders[i + 1])
  return out
}

/** A response read off a raw socket. */
export interface RawReply {
  readonly statusLine: string
  readonly status: number
  /** Lower-case names; repeated headers joined with `, `. */
  readonly headers: Record<string, string>
  readonly body: string
}

/**
 * Writes `request` bytes on a new connection and reads one response (framed by Content-Length,
 * chunked, or the connection's end). For requests Node's client will not send.
 */
export function rawExchange(port: number, request: string | Buffer): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let data = Buffer.alloc(0)
    let done = false
    const finish = (reply: RawReply): void => {
      done = true
      socket.destroy()
      resolve(reply)
    }
    const tryParse = (ended: boolean): void => {
      const end = data.indexOf('\r\n\r\n')
      if (end === -1) {
        if (ended) reject(new Error(`connection ended before a response head: ${JSON.stringify(data.toString('latin1'))}`))
        return
      }
      const lines = data.subarray(0, end).toString('latin1').split('\r\n')
      const statusLine = lines[0] ?? ''
      const headers: Record<string, string> = {}
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':')
        const name = line.slice(0, colon).trim().toLowerCase()
        const value = line.slice(colon + 1).trim()
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
      }
      const status = Number(statusLine.split(' ')[1])
      const rest = data.subarray(end + 4)
      const length = headers['content-length']
      if (length !== undefined) {
        if (rest.length >= Number(length)) finish({ statusLine, status, headers, body: rest.subarray(0, Number(length)).toString('utf8') })
        else if (ended) reject(new Error(`connection ended after ${rest.length} of ${length} body bytes`))
      } else if (headers['transfer-encoding']?.includes('chunked')) {
        let at = 0
        const parts: Buffer[] = []
        for (;;) {
          const eol = rest.indexOf('\r\n', at)
          if (eol === -1) break
          const size = parseInt(rest.subarray(at, eol).toString('latin1'), 16)
          if (size === 0) return finish({ statusLine, status, headers, body: Buffer.concat(parts).toString('utf8') })
          if (rest.length < eol + 2 + size + 2) break
          parts.push(rest.subarray(eol + 2, eol + 2 + size))
          at = eol + 2 + size + 2
        }
        if (ended) reject(new Error('connection ended inside a chunked body'))
      } else if (ended || status === 204 || status === 304 || (status >= 100 && status < 200)) {
        finish({ statusLine, status, headers, body: rest.toString('utf8') })
      }
    }
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
      if (!done) tryParse(false)
    })
    socket.on('end', () => !done && tryParse(true))
    socket.on('error', (err) => !done && reject(err))
    socket.write(request)
  })
}

/** The node's worker pids, from GET /status. */
export async function workerPids(node: RunningNode): Promise<number[]> {
  const res = await fetch(`${node.status}/status`)
  const body = (await res.json()) as { memory: { workers_lua_vms: { pid: number }[] } }
  return body.memory.workers_lua_vms.map((vm) => vm.pid)
}

/** A process's resident set size in KiB (VmRSS of /proc/<pid>/status). */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  if (!line) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(line[1])
}

/** Kong's error bodies (spec §4.2), for exact comparisons. */
export const errorBody = {
  json: (message: string, id: string): string => `{\n  "message":"${message}",\n  "request_id":"${id}"\n}`,
  plain: (message: string, id: string): string => `${message}\nrequest_id: ${id}\n`,
  xml: (message: string, id: string): string =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>${message}</message>\n  <requestid>${id}</requestid>\n</error>\n`,
  html: (message: string, id: string): string =>
    `<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Error</title>\n  </head>\n  <body>\n    <h1>Error</h1>\n    <p>${message}.</p>\n    <p>request_id: ${id}</p>\n  </body>\n</html>\n`,
}

export const CONTENT_TYPES = {
  json: 'application/json; charset=utf-8',
  plain: 'text/plain; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  html: 'text/html; charset=utf-8',
} as const
