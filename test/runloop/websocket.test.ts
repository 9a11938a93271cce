// WebSocket pass-through over a real node: the handshake is routed like a request, the upstream
// sees Kong's headers, frames go both ways, and refusals come back as Kong's answers.
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { WebSocket, WebSocketServer } from 'ws'
import { startNode } from '../helpers/node.js'
import { closedPort } from '../helpers/upstreams.js'

async function echoWs(): Promise<{ port: number; seen: { url: string; headers: Record<string, unknown> }[]; close: () => Promise<void> }> {
  const seen: { url: string; headers: Record<string, unknown> }[] = []
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  server.on('connection', (socket, req) => {
    seen.push({ url: req.url ?? '', headers: req.headers })
    socket.on('message', (data: Buffer, binary) => socket.send(binary ? data : `echo: ${data.toString()}`, { binary }))
  })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of server.clients) c.terminate()
        server.close(() => resolve())
      }),
  }
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

function refusal(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    ws.once('open', () => reject(new Error('the upgrade was accepted')))
    ws.once('error', () => undefined)
  })
}

t.test('frames go both ways through the node, on a routed, stripped path', async (t) => {
  const up = await echoWs()
  t.teardown(() => up.close())
  const dead = await closedPort()
  const node = await startNode({
    workers: 1,
    config: `_format_version: "3.0"\nservices:\n- name: ws\n  url: http://127.0.0.1:${up.port}/base\n  routes: [{paths: [/chat]}]\n- name: down\n  url: http://127.0.0.1:${dead}\n  retries: 0\n  routes: [{paths: [/down]}]\n`,
  })
  t.teardown(() => node.stop())
  const ws = await open(`ws://127.0.0.1:${node.ports.proxy}/chat/room?x=1`)
  const reply = new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString())))
  ws.send('hello')
  t.equal(await reply, 'echo: hello')
  const binary = new Promise<Buffer>((resolve) => ws.once('message', (d) => resolve(d as Buffer)))
  ws.send(Buffer.from([0, 1, 2, 255]), { binary: true })
  t.same([...(await binary)], [0, 1, 2, 255], 'binary frames pass unchanged')
  ws.close()
  t.equal(up.seen[0]?.url, '/base/room?x=1', 'the upstream path is worked out as for any request')
  t.match(up.seen[0]?.headers, { 'x-forwarded-prefix': '/chat', via: '1.1 kong/3.10.0', 'x-kong-request-id': /^[0-9a-f]{32}$/, upgrade: 'websocket' })

  const noRoute = await refusal(`ws://127.0.0.1:${node.ports.proxy}/nowhere`)
  t.equal(noRoute.status, 404)
  t.match(noRoute.body, 'no Route matched with those values')
  const down = await refusal(`ws://127.0.0.1:${node.ports.proxy}/down`)
  t.equal(down.status, 502, 'an upstream that refuses the connection')
  t.match(down.body, 'An invalid response was received from the upstream server')

  const again = await open(`ws://127.0.0.1:${node.ports.proxy}/chat`)
  const second = new Promise<string>((resolve) => again.once('message', (d: Buffer) => resolve(d.toString())))
  again.send('still here')
  t.equal(await second, 'echo: still here', 'the worker serves on after the refusals')
  again.close()
})
