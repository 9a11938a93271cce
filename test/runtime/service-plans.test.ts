// Forwarding plans from a real loaded config: every HTTP-family protocol gets one, with its
// scheme, default port, timeouts and (https, grpcs) TLS; stream protocols get none.
import t from 'tap'
import { indexEntities } from '../../src/declarative/snapshot-index.js'
import type { Service } from '../../src/declarative/schema/entities/index.js'
import { buildServicePlans } from '../../src/runtime/service-plans.js'
import { load, yml } from '../helpers/load.js'

t.test('http, https, grpc and grpcs services get plans; stream services none', async (t) => {
  const snapshot = await load(
    yml(`services:
- { name: h, protocol: http, host: a.test, read_timeout: 1234 }
- { name: hs, protocol: https, host: a.test, tls_verify: true }
- { name: g, protocol: grpc, host: a.test, connect_timeout: 99, read_timeout: 77 }
- { name: gs, protocol: grpcs, host: a.test, port: 443 }
- { name: t, protocol: tcp, host: a.test }
- { name: u, protocol: udp, host: a.test }
`),
  )
  const services = (snapshot.entities.services ?? []) as Service[]
  const plans = buildServicePlans(services, indexEntities(snapshot.entities))
  const of = (name: string) => plans.get(services.find((s) => s.name === name)?.id ?? '')
  t.equal(plans.size, 4, 'tcp and udp have no plan')
  t.same(of('h'), { scheme: 'http', grpc: false, defaultPort: 80, connectTimeoutMs: 60000, readTimeoutMs: 1234, tls: undefined })
  t.same(of('g'), { scheme: 'grpc', grpc: true, defaultPort: 80, connectTimeoutMs: 99, readTimeoutMs: 77, tls: undefined }, 'grpc: h2c, port 80 is the default')
  t.same(of('hs')?.tls, { verify: true, verifyDepth: undefined, ca: undefined, caIds: '', clientCert: undefined })
  t.same(of('gs'), {
    scheme: 'grpcs',
    grpc: true,
    defaultPort: 443,
    connectTimeoutMs: 60000,
    readTimeoutMs: 60000,
    tls: { verify: false, verifyDepth: undefined, ca: undefined, caIds: '', clientCert: undefined },
  }, 'grpcs: TLS with Kong defaults (the schema allows no tls_verify on grpcs)')
})
