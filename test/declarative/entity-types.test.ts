import t from 'tap'
import type { Route, Service, Plugin, Upstream, KeyauthCredential } from '../../src/declarative/schema/entities/index.js'
import { load } from '../helpers/load.js'

// Compile-time checks (run by `npm run lint`, which type-checks the tests): entity types are
// derived from the schema declarations, so a field's type follows its declaration.
type Expect<T extends true> = T
type Eq<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false
type Protocol = 'grpc' | 'grpcs' | 'http' | 'https' | 'tcp' | 'tls' | 'tls_passthrough' | 'udp'
export type EntityTypeChecks = [
  Expect<Eq<Route['id'], string>>,
  Expect<Eq<Route['created_at'], number>>,
  Expect<Eq<Route['paths'], readonly string[] | null>>,
  Expect<Eq<Route['strip_path'], boolean>>,
  Expect<Eq<Route['protocols'], readonly Protocol[]>>,
  Expect<Eq<Route['headers'], Readonly<Record<string, readonly string[]>> | null>>,
  Expect<Eq<Route['service'], { readonly id: string } | null>>,
  Expect<Eq<Route['regex_priority'], number>>,
  Expect<Eq<Service['port'], number>>,
  Expect<Eq<Service['path'], string | null>>,
  Expect<Eq<Service['protocol'], Protocol>>,
  Expect<Eq<Service['tags'], readonly string[] | null>>,
  Expect<Eq<Plugin['config'], unknown>>,
  Expect<Eq<Upstream['algorithm'], 'consistent-hashing' | 'least-connections' | 'round-robin' | 'latency'>>,
  Expect<Eq<KeyauthCredential['key'], string>>,
]

t.test('a snapshot hands out typed entities: no casts to read a route', async (t) => {
  const snapshot = await load('_format_version: "3.0"\nservices:\n- name: s\n  host: s.example\n  routes:\n  - name: r\n    paths: [/a]\n')
  const route: Route | undefined = snapshot.entities.routes?.[0]
  const service: Service | undefined = snapshot.entities.services?.[0]
  t.same(route?.paths, ['/a'], 'paths is a string list')
  t.equal(route?.strip_path, true, 'defaults are filled')
  t.equal(route?.service?.id, service?.id, 'the reference holds the service id')
  t.equal(service?.port, 80)
})
