import t from 'tap'
import { parseFromWorker, parseToWorker } from '../../src/workers/messages.js'

const stats = { accepted: 1, handled: 1, active: 1, reading: 0, writing: 1, waiting: 0, requests: 3 }
const weight = { total: 100, unavailable: 0, available: 100 }
const host = { host: 'a.test', port: 80, dns: 'A', nodeWeight: 100, weight, addresses: [{ ip: '10.0.0.1', port: 80, weight: 100, healthy: true }] }
const balancerStatus = { healthy: true, weight, hosts: [host] }
const healthMark = { upstream: 'u', hostname: 'a.test', port: 80, ip: null, healthy: false }

t.test('worker messages are checked by shape, not only by type', async (t) => {
  const good = [
    { type: 'hello' },
    { type: 'listening' },
    { type: 'applied', version: 3, hash: 'abc' },
    { type: 'apply-failed', version: 3, error: 'ENOENT' },
    { type: 'stats', id: 9, heapUsed: 1024, connections: stats },
    { type: 'health-report', id: 4, reports: [] },
    { type: 'health-report', id: 4, reports: [null, balancerStatus] },
  ]
  for (const m of good) t.same(parseFromWorker(m), m, `${m.type} passes`)
  const bad = [
    { desc: 'not an object', m: 'applied' },
    { desc: 'unknown type', m: { type: 'config' } },
    { desc: 'applied without a hash', m: { type: 'applied', version: 3 } },
    { desc: 'a negative version', m: { type: 'applied', version: -1, hash: 'x' } },
    { desc: 'stats without counters', m: { type: 'stats', id: 1, heapUsed: 1 } },
    { desc: 'stats with a counter that is text', m: { type: 'stats', id: 1, heapUsed: 1, connections: { ...stats, active: '1' } } },
    { desc: 'a fractional stats id', m: { type: 'stats', id: 1.5, heapUsed: 1, connections: stats } },
    { desc: 'a health report without reports', m: { type: 'health-report', id: 4 } },
    { desc: 'a health report with a single status, not a list', m: { type: 'health-report', id: 4, reports: balancerStatus } },
    { desc: 'a health report whose address has no ip', m: { type: 'health-report', id: 4, reports: [{ ...balancerStatus, hosts: [{ ...host, addresses: [{ port: 1, weight: 1, healthy: true }] }] }] } },
  ]
  for (const { desc, m } of bad) t.equal(parseFromWorker(m), undefined, desc)
})

t.test('primary messages are checked by shape too', async (t) => {
  const conf = { proxy_listen: [{ host: '127.0.0.1', port: 8000, ssl: false, text: '127.0.0.1:8000' }], log_level: 'info', headers: ['server_tokens'], prefix: '/p' }
  const ticketKeys = new Uint8Array(48)
  t.ok(parseToWorker({ type: 'init', conf, ticketKeys }), 'init with settings')
  t.equal(parseToWorker({ type: 'init', conf }), undefined, 'init without ticket keys')
  t.equal(parseToWorker({ type: 'init', conf, ticketKeys: new Uint8Array(16) }), undefined, 'init with ticket keys of the wrong size')
  t.ok(parseToWorker({ type: 'config', version: 2, path: '/p/snapshots/snapshot-2.bin' }))
  t.ok(parseToWorker({ type: 'stop', graceful: true, deadlineMs: 30000 }))
  t.equal(parseToWorker({ type: 'init', conf: { ...conf, proxy_listen: [{ host: 1 }] }, ticketKeys }), undefined, 'init with a broken listener')
  t.equal(parseToWorker({ type: 'config', version: 2 }), undefined, 'config without its file')
  t.equal(parseToWorker({ type: 'stop', graceful: 'yes', deadlineMs: 1 }), undefined, 'stop with a non-boolean')
  t.equal(parseToWorker({ type: 'stats' }), undefined, 'stats without an id')
  t.ok(parseToWorker({ type: 'init', conf, ticketKeys, health: [healthMark] }), 'init with health marks')
  t.equal(parseToWorker({ type: 'init', conf, ticketKeys, health: [{ ...healthMark, healthy: 'no' }] }), undefined, 'init with a broken mark')
  t.ok(parseToWorker({ type: 'health', marks: [healthMark, { ...healthMark, ip: '10.0.0.1' }] }))
  t.equal(parseToWorker({ type: 'health', marks: [{ ...healthMark, port: -1 }] }), undefined, 'a mark with a negative port')
  t.ok(parseToWorker({ type: 'health-report', id: 3, upstreams: ['u', 'v'] }))
  t.equal(parseToWorker({ type: 'health-report', id: 3 }), undefined, 'a health report request without its upstreams')
  t.equal(parseToWorker({ type: 'health-report', id: 3, upstreams: 'u' }), undefined, 'a health report request with one upstream, not a list')
  t.equal(parseToWorker({ type: 'health-report', id: 3, upstreams: ['u', 1] }), undefined, 'a health report request with an id that is not text')
})
