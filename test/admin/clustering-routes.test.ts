// GET /clustering/data-planes and GET /clustering/status on the admin API, with a real control
// plane and a data plane connected to it; Kong's 400 anywhere but on a control plane.
import { createServer, type Server } from 'node:http'
import t, { type Test } from 'tap'
import { createAdminApp } from '../../src/admin/app.js'
import { ControlPlane } from '../../src/clustering/control-plane.js'
import type { NodeState } from '../../src/node/state.js'
import { KONG_COMPAT_VERSION } from '../../src/version.js'
import { basicInfo, captureLog, clusterPair, connectPeer, controlPlaneConf } from '../helpers/cluster-peers.js'
import { freePort } from '../helpers/node.js'
import { BUNDLED_PLUGINS } from '../../src/plugins/registry.js'

const NOT_A_CP = { message: 'this endpoint is only available when Kong is configured to run as Control Plane for the cluster' }
const pair = await clusterPair()

/**
 * The admin app over a real socket. The routes read `controlPlane`, `conf.headers` and `log` of
 * the node state; the rest of NodeState (workers, stores, live config) belongs to a running
 * node, which cannot carry a control plane until the server wires one, so it is left out here.
 */
async function serveAdmin(t: Test, controlPlane: ControlPlane | undefined): Promise<string> {
  const port = await freePort()
  const { log } = captureLog()
  const conf = controlPlaneConf(pair, port)
  const state = { conf, log, ...(controlPlane ? { controlPlane } : {}) } as unknown as NodeState
  const handle = createAdminApp(state).callback()
  const server: Server = createServer((req, res) => void handle(req, res))
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${port}`
}

t.test('on a control plane: the data planes, paged, and the deprecated status map', async (t) => {
  const cpPort = await freePort()
  const cp = new ControlPlane({ conf: controlPlaneConf(pair, cpPort), log: captureLog().log, version: KONG_COMPAT_VERSION })
  await cp.listen()
  t.teardown(() => cp.close())
  const admin = await serveAdmin(t, cp)
  const empty = await fetch(`${admin}/clustering/data-planes`)
  t.same(await empty.json(), { data: [], next: null }, 'none yet: an empty list')
  t.same(await (await fetch(`${admin}/clustering/status`)).json(), {}, 'and an empty map')
  const plugins = BUNDLED_PLUGINS.map((p) => p.name)
  for (const id of ['dp-b', 'dp-a']) {
    const dp = await connectPeer({ port: cpPort, pair, id, hostname: `${id}.host` })
    dp.ws.send(basicInfo(plugins))
    await dp.ping(id === 'dp-a' ? 'a'.repeat(32) : 'b'.repeat(32))
  }
  const res = await fetch(`${admin}/clustering/data-planes`)
  t.equal(res.status, 200)
  const body = (await res.json()) as { data: Record<string, unknown>[]; next: null }
  t.same(body.data, JSON.parse(JSON.stringify(cp.dataPlanes())), 'the records as the control plane lists them')
  t.match(body, { data: [{ id: 'dp-a', hostname: 'dp-a.host', ip: '127.0.0.1', sync_status: 'normal', config_hash: 'a'.repeat(32) }, { id: 'dp-b' }], next: null })
  const first = (await (await fetch(`${admin}/clustering/data-planes?size=1`)).json()) as { data: { id: string }[]; offset: string; next: string }
  t.same(first.data.map((d) => d.id), ['dp-a'], 'size=1: the first')
  t.equal(first.next, `/clustering/data-planes?size=1&offset=${encodeURIComponent(first.offset)}`)
  const second = (await (await fetch(`${admin}${first.next}`)).json()) as { data: { id: string }[]; next: null }
  t.same([second.data.map((d) => d.id), second.next], [['dp-b'], null], 'the next page is the last')
  const status = await fetch(`${admin}/clustering/status`)
  t.equal(status.headers.get('deprecation'), 'true')
  const [a, b] = cp.dataPlanes()
  t.same(await status.json(), {
    'dp-a': { config_hash: 'a'.repeat(32), hostname: 'dp-a.host', ip: '127.0.0.1', last_seen: a?.last_seen },
    'dp-b': { config_hash: 'b'.repeat(32), hostname: 'dp-b.host', ip: '127.0.0.1', last_seen: b?.last_seen },
  })
  t.equal((await fetch(`${admin}/clustering/data-planes?size=0`)).status, 400, "Kong's size check")
  t.equal((await fetch(`${admin}/clustering/data-planes`, { method: 'POST' })).status, 405, 'read only')
  t.equal((await fetch(`${admin}/clustering/status`, { method: 'DELETE' })).status, 405)
  const listed = (await (await fetch(`${admin}/endpoints`)).json()) as { data: string[] }
  t.ok(listed.data.includes('/clustering/data-planes') && listed.data.includes('/clustering/status'), 'GET /endpoints lists both')
})

t.test("anywhere else both answer Kong's 400", async (t) => {
  const admin = await serveAdmin(t, undefined)
  for (const path of ['/clustering/data-planes', '/clustering/status']) {
    const res = await fetch(`${admin}${path}`)
    t.equal(res.status, 400, path)
    t.same(await res.json(), NOT_A_CP, path)
  }
})
