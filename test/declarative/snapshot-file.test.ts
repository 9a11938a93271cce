import t from 'tap'
import { decodeSnapshot, encodeSnapshot } from '../../src/declarative/snapshot-file.js'
import { SnapshotIndex, indexEntities } from '../../src/declarative/snapshot-index.js'
import { load, yml } from '../helpers/load.js'

const services = Array.from({ length: 4500 }, (_, i) => `- name: s${i}\n  host: h${i}.example\n  routes:\n  - name: r${i}\n    paths: [/p${i}]\n`).join('')

t.test('a snapshot survives the file format whole, frozen, in sections read one by one', async (t) => {
  const snapshot = await load(yml(`services:\n${services}consumers:\n- username: u\n  acls: [{group: g}]\n`))
  const { chunks, bytes } = encodeSnapshot(snapshot)
  const data = Buffer.concat(chunks)
  const total = Object.values(bytes).reduce((a, b) => a + b, 0)
  t.ok((bytes.services ?? 0) > 0 && (bytes.acls ?? 0) > 0, 'a size per collection')
  t.ok(total < data.length && total > data.length * 0.9, 'the sizes are the entity sections, nearly all of the file')
  const sections: [string, number][] = []
  const back = await decodeSnapshot(data, (collection, entities) => {
    sections.push([collection, entities.length])
  })
  t.same(back, snapshot, 'the same data')
  t.ok(Object.isFrozen(back) && Object.isFrozen(back.entities.services) && Object.isFrozen(back.entities.services?.[0]), 'frozen throughout')
  t.ok(Object.isFrozen(back.hashes), 'the header too')
  t.same(
    sections.filter(([c]) => c === 'services').map(([, n]) => n),
    [2000, 2000, 500],
    'entities come in sections of 2000, so a reader can yield between them',
  )
  await t.rejects(decodeSnapshot(Buffer.from('not a snapshot at all')), /not a snapshot file of this version/)
})

t.test('the index finds entities by id, by endpoint key and by parent', async (t) => {
  const snapshot = await load(yml('services:\n- name: a\n  host: a.example\n  routes:\n  - name: ra1\n    paths: [/1]\n  - name: ra2\n    paths: [/2]\n- name: b\n  host: b.example\nconsumers:\n- username: u\n  keyauth_credentials: [{key: k}]\n'))
  const index = indexEntities(snapshot.entities)
  const a = index.byKey('services', 'a')
  t.equal(a?.name, 'a')
  t.equal(index.byId('services', a?.id ?? ''), a)
  const inListOrder = (snapshot.entities.routes ?? []).filter((r) => r.service?.id === a?.id)
  t.same(index.children('routes', 'service', a?.id ?? ''), inListOrder, 'children, in the list order')
  t.equal(inListOrder.length, 2)
  t.same(index.children('routes', 'service', index.byKey('services', 'b')?.id ?? ''), [], 'none')
  t.equal(index.byKey('keyauth_credentials', 'k')?.key, 'k', 'credentials by key')
  t.equal(index.byKey('consumers', 'nope'), undefined)
  t.equal(new SnapshotIndex().byId('services', 'x'), undefined, 'an empty index finds nothing')
})
