/**
 * A real data plane node against a scripted control plane that sends exactly what Kong's
 * control plane sends (sync v1, gzip frames, Kong's config_table and hash), over real mTLS.
 */
import { hostname } from 'node:os'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import t from 'tap'
import { kongConfigHash } from '../../src/clustering/kong-hash.js'
import { clusterCert, dataPlaneEnv, kongConfigTable, kongFrame, scriptedControlPlane, type PeerConnection, type ScriptedControlPlane } from '../helpers/cluster.js'
import { eventually, http, startNode, type RunningNode } from '../helpers/node.js'
import { echoUpstream } from '../helpers/upstreams.js'

const ZEROS = '0'.repeat(32)

/** The first connection the control plane has, or the next one. */
async function connection(cp: ScriptedControlPlane): Promise<PeerConnection> {
  return cp.connections[0] ?? cp.nextConnection()
}

/** A ping whose payload is `hash`, among those from the `from`th on. */
async function pingWith(conn: PeerConnection, hash: string, from = 0): Promise<void> {
  while (!conn.pings.slice(from).includes(hash)) await conn.nextPing()
}

t.test('a data plane against a scripted Kong control plane', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-dp-'))
  const cert = await clusterCert(dir)
  const upstream = await echoUpstream()
  let cp = await scriptedControlPlane(cert)
  const cpPort = cp.port
  let node: RunningNode = await startNode({ dir, workers: 1, env: dataPlaneEnv(cert, cpPort) })
  t.teardown(async () => {
    await node.stop()
    await cp.close()
    await upstream.close()
  })
  const table = kongConfigTable(upstream.port)
  const kongHash = kongConfigHash(table).config
  const statusConfig = async (): Promise<Record<string, any>> => (await http(`${node.status}/status/config`)).body // eslint-disable-line @typescript-eslint/no-explicit-any
  const hashNow = async (): Promise<string> => (await http(`${node.status}/status`)).body.configuration_hash

  await t.test('connects to /v1/outlet with its id, hostname and version; basic_info first, then a ping of zeros', async (t) => {
    const conn = await connection(cp)
    t.match(conn.query.get('node_id'), /^[0-9a-f-]{36}$/)
    t.equal(conn.query.get('node_hostname'), hostname())
    t.equal(conn.query.get('node_version'), '3.10.0')
    const info = await conn.basicInfo
    t.equal(info.type, 'basic_info')
    const plugins = info.plugins as { name: string; version: string }[]
    t.ok(plugins.some((p) => p.name === 'key-auth' && p.version === '3.10.0'), 'every plugin with its version')
    t.same(plugins.map((p) => p.name), [...plugins.map((p) => p.name)].sort(), 'sorted by name')
    t.equal((info.process_conf as Record<string, unknown>).cluster_cert_key, '******', 'the key is masked')
    await pingWith(conn, ZEROS)
    const ready = await http(`${node.status}/status/ready`)
    t.equal(ready.status, 503, 'not ready before the first config')
    t.match(ready.body.message, /^no configuration available \(configuration hash is not initialized; connected to the control plane/)
  })

  await t.test("applies Kong's reconfigure frame, reports Kong's hash and pings with it", async (t) => {
    const conn = await connection(cp)
    conn.socket.send(kongFrame(table), { binary: true })
    await pingWith(conn, kongHash)
    t.equal(await hashNow(), kongHash)
    t.ok(await eventually(async () => (await http(`${node.status}/status/ready`)).status === 200), 'ready once applied')
    const res = await fetch(`${node.proxy}/orders/1`)
    t.equal(res.status, 200, 'the pushed route serves')
    t.equal(((await res.json()) as { url: string }).url, '/1')
    const config = await statusConfig()
    t.equal(config.source, `control plane 127.0.0.1:${cpPort}`)
    t.equal(config.control_plane.connected, true)
    t.equal(config.control_plane.url, `wss://127.0.0.1:${cpPort}/v1/outlet`)
    t.equal(config.control_plane.last_push.outcome, 'applied')
    t.equal(config.control_plane.last_push.configuration_hash, kongHash)
  })

  await t.test('the same hash again is not reloaded', async (t) => {
    const conn = await connection(cp)
    const before = (await statusConfig()).loaded_at
    conn.socket.send(kongFrame(table), { binary: true })
    t.ok(await eventually(async () => (await statusConfig()).control_plane.last_push.outcome === 'unchanged'))
    t.equal((await statusConfig()).loaded_at, before)
  })

  const bad: [string, () => Buffer, RegExp][] = [
    ['a frame that is not gzip', () => Buffer.from('{"type":"reconfigure"}'), /the frame is not gzip data/],
    ['a frame that is not JSON', () => gzipSync('{"type": "reconfigure", '), /the frame is not valid JSON/],
    ['a config that fails validation', () => kongFrame(kongConfigTable(upstream.port, ['no-slash'])), /paths/],
    ['a hash that does not match the content', () => kongFrame(kongConfigTable(upstream.port, ['/other']), { hash: 'f'.repeat(32) }), /config_hash f{32} does not match the configuration sent .*: set cluster_verify_config_hash = off to take such pushes/],
    ['a workspace other than default', () => kongFrame({ ...table, workspaces: [{ id: 'a5f8e3c1-4b7d-4e2a-9c1f-2d3e4f5a6b7d', name: 'team-a' }] }), /only the 'default' workspace is served/],
    ['a decompression bomb', () => gzipSync(Buffer.alloc(256 * 1024 * 1024 + 1, 32)), /the frame inflates to more than 268435456 bytes/],
  ]
  for (const [name, frame, message] of bad) {
    await t.test(`${name}: the live config stays, /status/config says why`, async (t) => {
      const conn = await connection(cp)
      const seen = (await statusConfig()).last_rejected?.at
      conn.socket.send(frame(), { binary: true })
      t.ok(await eventually(async () => {
        const rejected = (await statusConfig()).last_rejected
        return rejected !== null && rejected.at !== seen
      }, 20_000), 'rejected')
      const config = await statusConfig()
      t.match(config.last_rejected.message, message)
      t.equal(config.last_rejected.source, `control plane 127.0.0.1:${cpPort}`)
      t.equal(config.control_plane.last_push.outcome, 'rejected')
      t.equal(await hashNow(), kongHash, 'the hash is unchanged')
      t.equal((await fetch(`${node.proxy}/orders/1`)).status, 200, 'traffic still flows')
      t.ok(node.logs.some((l) => typeof l.msg === 'string' && message.test(l.msg)), 'logged')
    })
  }

  await t.test('a message of another type is ignored', async (t) => {
    const conn = await connection(cp)
    conn.socket.send(kongFrame(table, { type: 'something_else' }), { binary: true })
    t.ok(await eventually(async () => (await statusConfig()).control_plane.last_push.outcome === 'ignored'))
    t.equal(await hashNow(), kongHash)
  })

  await t.test('a push without config_hash runs under its content hash', async (t) => {
    const conn = await connection(cp)
    const other = kongConfigTable(upstream.port, ['/orders', '/more'])
    conn.socket.send(kongFrame(other, { hash: null }), { binary: true })
    t.ok(await eventually(async () => (await hashNow()) !== kongHash))
    const own = await hashNow()
    t.match(own, /^[0-9a-f]{32}$/)
    t.not(own, kongConfigHash(other).config, 'not the Kong hash: none was sent')
    await pingWith(conn, own)
    t.equal((await fetch(`${node.proxy}/more`)).status, 200)
    // Back to the Kong frame for what follows; the ping says the primary runs it, ready says the workers do too.
    const from = conn.pings.length
    conn.socket.send(kongFrame(table), { binary: true })
    await pingWith(conn, kongHash, from)
    t.ok(await eventually(async () => (await http(`${node.status}/status/ready`)).status === 200), 'every worker runs it')
  })

  await t.test('the control plane goes away: the node keeps serving and stays ready, then reconnects', async (t) => {
    await cp.close()
    t.ok(await eventually(async () => (await statusConfig()).control_plane.connected === false), 'sees the link broken')
    t.ok((await statusConfig()).control_plane.last_error, 'says why')
    t.equal((await http(`${node.status}/status/ready`)).status, 200, 'still ready')
    t.equal((await fetch(`${node.proxy}/orders/1`)).status, 200, 'still serving')
    cp = await scriptedControlPlane(cert, cpPort)
    const conn = await cp.nextConnection()
    await conn.basicInfo
    await pingWith(conn, kongHash)
    t.pass('reconnected, and its first ping carries the running hash')
  })

  await t.test('restarted without a control plane, it serves the config it kept', async (t) => {
    await cp.close()
    await node.stop()
    node = await startNode({ dir, workers: 1, env: dataPlaneEnv(cert, cpPort) })
    t.equal(await hashNow(), kongHash, "the control plane's hash, kept")
    t.equal((await http(`${node.status}/status/ready`)).status, 200)
    t.equal((await fetch(`${node.proxy}/orders/1`)).status, 200)
    cp = await scriptedControlPlane(cert, cpPort)
  })

  await t.test('cluster_verify_config_hash = off takes a hash that describes neither, with a warning', async (t) => {
    await cp.close()
    await node.stop()
    node = await startNode({ dir, workers: 1, env: { ...dataPlaneEnv(cert, cpPort), KONG_CLUSTER_VERIFY_CONFIG_HASH: 'off' } })
    cp = await scriptedControlPlane(cert, cpPort)
    const conn = await cp.nextConnection()
    const adapted = 'a'.repeat(32)
    conn.socket.send(kongFrame(kongConfigTable(upstream.port, ['/adapted']), { hash: adapted }), { binary: true })
    await pingWith(conn, adapted)
    t.equal(await hashNow(), adapted, 'the hash as sent')
    t.equal((await fetch(`${node.proxy}/adapted`)).status, 200)
    const config = await statusConfig()
    t.match(config.warnings, [{ path: 'config_hash', message: /^config_hash a{32} does not match the configuration sent .*; taken as sent \(cluster_verify_config_hash = off\)$/ }])
    t.ok(node.logs.some((l) => l.level === 'warn' && typeof l.msg === 'string' && l.msg.includes('taken as sent')), 'logged')
  })

  await t.test('a control plane that drops the data plane at once gets reconnects further and further apart', async (t) => {
    const mark = node.logs.length
    const retries = (): number[] => node.logs.slice(mark).flatMap((l) => (typeof l.retry_ms === 'number' ? [l.retry_ms] : []))
    await cp.close()
    cp = await scriptedControlPlane(cert, cpPort)
    for (let i = 0; i < 2; i++) {
      const conn = await cp.nextConnection()
      await conn.basicInfo
      conn.socket.close(1008, 'incompatible')
    }
    t.ok(await eventually(async () => retries().length >= 3, 10_000))
    const [first, second, third] = retries()
    t.ok(first >= 1000 && first <= 2000, `after a link that had a config: 1-2 s (${first})`)
    t.ok(second >= 2000 && second <= 4000, `then 2-4 s (${second})`)
    t.ok(third >= 4000 && third <= 8000, `then 4-8 s (${third})`)
  })

  await t.test('a control plane with another certificate is refused', async (t) => {
    await cp.close()
    const other = await clusterCert(dir, 'other')
    cp = await scriptedControlPlane(other, cpPort)
    t.ok(await eventually(async () => /certificate was refused \(self-signed certificate\): with cluster_mtls = shared it must be cluster_cert itself/.test((await statusConfig()).control_plane.last_error?.message ?? ''), 10_000))
    t.equal(cp.connections.length, 0, 'no WebSocket was opened')
    t.equal(await hashNow(), 'a'.repeat(32), 'the config it runs stays')
  })
})
