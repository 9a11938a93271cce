/**
 * A real gRPC upstream (@grpc/grpc-js) with a hand-written service whose messages are JSON, and
 * promise wrappers around grpc-js client calls: no codegen, no .proto files.
 *
 * Methods of `test.Greeter`:
 * - Hello (unary): answers `{greeting, host, metadata}` with what it saw, initial metadata
 *   `x-initial: yes` and trailing metadata `x-trailer: done`;
 * - Count (server streaming): `{n}` in, `{i}` for i = 1..n out;
 * - Sum (client streaming): `{v}` messages in, `{sum}` out;
 * - Fail (unary): fails with NOT_FOUND `no such greeting` before any message (a trailers-only
 *   response);
 * - Forever (server streaming): one message, then nothing until the call is cancelled.
 */
import { Client, Metadata, Server, ServerCredentials, status, type CallOptions, type ChannelCredentials, type ServerWritableStream, type ServiceDefinition, type ServiceError, type StatusObject } from '@grpc/grpc-js'

/** A JSON message. */
export type Message = Record<string, unknown>

const serialize = (value: Message): Buffer => Buffer.from(JSON.stringify(value))
const deserialize = (bytes: Buffer): Message => JSON.parse(bytes.toString('utf8')) as Message

function method(name: string, requestStream: boolean, responseStream: boolean) {
  return {
    path: `/test.Greeter/${name}`,
    requestStream,
    responseStream,
    requestSerialize: serialize,
    requestDeserialize: deserialize,
    responseSerialize: serialize,
    responseDeserialize: deserialize,
  }
}

/** The service, as grpc-js takes it. */
export const GREETER: ServiceDefinition = {
  Hello: method('Hello', false, false),
  Count: method('Count', false, true),
  Sum: method('Sum', true, false),
  Fail: method('Fail', false, false),
  Forever: method('Forever', false, true),
}

/** A running upstream. */
export interface GrpcUpstream {
  readonly port: number
  /** Resolves when a Forever call is cancelled by its client. */
  readonly cancelled: Promise<void>
  close(): Promise<void>
}

/** TLS for the upstream: its certificate chain and key, and the CA its clients must be signed by (client auth). */
export interface UpstreamTlsMaterial {
  readonly certChain: string
  readonly key: string
  readonly clientCa?: string
}

/** Starts the upstream on a loopback port, plain (h2c) or with TLS. */
export async function grpcUpstream(tls?: UpstreamTlsMaterial): Promise<GrpcUpstream> {
  const server = new Server()
  let onCancel!: () => void
  const cancelled = new Promise<void>((resolve) => (onCancel = resolve))
  server.addService(GREETER, {
    Hello: (call: { request: Message; metadata: Metadata; getHost(): string; sendMetadata(m: Metadata): void }, callback: (err: ServiceError | null, value?: Message, trailer?: Metadata) => void) => {
      const initial = new Metadata()
      initial.set('x-initial', 'yes')
      call.sendMetadata(initial)
      const trailer = new Metadata()
      trailer.set('x-trailer', 'done')
      callback(null, { greeting: `hello ${String(call.request.name)}`, host: call.getHost(), metadata: call.metadata.getMap() }, trailer)
    },
    Count: (call: ServerWritableStream<Message, Message>) => {
      const n = Number(call.request.n)
      for (let i = 1; i <= n; i++) call.write({ i })
      call.end()
    },
    Sum: (call: { on(event: 'data', l: (m: Message) => void): void; on(event: 'end', l: () => void): void }, callback: (err: ServiceError | null, value?: Message) => void) => {
      let sum = 0
      call.on('data', (m) => (sum += Number(m.v)))
      call.on('end', () => callback(null, { sum }))
    },
    Fail: (_call: unknown, callback: (err: Partial<ServiceError>) => void) => {
      callback({ code: status.NOT_FOUND, details: 'no such greeting' })
    },
    Forever: (call: ServerWritableStream<Message, Message>) => {
      call.write({ i: 1 })
      call.on('cancelled', () => onCancel())
    },
  })
  const credentials = tls === undefined
    ? ServerCredentials.createInsecure()
    : ServerCredentials.createSsl(tls.clientCa === undefined ? null : Buffer.from(tls.clientCa), [{ cert_chain: Buffer.from(tls.certChain), private_key: Buffer.from(tls.key) }], tls.clientCa !== undefined)
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, bound) => (err ? reject(err) : resolve(bound))))
  return {
    port,
    cancelled,
    close: () => new Promise<void>((resolve) => {
      server.forceShutdown()
      resolve()
    }),
  }
}

/** How a call ended, with what came back. */
export interface CallResult {
  readonly status: StatusObject
  readonly messages: Message[]
  readonly headers: Metadata | undefined
}

/** A grpc-js client of the Greeter at `target` (`host:port`). */
export function greeterClient(target: string, creds: ChannelCredentials, options: Record<string, string | number> = {}): Client {
  return new Client(target, creds, options)
}

const path = (name: string): string => `/test.Greeter/${name}`

/** A unary call; resolves with its status whatever it is. */
export function unary(client: Client, name: string, request: Message, metadata = new Metadata(), options: CallOptions = {}): Promise<CallResult> {
  return new Promise((resolve) => {
    const messages: Message[] = []
    let headers: Metadata | undefined
    const call = client.makeUnaryRequest(path(name), serialize, deserialize, request, metadata, options, (_err, value) => {
      if (value !== undefined) messages.push(value)
    })
    call.on('metadata', (m: Metadata) => (headers = m))
    call.on('status', (s: StatusObject) => setImmediate(() => resolve({ status: s, messages, headers })))
  })
}

/** A server-streaming call; `onMessage` may cancel it. */
export function serverStream(client: Client, name: string, request: Message, onMessage?: (m: Message, cancel: () => void) => void): Promise<CallResult> {
  return new Promise((resolve) => {
    const messages: Message[] = []
    let headers: Metadata | undefined
    const call = client.makeServerStreamRequest(path(name), serialize, deserialize, request, new Metadata(), {})
    call.on('metadata', (m: Metadata) => (headers = m))
    call.on('data', (m: Message) => {
      messages.push(m)
      onMessage?.(m, () => call.cancel())
    })
    call.on('error', () => undefined)
    call.on('status', (s: StatusObject) => resolve({ status: s, messages, headers }))
  })
}

/** A client-streaming call sending `requests`. */
export function clientStream(client: Client, name: string, requests: Message[]): Promise<CallResult> {
  return new Promise((resolve) => {
    const messages: Message[] = []
    const call = client.makeClientStreamRequest(path(name), serialize, deserialize, new Metadata(), {}, (_err, value) => {
      if (value !== undefined) messages.push(value)
    })
    call.on('status', (s: StatusObject) => setImmediate(() => resolve({ status: s, messages, headers: undefined })))
    for (const r of requests) call.write(r)
    call.end()
  })
}

/** One gRPC message frame (uncompressed) around a JSON message, as it goes on the wire. */
export function grpcFrame(message: Message): Buffer {
  const body = serialize(message)
  const head = Buffer.alloc(5)
  head.writeUInt32BE(body.length, 1)
  return Buffer.concat([head, body])
}
