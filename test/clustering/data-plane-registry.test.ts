// The control plane's data plane records: ttl counting down from the last ping, purge once
// disconnected and expired, overlapping connections of one node id.
import t from 'tap'
import { DataPlaneRegistry } from '../../src/clustering/data-plane-registry.js'

const DETAILS = { ip: '10.0.0.5', hostname: 'dp', version: '3.10.0', labels: {} }

t.test('ttl counts down from the last ping; a disconnected data plane is purged when it reaches 0', async (t) => {
  let now = 1_700_000_000_000
  const registry = new DataPlaneRegistry(60, () => now)
  registry.handshake('a', DETAILS, 'normal')
  registry.opened('a')
  t.match(registry.list(), [{ id: 'a', ttl: 60, last_seen: 1_700_000_000, config_hash: '0'.repeat(32), connected: true, cert_details: {} }])
  now += 50_000
  registry.ping('a', 'f'.repeat(32))
  now += 20_000
  t.match(registry.list(), [{ ttl: 40, last_seen: 1_700_000_050, updated_at: 1_700_000_050, config_hash: 'f'.repeat(32) }], 'from the last ping')
  now += 100_000
  t.match(registry.list(), [{ id: 'a', ttl: 0, connected: true }], 'a connected data plane is kept whatever its ttl')
  registry.closed('a')
  t.same(registry.list(), [], 'purged once disconnected and expired')
  registry.ping('a', 'e'.repeat(32))
  registry.setStatus('a', 'plugin_set_incompatible')
  t.same(registry.list(), [], 'a purged data plane is not brought back by a late ping')
})

t.test('one node id over two connections stays connected until both close; records sort by id', async (t) => {
  const registry = new DataPlaneRegistry(60)
  registry.handshake('b', { ...DETAILS, certExpiry: 1_800_000_000 }, 'normal')
  registry.opened('b')
  registry.handshake('b', { ...DETAILS, hostname: 'dp-restarted' }, 'normal')
  registry.opened('b')
  registry.handshake('a', DETAILS, 'kong_version_incompatible')
  registry.closed('b')
  t.match(registry.list(), [{ id: 'a', connected: false, sync_status: 'kong_version_incompatible' }, { id: 'b', connected: true, hostname: 'dp-restarted' }])
  registry.closed('b')
  registry.closed('b')
  t.match(registry.list()[1], { id: 'b', connected: false }, 'a surplus close does not go below none')
})
