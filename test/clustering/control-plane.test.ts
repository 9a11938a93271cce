// A real control plane on a local port, and scripted data planes speaking Kong's sync v1 to it
// over mutual TLS: the handshake, the pushes, the pings, and every way a data plane is refused.
import { X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import { request as httpsRequest } from 'node:https'
import { createServer } from 'node:net'
import t, { type Test } from 'tap'
import type { WebSocket } from 'ws'
import { ControlPlane, DP_MAX_PAYLOAD } from '../../src/clustering/control-plane.js'
import { DataPlaneClient } from '../../src/clustering/data-plane.js'
import { loadConf } from '../../src/conf/settings.js'
import { WRONG_SHARED_CERT } from '../../src/clustering/cluster-listener.js'
import { decodeFrame } from '../../src/clustering/protocol.js'
import { BUNDLED_PLUGINS, bundledPluginVersions } from '../../src/plugins/registry.js'
import { KONG_COMPAT_VERSION } from '../../src/version.js'
import { basicInfo, captureLog, clusterPair, connectPeer, controlPlaneConf, openSocket, type CapturedLog } from '../helpers/cluster-peers.js'
import { load, yml } from '../helpers/load.js'
import { eventually, freePort } from '../helpers/node.js'
import { makePki } from '../helpers/tls.js'

const ALL_PLUGINS = BUNDLED_PLUGINS.map((p) => p.name)
const HASH_A = 'a'.repeat(32)

const pair = await clusterPair()
const CONFIG = yml('services:\n- name: s\n  url: http://127.0.0.1:9\n  routes:\n  - name: r\n    paths: [/]\n  plugins:\n  - name: key-auth\n')
const OTHER = yml('services:\n- name: other\n  url: http://127.0.0.1:9\n')

interface Running {
  readonly cp: ControlPlane
  readonly port: number
  readonly logs: CapturedLog
}

/** A listening control plane, closed at the end of the test. */
async function startCp(t: Test, options: { handshakeTimeoutMs?: number; pingWaitMs?: number; extra?: Record<string, string>; conf?: ReturnType<typeof controlPlaneConf> } = {}): Promise<Running> {
  const port = await freePort()
  const logs = captureLog()
  const cp = new ControlPlane({
    conf: options.conf ?? controlPlaneConf(pair, port, options.extra),
    log: logs.log,
    version: KONG_COMPAT_VERSION,
    ...(options.handshakeTimeoutMs ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
    ...(options.pingWaitMs ? { pingWaitMs: options.pingWaitMs } : {}),
  })
  await cp.listen()
  t.teardown(() => cp.close())
  return { cp, port: cp.addresses()[0]?.port ?? port, logs }
}

/** A reconfigure frame read as a data plane reads it. */
function reconfigure(t: Test, bytes: Buffer): Record<string, unknown> {
  t.same([...bytes.subarray(0, 2)], [0x1f, 0x8b], 'gzip (RFC 1952), not raw deflate')
  const decoded = decodeFrame(bytes, 16 * 1024 * 1024)
  if (decoded.kind !== 'reconfigure') throw new Error(`not a reconfigure frame: ${JSON.stringify(decoded)}`)
  return decoded.frame as unknown as Record<string, unknown>
}

t.test('a data plane gets the config at once, gzip\'ed, with its hash and group hashes', async (t) => {
  const { cp, port, logs } = await startCp(t)
  const snapshot = await load(CONFIG)
  await cp.update(snapshot)
  const dp = await connectPeer({ port, pair, id: 'dp-1', hostname: 'dp-host' })
  dp.ws.send(basicInfo(ALL_PLUGINS))
  const frame = reconfigure(t, await dp.nextFrame())
  t.equal(frame.type, 'reconfigure')
  t.equal(frame.config_hash, snapshot.hash, 'the snapshot hash')
  const h = snapshot.hashes
  t.same(frame.hashes, { config: h.config, routes: h.routes, services: h.services, plugins: h.plugins, upstreams: h.upstreams, targets: h.targets }, 'the group hashes Kong sends')
  t.ok(typeof frame.timestamp === 'number' && Math.abs(frame.timestamp - Date.now() / 1000) < 60, 'timestamp in seconds')
  const table = frame.config_table as Record<string, unknown>
  t.match(table, { _format_version: '3.0', _transform: false, services: [{ name: 's' }], routes: [{ name: 'r', service: snapshot.entities.services?.[0]?.id }] }, 'the export table, references as ids')
  const pushed = await logs.waitFor(`pushed configuration ${snapshot.hash} to data plane dp-1`)
  t.equal(pushed.level, 'info')
  t.equal(pushed.bytes, dp.frames[0]?.length, 'the push is measured: its size')
  t.type(pushed.ms, 'number', 'and how long the send took')
  t.equal(dp.ws.readyState, dp.ws.OPEN, 'the connection stays open')
})

t.test('update() pushes the same bytes to every data plane; the newest of two overlapping updates wins', async (t) => {
  const { cp, port } = await startCp(t)
  await cp.update(await load(CONFIG))
  const a = await connectPeer({ port, pair, id: 'dp-a' })
  const b = await connectPeer({ port, pair, id: 'dp-b' })
  a.ws.send(basicInfo(ALL_PLUGINS))
  b.ws.send(basicInfo(ALL_PLUGINS))
  await a.nextFrame()
  await b.nextFrame()
  const other = await load(OTHER)
  await cp.update(other)
  const [fa, fb] = await Promise.all([a.nextFrame(), b.nextFrame()])
  t.ok(fa.equals(fb), 'one compression, the same bytes for both')
  t.equal(reconfigure(t, fa).config_hash, other.hash)
  // Two updates at once: only the later one is served.
  const first = await load(CONFIG)
  const second = await load(yml('services:\n- name: third\n  url: http://127.0.0.1:9\n'))
  await Promise.all([cp.update(first), cp.update(second)])
  t.equal(reconfigure(t, await a.nextFrame()).config_hash, second.hash, 'the newer config')
  await a.ping(HASH_A)
  t.equal(a.frames.length, 3, 'and nothing else was pushed before the pong')
  await cp.update(second)
  await a.ping(HASH_A)
  t.equal(a.frames.length, 3, 'the same config again is not pushed again')
})

t.test('pings are recorded and answered with one empty pong; the record has Kong\'s fields', async (t) => {
  const { cp, port, logs } = await startCp(t)
  const dp = await connectPeer({ port, pair, id: 'dp-1', hostname: 'dp-host', version: '3.10.2' })
  const before = Math.floor(Date.now() / 1000)
  dp.ws.send(basicInfo(ALL_PLUGINS, '3.10.0', { region: 'eu' }))
  await dp.ping(HASH_A)
  const [record] = cp.dataPlanes()
  t.match(record, {
    id: 'dp-1',
    ip: '127.0.0.1',
    hostname: 'dp-host',
    version: '3.10.2',
    sync_status: 'normal',
    config_hash: HASH_A,
    labels: { region: 'eu' },
    rpc_capabilities: [],
    ttl: 1209600,
    connected: true,
  })
  t.ok(record && record.last_seen >= before && record.last_seen <= Math.floor(Date.now() / 1000), 'last_seen is now, in seconds')
  t.equal(record?.cert_details.expiry_timestamp, Math.floor(Date.parse(new X509Certificate(pair.cert).validTo) / 1000), 'the client certificate\'s expiry')
  dp.ws.close()
  await dp.closed
  t.same(dp.pongs.map((p) => p.length), [0], 'exactly one pong, empty, as Kong sends it')
  await logs.waitFor('data plane disconnected')
  t.match(cp.dataPlanes(), [{ id: 'dp-1', connected: false, config_hash: HASH_A }], 'the record outlives the connection')
})

t.test('a client certificate other than the cluster certificate is dropped with no response', async (t) => {
  const { port, logs } = await startCp(t)
  const stranger = await clusterPair()
  const ws = openSocket({ port, pair: stranger, ca: pair.cert })
  let answered = false
  ws.on('unexpected-response', () => (answered = true))
  ws.on('upgrade', () => (answered = true))
  const [err] = (await once(ws, 'error')) as [NodeJS.ErrnoException]
  t.match(err.message, /socket hang up|ECONNRESET|closed/, `the socket is closed: ${err.message}`)
  t.notOk(answered, 'no HTTP response')
  t.ok(await logs.waitFor(WRONG_SHARED_CERT), 'Kong\'s message is logged')
})

t.test('the outlet is answered 404 elsewhere and 400 without node_id or node_version', async (t) => {
  const { port } = await startCp(t)
  const cases = [
    { desc: 'another path', path: '/v2/elsewhere', query: 'node_id=x&node_version=3.10.0', status: 404 },
    { desc: 'no node_id', query: 'node_hostname=h&node_version=3.10.0', status: 400 },
    { desc: 'no node_version', query: 'node_id=x&node_hostname=h', status: 400 },
    { desc: 'an empty node_id', query: 'node_id=&node_version=3.10.0', status: 400 },
  ]
  for (const c of cases) {
    const ws = openSocket({ port, pair, query: c.query, ...(c.path ? { path: c.path } : {}) })
    ws.on('error', () => undefined)
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }]
    t.equal(res.statusCode, c.status, c.desc)
    ws.terminate()
  }
})

t.test('a plain HTTPS request: 404 elsewhere, no answer on the outlet or without a client certificate', async (t) => {
  const { port, logs } = await startCp(t)
  const get = (path: string, withCert: boolean): Promise<number | string> =>
    new Promise((resolve) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false, ...(withCert ? { cert: pair.cert, key: pair.key } : {}) }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', (err) => resolve(err.message))
      req.end()
    })
  t.equal(await get('/elsewhere', true), 404, 'another path')
  t.match(await get('/v1/outlet?node_id=x&node_version=3.10.0', true), /socket hang up|ECONNRESET/, 'the outlet without an upgrade: closed, as Kong\'s failed handshake')
  t.ok(await logs.waitFor('failed to perform server side websocket handshake: not a websocket upgrade'))
  t.match(await get('/elsewhere', false), /socket hang up|ECONNRESET/, 'no client certificate: closed before any request')
  t.ok(await logs.waitFor('data plane failed to present client certificate during handshake'))
})

t.test('a data plane of another major or a newer minor is refused and recorded kong_version_incompatible', async (t) => {
  const { cp, port, logs } = await startCp(t)
  const cases = [
    { id: 'old-major', version: '2.8.4', message: `data plane version 2.8.4 is incompatible with control plane version ${KONG_COMPAT_VERSION} (3.x.y are accepted)` },
    { id: 'newer-minor', version: '3.11.0', message: `data plane version 3.11.0 is incompatible with older control plane version ${KONG_COMPAT_VERSION}` },
    { id: 'unreadable', version: 'latest', message: `data plane version is incompatible with control plane version ${KONG_COMPAT_VERSION} (3.x.y are accepted)` },
  ]
  for (const c of cases) {
    const dp = await connectPeer({ port, pair, id: c.id, version: c.version })
    dp.ws.send(basicInfo(ALL_PLUGINS))
    await dp.closed
    t.ok(await logs.waitFor(c.message), `${c.id}: Kong's message`)
  }
  t.same(
    cp.dataPlanes().map((d) => [d.id, d.version, d.sync_status, d.connected]),
    cases.map((c) => [c.id, c.version, 'kong_version_incompatible', false]).sort(),
  )
  const older = await connectPeer({ port, pair, id: 'older-minor', version: '3.9.1' })
  older.ws.send(basicInfo(ALL_PLUGINS))
  await older.ping(HASH_A)
  t.ok(await logs.waitFor(`data plane minor version 3.9.1 is different to control plane minor version ${KONG_COMPAT_VERSION}`), 'an older minor is served, with a note')
})

t.test('a data plane missing a configured plugin gets no config but stays connected', async (t) => {
  const { cp, port, logs } = await startCp(t)
  await cp.update(await load(CONFIG))
  const dp = await connectPeer({ port, pair, id: 'dp-1' })
  dp.ws.send(basicInfo(ALL_PLUGINS.filter((p) => p !== 'key-auth')))
  await dp.ping(HASH_A)
  t.equal(dp.frames.length, 0, 'no push came before the pong')
  t.match(cp.dataPlanes(), [{ id: 'dp-1', sync_status: 'plugin_set_incompatible', connected: true, config_hash: HASH_A }])
  t.ok(await logs.waitFor(`unable to send updated configuration to data plane: configured key-auth plugin ${KONG_COMPAT_VERSION} is missing from data plane`))
  t.ok(await logs.waitFor('key-auth plugin 3.10.0 is missing from data plane'), 'the handshake notes the missing plugin')
  await cp.update(await load(OTHER))
  t.equal(reconfigure(t, await dp.nextFrame()).type, 'reconfigure', 'a config without the plugin is pushed')
  t.match(cp.dataPlanes(), [{ sync_status: 'normal' }], 'and the status is normal again')
  const newer = await connectPeer({ port, pair, id: 'dp-2' })
  newer.ws.send(basicInfo(ALL_PLUGINS, '3.11.0'))
  await cp.update(await load(CONFIG))
  await newer.ping(HASH_A)
  t.match(cp.dataPlanes()[1], { id: 'dp-2', sync_status: 'plugin_version_incompatible', connected: true })
})

t.test('after basic_info only pings are taken: other frames and bad pings close the connection', async (t) => {
  const { cp, port, logs } = await startCp(t)
  const cases: { desc: string; send: (ws: WebSocket) => void; message: string }[] = [
    { desc: 'a ping that is not 32 bytes', send: (ws) => ws.ping('short'), message: "received a ping frame from the data plane with an invalid hash: 'short'" },
    { desc: 'a 32-byte binary frame', send: (ws) => ws.send(Buffer.alloc(32, 0x61)), message: 'invalid websocket frame received from data plane: binary' },
    { desc: 'a 32-byte text frame', send: (ws) => ws.send('b'.repeat(32)), message: 'invalid websocket frame received from data plane: text' },
    { desc: 'a frame of another length', send: (ws) => ws.send('{"type":"error"}'), message: `received a ping frame from the data plane with an invalid hash: '{"type":"error"}'` },
    { desc: 'a long frame, cut in the log', send: (ws) => ws.send('x'.repeat(1000)), message: `received a ping frame from the data plane with an invalid hash: '${'x'.repeat(128)}...'` },
  ]
  for (const [i, c] of cases.entries()) {
    const dp = await connectPeer({ port, pair, id: `dp-${i}` })
    dp.ws.send(basicInfo(ALL_PLUGINS))
    c.send(dp.ws)
    const { code } = await dp.closed
    t.equal(code, 1005, `${c.desc}: a close frame without a status, as Kong's send_close`)
    const line = await logs.waitFor(c.message)
    t.match(line, { level: 'error', node_id: `dp-${i}` }, c.desc)
  }
  t.notOk(cp.dataPlanes().some((d) => d.connected), 'none is connected')
})

t.test('a bad or missing basic_info closes the connection with Kong\'s message', async (t) => {
  const { cp, port, logs } = await startCp(t, { handshakeTimeoutMs: 300 })
  const cases: { desc: string; frame?: string; message: RegExp | string }[] = [
    { desc: 'not JSON', frame: 'not json', message: /^failed to decode websocket basic info data: / },
    { desc: 'not an object', frame: '[1]', message: 'failed to decode websocket basic info data' },
    { desc: 'another type', frame: '{"type":"hello","plugins":[]}', message: 'invalid basic info data type: hello' },
    { desc: 'no plugins', frame: '{"type":"basic_info"}', message: 'missing plugins in basic info data' },
    { desc: 'nothing within the timeout', message: 'failed to receive websocket basic info frame: timeout' },
  ]
  for (const c of cases) {
    const dp = await connectPeer({ port, pair, id: c.desc })
    if (c.frame !== undefined) dp.ws.send(Buffer.from(c.frame))
    t.equal((await dp.closed).code, 1005, `${c.desc}: closed with a close frame`)
    t.match(await logs.waitFor(c.message), { node_id: c.desc }, c.desc)
  }
  t.same(cp.dataPlanes(), [], 'none is recorded')
})

t.test('a data plane that stops pinging is closed after the ping wait', async (t) => {
  const { cp, port, logs } = await startCp(t, { pingWaitMs: 400 })
  const dp = await connectPeer({ port, pair, id: 'quiet' })
  dp.ws.send(basicInfo(ALL_PLUGINS))
  await dp.ping(HASH_A)
  await dp.closed
  t.ok(await logs.waitFor('did not receive ping frame from data plane within 0.4 seconds'))
  t.match(cp.dataPlanes(), [{ id: 'quiet', connected: false }])
})

t.test('frames above 4 MiB are refused', async (t) => {
  const { port } = await startCp(t)
  const dp = await connectPeer({ port, pair, id: 'big' })
  dp.ws.send(Buffer.alloc(DP_MAX_PAYLOAD + 1, 0x20))
  t.equal((await dp.closed).code, 1009, 'message too big')
})

t.test('a config that compresses to more than cluster_max_payload is not sent', async (t) => {
  const port = await freePort()
  // Below the 4 MiB the settings allow, so that a small config is over it.
  const conf = { ...controlPlaneConf(pair, port), cluster_max_payload: 200 }
  const { cp, logs } = await startCp(t, { conf })
  const snapshot = await load(CONFIG)
  await cp.update(snapshot)
  const dp = await connectPeer({ port, pair, id: 'dp' })
  dp.ws.send(basicInfo(ALL_PLUGINS))
  await dp.ping(HASH_A)
  t.equal(dp.frames.length, 0, 'nothing was sent before the pong')
  t.ok(await logs.waitFor(/^unable to send updated configuration to data plane: the compressed configuration is \d+ bytes, more than cluster_max_payload \(200\)$/))
})

t.test('close() sends every data plane a close frame and frees the port', async (t) => {
  const port = await freePort()
  const logs = captureLog()
  const cp = new ControlPlane({ conf: controlPlaneConf(pair, port), log: logs.log, version: KONG_COMPAT_VERSION })
  await cp.listen()
  const dp = await connectPeer({ port, pair, id: 'dp' })
  dp.ws.send(basicInfo(ALL_PLUGINS))
  await dp.ping(HASH_A)
  await cp.close()
  t.equal((await dp.closed).code, 1001, 'going away')
  t.match(cp.dataPlanes(), [{ id: 'dp', connected: false }])
  const again = createServer()
  await new Promise<void>((resolve, reject) => again.once('error', reject).listen(port, '127.0.0.1', resolve))
  again.close()
  t.pass('the port is free again')
  await cp.update(await load(CONFIG))
  t.pass('an update after close is ignored')
})

t.test('listen() names cluster_listen and the address it cannot bind', async (t) => {
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => taken.close())
  const port = (taken.address() as { port: number }).port
  const free = await freePort()
  const cp = new ControlPlane({ conf: controlPlaneConf(pair, free, { KONG_CLUSTER_LISTEN: `127.0.0.1:${free}, 127.0.0.1:${port}` }), log: captureLog().log, version: KONG_COMPAT_VERSION })
  await t.rejects(cp.listen(), { message: `cluster_listen 127.0.0.1:${port}: address already in use` })
  const probe = createServer()
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(free, '127.0.0.1', resolve))
  probe.close()
  t.pass('the entry bound before the failure was released')
})

t.test('pki: a data plane certificate signed by cluster_ca_cert is served, another is dropped', async (t) => {
  const pki = makePki()
  t.teardown(() => pki.dispose())
  const port = await freePort()
  const conf = controlPlaneConf(pki.server, port, { KONG_CLUSTER_MTLS: 'pki', KONG_CLUSTER_CA_CERT: pki.root.cert, KONG_CLUSTER_CERT: pki.serverChain })
  const { cp, logs } = await startCp(t, { conf })
  const dp = await connectPeer({ port, pair: pki.client, ca: pki.root.cert, id: 'pki-dp', servername: 'upstream.test' })
  dp.ws.send(basicInfo(ALL_PLUGINS))
  await dp.ping(HASH_A)
  t.match(cp.dataPlanes(), [{ id: 'pki-dp', sync_status: 'normal', connected: true }])
  const ws = openSocket({ port, pair, ca: pki.root.cert, servername: 'upstream.test' })
  let answered = false
  ws.on('unexpected-response', () => (answered = true))
  await once(ws, 'error')
  t.notOk(answered, 'a certificate from no trusted CA gets no response')
  t.ok(await logs.waitFor('data plane TLS handshake failed'))
})

t.test('pki: our data plane takes a control plane that chains to cluster_ca_cert and names cluster_server_name, and refuses one that does not', async (t) => {
  const pki = makePki()
  t.teardown(() => pki.dispose())
  const port = await freePort()
  const conf = controlPlaneConf(pki.server, port, { KONG_CLUSTER_MTLS: 'pki', KONG_CLUSTER_CA_CERT: pki.root.cert, KONG_CLUSTER_CERT: pki.serverChain })
  const { cp } = await startCp(t, { conf })
  const snapshot = await load(CONFIG)
  await cp.update(snapshot)
  const dataPlane = (serverName: string): { client: DataPlaneClient; frames: Buffer[] } => {
    const frames: Buffer[] = []
    const dpConf = loadConf({
      env: {
        KONG_ROLE: 'data_plane',
        KONG_CLUSTER_MTLS: 'pki',
        KONG_CLUSTER_CERT: pki.client.cert,
        KONG_CLUSTER_CERT_KEY: pki.client.key,
        KONG_CLUSTER_CA_CERT: pki.root.cert,
        KONG_CLUSTER_SERVER_NAME: serverName,
        KONG_CLUSTER_CONTROL_PLANE: `127.0.0.1:${port}`,
      },
      cwd: process.cwd(),
    })
    const client = new DataPlaneClient({
      conf: dpConf,
      log: captureLog().log,
      nodeId: `pki-${serverName}`,
      hostname: 'dp-host',
      version: KONG_COMPAT_VERSION,
      plugins: bundledPluginVersions(KONG_COMPAT_VERSION),
      currentHash: () => undefined,
      apply: async (frame) => {
        frames.push(frame)
        return 'applied'
      },
    })
    client.start()
    t.teardown(() => client.stop())
    return { client, frames }
  }
  const good = dataPlane('upstream.test')
  t.ok(await eventually(async () => good.frames.length === 1), 'the config arrives')
  const first = good.frames[0]
  t.match(first && reconfigure(t, first), { config_hash: snapshot.hash })
  t.equal(good.client.link().connected, true)
  const wrong = dataPlane('other.test')
  t.ok(await eventually(async () => /^the control plane's certificate was refused \(.*\): with cluster_mtls = pki it must be signed by cluster_ca_cert and name cluster_server_name$/.test(wrong.client.link().last_error?.message ?? '')), 'another name is refused')
  t.equal(wrong.frames.length, 0)
  t.notOk(cp.dataPlanes().some((d) => d.id === 'pki-other.test'), 'and never got past TLS')
})
