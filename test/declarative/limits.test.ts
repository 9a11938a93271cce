import t from 'tap'
import { MAX_REPORTED_ERRORS } from '../../src/declarative/errors.js'
import { MAX_STRING_LENGTH } from '../../src/declarative/schema/validate.js'
import { load, loadError, yml } from '../helpers/load.js'

t.test('a string longer than the bound is refused where it is, in declared and in free-form fields', async (t) => {
  const long = 'x'.repeat(MAX_STRING_LENGTH + 1)
  const name = await loadError(yml(`services:\n- name: ${long}\n  host: a.example\n`))
  t.match(name.located(), [{ path: 'services[0].name', line: 3, message: `length must be at most ${MAX_STRING_LENGTH}` }])
  const tag = await loadError(yml(`consumers:\n- username: u\n  tags: [ok, ${long}]\n`))
  t.match(tag.located(), [{ path: 'consumers[0].tags[1]', message: `length must be at most ${MAX_STRING_LENGTH}` }])
  const header = await loadError(yml(`services:\n- host: a.example\n  routes:\n  - headers: {x-a: [${long}]}\n`))
  t.match(header.located(), [{ path: 'services[0].routes[0].headers.x-a[0]', message: `length must be at most ${MAX_STRING_LENGTH}` }])
  const body = await loadError(yml(`plugins:\n- name: request-termination\n  config: {status_code: 200, body: ${long}}\n`))
  t.equal(body.located().length, 1, 'a plugin config is checked once, by its own schema')
  t.match(body.located(), [{ path: 'plugins[0].config.body', message: `length must be at most ${MAX_STRING_LENGTH}` }])
  t.ok(await load(yml(`services:\n- name: ${'x'.repeat(MAX_STRING_LENGTH)}\n  host: a.example\n`)), 'a string at the bound is accepted')
  const key = await loadError(yml(`services:\n- host: a.example\n  routes:\n  - headers: {${long}: [a]}\n`))
  t.match(key.located(), [{ path: /^services\[0\]\.routes\[0\]\.headers/, message: `length must be at most ${MAX_STRING_LENGTH}` }], 'keys are bounded too')
})

t.test(`at most ${MAX_REPORTED_ERRORS} problems are reported; the body says how many more there were`, async (t) => {
  const services = Array.from({ length: 1500 }, (_, i) => `- name: s${i}\n  port: 99999\n`).join('')
  const err = await loadError(yml(`services:\n${services}`))
  t.equal(err.issues.length, 3000, 'every problem is found: a missing host and a bad port per service')
  t.equal(err.located().length, MAX_REPORTED_ERRORS, 'the reported ones are capped')
  t.equal(err.located()[0]?.path, 'services[0].host', 'in document order, the first ones first')
  const body = err.toKongBody(false)
  t.equal(body.errors_not_shown, 2000)
  t.equal(body.details.length, MAX_REPORTED_ERRORS)
  t.match(body.message, / \(and 2000 more errors not shown\)$/)
  t.ok(JSON.stringify(body).length < 400_000, `the body stays small (${JSON.stringify(body).length} bytes)`)
  const flat = err.toKongBody(true)
  t.equal(flat.errors_not_shown, 2000)
  t.ok((flat.flattened_errors?.length ?? 0) <= MAX_REPORTED_ERRORS, 'flattened entries come from the reported problems')
  t.match(err.pretty(), /\(and 2000 more errors not shown\)$/)
  const few = await loadError(yml('services:\n- name: s\n'))
  t.notOk('errors_not_shown' in few.toKongBody(false), 'nothing is said when nothing is left out')
})
