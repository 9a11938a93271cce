// Load balancing end to end (spec §5.1, §5.2, §5.5): services whose host names an upstream
// spread requests over its targets by weight (one worker, so the round-robin wheel is one),
// weight 0 is never picked, a hostname target goes through the hosts file, the Host header
// follows the target or host_header, and retries move a failed try to the next target.
import { Resolver } from 'node:dns/promises'
import t from 'tap'
import { echoed, errorBody, kongYml, send, startE2eNode } from '../helpers/e2e.js'
import { closedPort, echoUpstream } from '../helpers/upstreams.js'

const [a, b, c, dead] = await Promise.all([echoUpstream('a'), echoUpstream('b'), echoUpstream('c'), closedPort()])
t.teardown(() => Promise.all([a.close(), b.close(), c.close()]))

const at = (port: number, weight?: number): Record<string, unknown> => ({ target: `127.0.0.1:${port}`, ...(weight === undefined ? {} : { weight }) })
const service = (name: string, host: string, port = 1, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  host,
  port,
  ...extra,
  routes: [{ paths: [`/${name}`] }],
})

const config = kongYml({
  upstreams: [
    { name: 'even.up', slots: 10, targets: [at(a.port), at(b.port)] },
    { name: 'weighted.up', targets: [at(a.port, 300), at(b.port, 100), at(c.port, 0)] },
    { name: 'named.up', targets: [{ target: `localhost:${a.port}` }] },
    { name: 'hh.up', host_header: 'custom.test', targets: [at(b.port)] },
    { name: 'failover.up', targets: [at(dead), at(c.port)] },
    { name: 'failover0.up', targets: [at(dead), at(c.port)] },
    { name: 'zero.up', targets: [at(a.port, 0)] },
    { name: 'unresolved.up', targets: [{ target: 'no-such-name.invalid:80' }] },
    { name: 'mixed.up', targets: [{ target: 'no-such-name.invalid:80' }, at(c.port)] },
  ],
  services: [
    // Port 1: a service's port is ignored when its host is an upstream.
    service('even', 'even.up'),
    service('weighted', 'weighted.up'),
    service('named', 'named.up'),
    service('hh', 'hh.up'),
    service('failover', 'failover.up', 1, { retries: 5 }),
    service('failover0', 'failover0.up', 1, { retries: 0 }),
    service('zero', 'zero.up'),
    service('unresolved', 'unresolved.up'),
    service('mixed', 'mixed.up'),
    service('localhost', 'localhost', a.port),
  ],
})

const node = await startE2eNode(t, config)
const port = node.ports.proxy

/** Sends `n` requests one after the other; counts who answered (echo name, or the status). */
async function spread(path: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const reply = await send(port, { path })
    const who = reply.status === 200 ? echoed(reply).server : String(reply.status)
    counts[who] = (counts[who] ?? 0) + 1
  }
  return counts
}

t.test('equal weights: an exact half each over 2 x slots requests', async (t) => {
  t.same(await spread('/even', 20), { a: 10, b: 10 })
})

t.test('weights 300/100/0: exactly 3 to 1, and never the weight-0 target', async (t) => {
  t.same(await spread('/weighted', 40), { a: 30, b: 10 })
})

t.test('the Host header: the target\'s address and port, its hostname, or host_header', async (t) => {
  const even = echoed(await send(port, { path: '/even' }))
  t.equal(even.headers.host, `127.0.0.1:${even.server === 'a' ? a.port : b.port}`, 'the IP target and its port')
  const named = echoed(await send(port, { path: '/named' }))
  t.equal(named.server, 'a', 'localhost resolved through the hosts file')
  t.equal(named.headers.host, `localhost:${a.port}`, 'the target\'s hostname and port')
  t.equal(echoed(await send(port, { path: '/hh' })).headers.host, `custom.test:${b.port}`, 'host_header and the target\'s port')
  const local = echoed(await send(port, { path: '/localhost' }))
  t.equal(local.server, 'a')
  t.equal(local.headers.host, `localhost:${a.port}`, 'a service host name without an upstream')
})

t.test('a refused try moves to the next target while retries last', async (t) => {
  t.same(await spread('/failover', 10), { c: 10 }, 'retries 5: every request ends on the live target')
  t.same(await spread('/failover0', 10), { c: 5, 502: 5 }, 'retries 0: the dead target\'s half fail')
  for (let i = 0; i < 2; i++) {
    t.equal(echoed(await send(port, { path: '/failover' })).headers.host, `127.0.0.1:${c.port}`, 'Host is computed again for the try that answered')
  }
})

t.test('an upstream whose only target has weight 0: 503', async (t) => {
  const reply = await send(port, { path: '/zero' })
  t.equal(reply.status, 503)
  t.equal(reply.text, errorBody.json('failure to get a peer from the ring-balancer', String(reply.headers['x-kong-request-id'])))
})

// The name error comes from the system's resolver, which the node uses (see errors.test.ts).
const nxdomain = await new Resolver({ timeout: 2000, tries: 1 }).resolve4('no-such-name.invalid').then(
  () => 'an address',
  (err: NodeJS.ErrnoException) => err.code,
)
t.test('a target whose name does not resolve has no address', { skip: nxdomain === 'ENOTFOUND' ? false : `the system resolver answers ${nxdomain} for no-such-name.invalid` }, async (t) => {
  const reply = await send(port, { path: '/unresolved' })
  t.equal(reply.status, 503, 'its only target: no peer')
  t.equal(reply.text, errorBody.json('failure to get a peer from the ring-balancer', String(reply.headers['x-kong-request-id'])))
  t.same(await spread('/mixed', 6), { c: 6 }, 'beside a live target: every request goes to the live one')
})

t.test('hostname targets answered by the test DNS server', {
  skip: 'the node cannot be pointed at another name server: there is no dns_resolver setting, and the worker builds its DNS cache on the system resolver (src/workers/worker.ts)',
}, async () => undefined)
