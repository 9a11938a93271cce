/**
 * Hybrid mode end to end: our control plane and two of our data planes, real processes over
 * real mTLS. The data planes take the control plane's file, report its hash, follow its
 * changes, survive its loss and restart, and a data plane with another certificate is refused.
 */
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { clusterCert, dataPlaneEnv } from '../helpers/cluster.js'
import { runBin } from '../helpers/cli.js'
import { kongYml } from '../helpers/e2e.js'
import { eventually, freePort, http, startNode, type RunningNode } from '../helpers/node.js'
import { echoUpstream } from '../helpers/upstreams.js'

const hashOf = async (node: RunningNode): Promise<string> => (await http(`${node.status}/status`)).body.configuration_hash

t.test('our control plane and two data planes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-hybrid-'))
  const cert = await clusterCert(dir)
  const upstream = await echoUpstream('hybrid')
  const clusterPort = await freePort()
  const config = (paths: string[]): string =>
    kongYml({ services: [{ name: 'orders', url: `http://127.0.0.1:${upstream.port}`, routes: paths.map((p, i) => ({ name: `r${i}`, paths: [p] })) }] })
  const cpEnv = { KONG_ROLE: 'control_plane', KONG_CLUSTER_LISTEN: `127.0.0.1:${clusterPort}`, KONG_CLUSTER_CERT: cert.cert, KONG_CLUSTER_CERT_KEY: cert.key }
  const cpDir = mkdtempSync(join(tmpdir(), 'kong-dbless-cp-'))
  let cp = await startNode({ dir: cpDir, config: config(['/orders']), env: cpEnv })
  const dps = [await startNode({ workers: 1, env: dataPlaneEnv(cert, clusterPort) }), await startNode({ workers: 1, env: dataPlaneEnv(cert, clusterPort) })]
  const all = (): RunningNode[] => [cp, ...dps]
  t.teardown(async () => {
    for (const node of all()) await node.stop()
    await upstream.close()
  })
  const converged = async (): Promise<boolean> => {
    const want = await hashOf(cp)
    for (const dp of dps) if ((await hashOf(dp)) !== want) return false
    return true
  }

  await t.test('first sync: every data plane reports the hash `config hash` prints for the control plane file', async (t) => {
    const fileHash = (await runBin(['config', 'hash', join(cpDir, 'kong.yml')], cpDir)).stdout.trim()
    t.equal(await hashOf(cp), fileHash)
    t.ok(await eventually(converged, 15_000), 'all three agree')
    for (const dp of dps) {
      t.equal((await http(`${dp.status}/status/ready`)).status, 200)
      t.equal((await fetch(`${dp.proxy}/orders`)).status, 200, 'the pushed route serves')
    }
    for (const dp of dps) await t.rejects(fetch(`${dp.admin}/config`, { method: 'POST' }), 'a data plane serves no admin API, so no POST /config')
    t.equal((await http(`${cp.status}/status/ready`)).status, 200, 'a control plane is ready')
    t.equal((await http(`${cp.status}/status/config`)).body.workers.total, 0, 'a control plane runs no workers')
  })

  await t.test('the control plane lists its data planes with their hashes', async (t) => {
    const ids = dps.map((dp) => readFileSync(join(dp.prefix, 'node_id'), 'utf8').trim()).sort()
    const want = await hashOf(cp)
    t.ok(await eventually(async () => {
      const { body } = await http(`${cp.admin}/clustering/data-planes`)
      return body.data.length === 2 && body.data.every((d: { config_hash: string }) => d.config_hash === want)
    }, 15_000))
    const { body } = await http(`${cp.admin}/clustering/data-planes`)
    t.same(body.data.map((d: { id: string }) => d.id).sort(), ids)
    for (const d of body.data) {
      t.match(d, { ip: '127.0.0.1', hostname: hostname(), version: '3.10.0', sync_status: 'normal', config_hash: want })
      t.ok(Math.abs(d.last_seen - Date.now() / 1000) < 60)
    }
    const status = await http(`${cp.admin}/clustering/status`)
    t.equal(status.headers.get('deprecation'), 'true')
    t.same(Object.keys(status.body).sort(), ids)
    const cpMetrics = await (await fetch(`${cp.status}/metrics`)).text()
    for (const id of ids) {
      t.match(cpMetrics, new RegExp(`kong_data_plane_last_seen\\{node_id="${id}",hostname="${hostname()}",ip="127\\.0\\.0\\.1"\\} \\d+`))
      t.match(cpMetrics, `kong_data_plane_version_compatible{node_id="${id}",hostname="${hostname()}",ip="127.0.0.1",kong_version="3.10.0"} 1`)
      t.match(cpMetrics, new RegExp(`kong_data_plane_config_hash\\{node_id="${id}"[^}]*\\} \\d`))
    }
    const dpMetrics = await (await fetch(`${dps[0].status}/metrics`)).text()
    t.match(dpMetrics, /^kong_control_plane_connected 1$/m)
    t.match(dpMetrics, `kong_data_plane_cluster_cert_expiry_timestamp ${Math.floor(Date.parse(new X509Certificate(cert.certPem).validTo) / 1000)}\n`)
  })

  await t.test('a change on the control plane reaches every data plane', async (t) => {
    const before = await hashOf(cp)
    const res = await fetch(`${cp.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ config: config(['/orders', '/more']) }) })
    t.equal(res.status, 201)
    t.not(await hashOf(cp), before)
    t.ok(await eventually(converged, 15_000), 'every data plane runs the new hash')
    for (const dp of dps) t.equal((await fetch(`${dp.proxy}/more`)).status, 200)
  })

  await t.test('the control plane goes away: data planes keep serving and stay ready; back, it syncs them again', async (t) => {
    const served = await hashOf(cp)
    await cp.stop()
    for (const dp of dps) {
      t.ok(await eventually(async () => (await http(`${dp.status}/status/config`)).body.control_plane.connected === false, 15_000), 'sees the loss')
      t.equal((await http(`${dp.status}/status/ready`)).status, 200, 'stays ready')
      t.equal(await hashOf(dp), served)
      t.equal((await fetch(`${dp.proxy}/more`)).status, 200, 'keeps serving')
      t.match(await (await fetch(`${dp.status}/metrics`)).text(), /^kong_control_plane_connected 0$/m)
    }
    // Restarted, it serves its file again (the POST /config change was not in the file).
    cp = await startNode({ dir: cpDir, env: { ...cpEnv, KONG_DECLARATIVE_CONFIG: 'kong.yml' } })
    t.not(await hashOf(cp), served)
    t.ok(await eventually(converged, 20_000), 'reconnected and synced')
    for (const dp of dps) t.equal((await fetch(`${dp.proxy}/more`)).status, 404, 'the route only POST /config had is gone')
  })

  await t.test('a data plane with another certificate is refused', async (t) => {
    const otherDir = mkdtempSync(join(tmpdir(), 'kong-dbless-dp-other-'))
    const other = await clusterCert(otherDir, 'other')
    const stranger = await startNode({ dir: otherDir, workers: 1, env: dataPlaneEnv(other, clusterPort) })
    t.teardown(() => stranger.stop())
    t.ok(await eventually(async () => (await http(`${stranger.status}/status/config`)).body.control_plane.last_error !== null, 15_000), 'its link fails')
    t.equal((await http(`${stranger.status}/status/ready`)).status, 503, 'and it has no config')
    t.equal((await http(`${cp.admin}/clustering/data-planes`)).body.data.length, 2, 'the control plane does not list it')
  })

  await t.test('a data plane restarted without its control plane serves the config it kept', async (t) => {
    const served = await hashOf(cp)
    await cp.stop()
    const [first] = dps
    await first.stop()
    dps[0] = await startNode({ dir: first.dir, workers: 1, env: dataPlaneEnv(cert, clusterPort) })
    t.equal(await hashOf(dps[0]), served)
    t.equal((await http(`${dps[0].status}/status/ready`)).status, 200)
    t.equal((await fetch(`${dps[0].proxy}/orders`)).status, 200)
  })
})
