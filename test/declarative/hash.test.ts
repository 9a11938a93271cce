import t from 'tap'
import { EMPTY_CONFIG_HASH, hash128, initHasher } from '../../src/declarative/hash.js'
import { load } from '../helpers/load.js'

const BASE = `_format_version: "3.0"
services:
- name: a
  host: a.example
  routes:
  - name: ra
    paths: [/a]
- name: b
  host: b.example
consumers:
- username: u
`

t.test('the hash ignores formatting, comments, key order, entity order and defaults', async (t) => {
  const base = (await load(BASE)).hash
  t.match(base, /^[0-9a-f]{32}$/, '32 lowercase hex')
  t.not(base, EMPTY_CONFIG_HASH)
  const variants = [
    { desc: 'comments and blank lines', text: `# hello\n${BASE.replace('services:', '\n\nservices: # the services')}` },
    { desc: 'flow style', text: '_format_version: "3.0"\nservices: [{name: a, host: a.example, routes: [{name: ra, paths: [/a]}]}, {name: b, host: b.example}]\nconsumers: [{username: u}]\n' },
    { desc: 'key order', text: 'consumers:\n- username: u\nservices:\n- host: b.example\n  name: b\n- routes:\n  - paths: [/a]\n    name: ra\n  host: a.example\n  name: a\n_format_version: "3.0"\n' },
    { desc: 'explicit defaults', text: BASE.replace('host: b.example', 'host: b.example\n  port: 80\n  retries: 5\n  protocol: http') },
    { desc: 'route written at top level', text: '_format_version: "3.0"\nservices:\n- name: a\n  host: a.example\n- name: b\n  host: b.example\nroutes:\n- name: ra\n  paths: [/a]\n  service: a\nconsumers:\n- username: u\n' },
  ]
  for (const v of variants) t.equal((await load(v.text)).hash, base, v.desc)
  const json = JSON.stringify({ _format_version: '3.0', consumers: [{ username: 'u' }], services: [{ name: 'b', host: 'b.example' }, { name: 'a', host: 'a.example', routes: [{ name: 'ra', paths: ['/a'] }] }] })
  t.equal((await load(json, 'kong.json')).hash, base, 'the same content as JSON')
})

t.test('every semantic change changes the hash', async (t) => {
  const base = (await load(BASE)).hash
  const changes = [
    { desc: 'a port', text: BASE.replace('host: b.example', 'host: b.example\n  port: 81') },
    { desc: 'a host', text: BASE.replace('b.example', 'c.example') },
    { desc: 'a route path', text: BASE.replace('/a]', '/a2]') },
    { desc: 'a new consumer', text: `${BASE}- username: v\n` },
    { desc: 'a tag', text: BASE.replace('username: u', 'username: u\n  tags: [x]') },
    { desc: 'a removed service', text: BASE.replace('- name: b\n  host: b.example\n', '') },
    { desc: 'a basic-auth password stored as given (_transform: false)', text: `${BASE.replace('"3.0"', '"3.0"\n_transform: false')}  basicauth_credentials: [{username: b, password: p}]\n` },
    { desc: 'a basic-auth password hashed on load', text: `${BASE}  basicauth_credentials: [{username: b, password: p}]\n` },
    { desc: 'a non-ASCII tag', text: BASE.replace('username: u', 'username: u\n  tags: [café]') },
    { desc: 'another non-ASCII tag', text: BASE.replace('username: u', 'username: u\n  tags: [cafè]') },
    { desc: 'two tags', text: BASE.replace('username: u', 'username: u\n  tags: [x, y]') },
    { desc: 'one tag holding both', text: BASE.replace('username: u', 'username: u\n  tags: [xy]') },
    { desc: 'a plugin', text: `${BASE}plugins:\n- name: rate-limiting\n  config: {minute: 5}\n` },
    { desc: 'a number inside plugin config', text: `${BASE}plugins:\n- name: rate-limiting\n  config: {minute: 6}\n` },
  ]
  const seen = new Set([base])
  for (const c of changes) {
    const h = (await load(c.text)).hash
    t.notOk(seen.has(h), c.desc)
    seen.add(h)
  }
})

t.test('an empty config has a real hash; group hashes say which part changed', async (t) => {
  const empty = await load('_format_version: "3.0"\n')
  t.not(empty.hash, EMPTY_CONFIG_HASH, 'valid empty config is not all zeros')
  t.equal(empty.hashes.services, EMPTY_CONFIG_HASH, 'absent groups are zeros')
  const a = await load(BASE)
  const b = await load(BASE.replace('username: u', 'username: w'))
  t.equal(a.hashes.services, b.hashes.services, 'services unchanged')
  t.equal(a.hashes.routes, b.hashes.routes, 'routes unchanged')
  t.not(a.hashes.rest, b.hashes.rest, 'rest (consumers) changed')
  t.equal(a.hashes.config, a.hash)
})

t.test('hash128 is stable and needs the hasher', async (t) => {
  await initHasher()
  t.equal(hash128('abc'), hash128('abc'))
  t.not(hash128('abc'), hash128('abd'))
  t.equal(hash128('').length, 32)
})

t.test('normalized entities serialize the same whatever the input key order (what lets the hash use JSON.stringify)', async (t) => {
  const a = await load(`_format_version: "3.0"
services:
- port: 8080
  name: s
  host: x
  routes:
  - headers: {x-b: [b], x-a: [a]}
    paths: [/]
    name: r
upstreams:
- name: u
  healthchecks: {passive: {unhealthy: {timeouts: 3}}, active: {headers: {z: ["1"], a: ["2"]}}}
plugins:
- name: request-termination
  config: {status_code: 403, message: denied}
`)
  const b = await load(`_format_version: "3.0"
plugins:
- config: {message: denied, status_code: 403}
  name: request-termination
upstreams:
- healthchecks: {active: {headers: {a: ["2"], z: ["1"]}}, passive: {unhealthy: {timeouts: 3}}}
  name: u
services:
- host: x
  routes:
  - name: r
    paths: [/]
    headers: {x-a: [a], x-b: [b]}
  name: s
  port: 8080
`)
  for (const name of Object.keys(a.entities)) {
    const strip = (list: readonly unknown[] | undefined): string => JSON.stringify(list, (k, v: unknown) => (k === 'created_at' || k === 'updated_at' ? undefined : v))
    t.equal(strip(b.entities[name]), strip(a.entities[name]), name)
  }
  t.equal(a.hash, b.hash)
})
