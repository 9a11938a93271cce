import { createHash } from 'node:crypto'
import t from 'tap'
import { collectionNamespace, deterministicId } from '../../src/declarative/ids.js'
import { load, yml } from '../helpers/load.js'

t.test('deterministic ids match the vectors Kong derives', async (t) => {
  const cases = [
    { desc: 'service by name', collection: 'services', key: 'my-service', id: '0855b320-0dd2-547d-891d-601e9b38647f' },
    { desc: 'route by name', collection: 'routes', key: 'my-route', id: '481a9539-f49c-51b6-b2e2-fe99ee68866c' },
    { desc: 'consumer by username', collection: 'consumers', key: 'my-user', id: '4b1b701d-de2b-5588-9aa2-3b97061d9f52' },
    {
      desc: 'target by cache key',
      collection: 'targets',
      key: 'targets:*:f9792964-6797-482c-bfdf-08220a4f6839:10.244.0.12:80',
      id: '48322e4a-b3b0-591b-8ed6-fd95a6d75019',
    },
    { desc: 'global plugin by cache key', collection: 'plugins', key: 'plugins:*:key-auth:::', id: '6b4f38d1-e026-540b-a5ea-8634739dd2a7' },
  ]
  for (const c of cases) t.equal(deterministicId(c.collection, c.key), c.id, c.desc)
  t.equal(collectionNamespace('services'), collectionNamespace('services'), 'namespaces are cached and stable')
})

t.test('ids of long and non-ASCII keys follow RFC 4122 version 5', async (t) => {
  // An independent derivation: SHA-1 of namespace bytes and UTF-8 name, version and variant set.
  const reference = (collection: string, key: string): string => {
    const ns = Buffer.from(collectionNamespace(collection).replace(/-/g, ''), 'hex')
    const h = createHash('sha1').update(ns).update(key, 'utf8').digest()
    h[6] = ((h[6]) & 0x0f) | 0x50
    h[8] = ((h[8]) & 0x3f) | 0x80
    const x = h.subarray(0, 16).toString('hex')
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
  }
  for (const key of ['svc-ü-ñ-日本', 'k'.repeat(5000), 'short', `${'é'.repeat(700)}x`]) {
    const id = deterministicId('services', key)
    t.equal(id, reference('services', key), `${key.slice(0, 12)}… (${key.length} chars)`)
    t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  }
})

t.test('a loaded config carries the same ids', async (t) => {
  const s = await load(
    yml(`services:
- name: my-service
  host: example.com
  routes:
  - name: my-route
    paths: [/]
consumers:
- username: my-user
plugins:
- name: key-auth
upstreams:
- id: f9792964-6797-482c-bfdf-08220a4f6839
  name: up
  targets:
  - target: 10.244.0.12:80
`),
  )
  t.equal(s.entities.services?.[0]?.id, '0855b320-0dd2-547d-891d-601e9b38647f', 'service id')
  t.equal(s.entities.routes?.[0]?.id, '481a9539-f49c-51b6-b2e2-fe99ee68866c', 'route id')
  t.same(s.entities.routes?.[0]?.service, { id: '0855b320-0dd2-547d-891d-601e9b38647f' }, 'nested route points at its service')
  t.equal(s.entities.consumers?.[0]?.id, '4b1b701d-de2b-5588-9aa2-3b97061d9f52', 'consumer id')
  t.equal(s.entities.targets?.[0]?.id, '48322e4a-b3b0-591b-8ed6-fd95a6d75019', 'target id')
  t.equal(s.entities.plugins?.[0]?.id, '6b4f38d1-e026-540b-a5ea-8634739dd2a7', 'global plugin id')
})

t.test('identical targets under different upstreams get different ids; the same twice collides', async (t) => {
  const s = await load(
    yml(`upstreams:
- name: a
  targets: [{target: "10.0.0.1:80"}]
- name: b
  targets: [{target: "10.0.0.1:80"}]
`),
  )
  const ids = (s.entities.targets ?? []).map((x) => x.id)
  t.equal(new Set(ids).size, 2, 'two distinct ids')
  const { loadError } = await import('../helpers/load.js')
  const err = await loadError(yml(`upstreams:\n- name: a\n  targets: [{target: "10.0.0.1:80"}, {target: "10.0.0.1:80"}]\n`))
  t.match(err.fields(), { upstreams: [{ targets: [null, /^uniqueness violation: 'targets' entity with primary key set to '.*' already declared$/] }] })
})

t.test('unnamed entities get stable ids across loads and reorderings', async (t) => {
  const a = await load(yml(`services:\n- host: a.example\n- host: b.example\n`))
  const b = await load(yml(`services:\n- host: b.example\n- host: a.example\n`))
  const c = await load(yml(`services:\n- host: a.example\n- host: b.example\n`))
  t.same(a.entities.services?.map((s) => s.id), c.entities.services?.map((s) => s.id), 'same ids on reload')
  t.same(a.entities.services?.map((s) => s.id), b.entities.services?.map((s) => s.id), 'same ids when reordered')
  t.equal(a.hash, b.hash, 'same hash')
  const d = await load(yml(`services:\n- host: a.example\n- host: a.example\n`))
  t.equal(new Set(d.entities.services?.map((s) => s.id)).size, 2, 'identical unnamed entities still get distinct ids')
})
