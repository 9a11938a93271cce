// The load job over declarative_config's files and directories: merged, written, saved for a
// restart, and restored from the saved copy (the merged form and the single-text form alike).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { configPaths } from '../../src/declarative/config-files.js'
import { runLoadJob, type JobInput, type JobResult } from '../../src/loader/load-job.js'
import { load } from '../helpers/load.js'

const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-load-files-'))
const SERVICES = '_format_version: "3.0"\nservices:\n- name: s\n  url: http://example.com\n'
const ROUTES = '_format_version: "3.0"\nroutes:\n- name: r\n  service: s\n  paths: [/]\n'
const ONE = '_format_version: "3.0"\nservices:\n- name: s\n  url: http://example.com\nroutes:\n- name: r\n  service: s\n  paths: [/]\n'
mkdirSync(join(dir, 'conf.d'))
writeFileSync(join(dir, 'conf.d', 'a.yml'), SERVICES)
writeFileSync(join(dir, 'conf.d', 'b.yml'), ROUTES)
writeFileSync(join(dir, 'extra.yml'), '_format_version: "3.0"\nconsumers:\n- username: c\n')

let n = 0
async function job(input: JobInput, save = true): Promise<{ result: JobResult; savePath: string }> {
  n++
  const savePath = join(dir, `saved-${n}.json`)
  const result = await runLoadJob({ input, liveHash: undefined, snapshotPath: join(dir, `snapshot-${n}.bin`), ...(save ? { savePath } : {}), respond: false, bodyLimit: 1024 })
  return { result, savePath }
}

t.test('configPaths splits at commas, trims, and resolves against the working directory', async (t) => {
  t.same(configPaths(' conf.d , /etc/kong/extra.yml,, ', '/work'), [
    { path: '/work/conf.d', source: 'conf.d' },
    { path: '/etc/kong/extra.yml', source: '/etc/kong/extra.yml' },
  ])
  t.same(configPaths('kong.yml', '/w'), [{ path: '/w/kong.yml', source: 'kong.yml' }])
})

t.test('a directory and a file load merged, and the saved copy restores the same config', async (t) => {
  const { result, savePath } = await job({ kind: 'files', paths: configPaths('conf.d, extra.yml', dir), source: 'conf.d, extra.yml' })
  const expected = await load(ONE + 'consumers:\n- username: c\n')
  t.match(result, { type: 'loaded', hash: expected.hash })
  const saved = JSON.parse(readFileSync(savePath, 'utf8')) as { source: string; files: { source: string }[] }
  t.equal(saved.source, 'conf.d/a.yml, conf.d/b.yml, extra.yml')
  t.same(saved.files.map((f) => f.source), ['conf.d/a.yml', 'conf.d/b.yml', 'extra.yml'], 'every file is kept')
  const restored = await job({ kind: 'saved', path: savePath }, false)
  t.match(restored.result, { type: 'loaded', hash: expected.hash }, 'the restart serves the merged config')
})

t.test('one file is saved in the single-text form, which restores as before', async (t) => {
  const { result, savePath } = await job({ kind: 'files', paths: configPaths('extra.yml', dir), source: 'extra.yml' })
  t.equal(result.type, 'loaded')
  t.same(Object.keys(JSON.parse(readFileSync(savePath, 'utf8')) as object).sort(), ['format', 'source', 'text'])
  const restored = await job({ kind: 'saved', path: savePath }, false)
  t.match(restored.result, { type: 'loaded', hash: result.type === 'loaded' ? result.hash : '' })
})

t.test('a saved merged copy that lost a file text is corrupt, not half-loaded', async (t) => {
  const path = join(dir, 'bad-saved.json')
  writeFileSync(path, JSON.stringify({ source: 'a.yml, b.yml', files: [{ source: 'a.yml', format: 'yaml', text: SERVICES }, { source: 'b.yml', format: 'yaml' }] }))
  const { result } = await job({ kind: 'saved', path }, false)
  t.match(result, { type: 'invalid', corrupt: 'it does not hold a saved configuration' })
})

t.test('a missing file or a broken one in a directory: rejected with one message naming it, nothing written', async (t) => {
  const missing = await job({ kind: 'files', paths: configPaths('conf.d, gone.yml', dir), source: 'conf.d, gone.yml' })
  t.match(missing.result, { type: 'invalid', rejection: { source: 'gone.yml', message: 'failed parsing declarative configuration: cannot read gone.yml: ENOENT: no such file or directory', errorsTotal: 1 } })
  t.notOk(existsSync(missing.savePath), 'nothing saved')
  mkdirSync(join(dir, 'broken.d'))
  writeFileSync(join(dir, 'broken.d', 'a.yml'), SERVICES)
  writeFileSync(join(dir, 'broken.d', 'b.yml'), ROUTES.replace('service: s', 'service: nowhere'))
  const broken = await job({ kind: 'files', paths: configPaths('broken.d', dir), source: 'broken.d' })
  t.match(broken.result, { type: 'invalid', rejection: { source: 'broken.d/a.yml, broken.d/b.yml', errors: [{ source: 'broken.d/b.yml', line: 4, path: 'routes[0].service', message: /invalid reference 'service: nowhere'/ }] } })
})
