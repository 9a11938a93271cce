/**
 * No bundled plugin runs on this node yet: each plugin name with an enabled instance loads with
 * one warning naming the plugin and where its first instance is, in the snapshot, in `config
 * parse`, in the node's log and in `/status/config`; `GET /` lists none as available, from the
 * same set.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadDeclarativeObject } from '../../src/declarative/load.js'
import { BUNDLED_PLUGINS, RUNNING_PLUGINS, bundledPluginSchema } from '../../src/plugins/registry.js'
import { runBin } from '../helpers/cli.js'
import { load, yml } from '../helpers/load.js'
import { eventually, http, startNode } from '../helpers/node.js'

const notRun = (name: string): string => `plugin '${name}' is validated but not run by this node yet: requests pass as if it were absent`

const CONFIG = yml(`services:
- name: orders
  url: http://orders.test
  plugins:
  - name: key-auth
  routes:
  - name: r
    paths: [/orders]
plugins:
- name: cors
- name: jwt
  enabled: false
- name: proxy-cache
  route: r
  config:
    strategy: memory
`)

t.test('each plugin name loads with one warning naming it and where its first enabled instance is', async (t) => {
  const s = await load(CONFIG)
  t.equal(s.entities.plugins?.length, 4, 'every plugin is loaded')
  t.same(
    s.warnings,
    [
      { source: 'kong.yml', path: 'services[0].plugins[0]', message: notRun('key-auth') },
      { source: 'kong.yml', path: 'plugins[0]', message: notRun('cors') },
      { source: 'kong.yml', path: 'plugins[2]', message: notRun('proxy-cache') },
    ],
    'in document order, by path; a disabled plugin runs nowhere and is not mentioned',
  )
  t.same((await load(yml('services:\n- name: s\n  host: s.test\n'))).warnings, [], 'no plugins, no warning')
  const body = await loadDeclarativeObject({ _format_version: '3.0', plugins: [{ name: 'session' }] }, { source: 'POST /config', pluginSchemas: bundledPluginSchema })
  t.same(body.warnings, [{ source: 'POST /config', path: 'plugins[0]', message: notRun('session') }], 'a parsed body: the same')
  const many = await load(yml(`services:\n${[0, 1, 2].map((i) => `- name: s${i}\n  host: s.test\n  plugins:\n  - name: rate-limiting\n    config: {minute: ${i + 1}}\n`).join('')}`))
  t.same(
    many.warnings,
    [{ source: 'kong.yml', path: 'services[0].plugins[0]', message: "plugin 'rate-limiting' is validated but not run by this node yet (3 instances; the first is here): requests pass as if it were absent" }],
    'many instances of one plugin: one warning, counting them',
  )
})

t.test('the registry marks exactly the plugins outside RUNNING_PLUGINS as not run', async (t) => {
  t.ok(BUNDLED_PLUGINS.length >= 29, 'the bundled plugins are registered')
  for (const p of BUNDLED_PLUGINS) t.equal(p.schema.runs === false, !RUNNING_PLUGINS.has(p.name), p.name)
})

t.test('config parse prints the warnings and succeeds', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-not-run-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'kong.yml'), yml('plugins:\n- name: oauth2\n  config:\n    enable_password_grant: true\n'))
  const r = await runBin(['config', 'parse', 'kong.yml'], dir)
  t.equal(r.code, 0, 'exit status 0')
  t.equal(r.stdout, 'parse successful\n')
  t.equal(r.stderr, `kong.yml: warning: plugins[0]: ${notRun('oauth2')}\n`, 'the warning on stderr, with its path')
})

t.test('a node logs the warnings, reports them in /status/config and lists no plugin as available', async (t) => {
  const node = await startNode({ config: yml('plugins:\n- name: bot-detection\n'), workers: 1 })
  t.teardown(() => node.stop())
  const warnings = (): Record<string, unknown>[] => node.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('configuration warning: '))
  t.ok(await eventually(async () => warnings().length === 1), 'one warning logged at start')
  t.match(warnings()[0], { level: 'warn', source: 'kong.yml', path: 'plugins[0]', msg: `configuration warning: ${notRun('bot-detection')}` }, 'with where it is')
  const status = await http(`${node.status}/status/config`)
  t.same(status.body.warnings, [{ source: 'kong.yml', path: 'plugins[0]', message: notRun('bot-detection') }], '/status/config lists it')
  const root = await http(`${node.admin}/`)
  t.same(root.body.plugins, { available_on_server: {}, enabled_in_cluster: ['bot-detection'] }, 'GET / lists no plugin as available')

  const posted = await http(`${node.admin}/config`, { method: 'POST', headers: { 'content-type': 'text/yaml' }, body: yml('plugins:\n- name: redirect\n  config:\n    location: https://example.com\n') })
  t.equal(posted.status, 201, 'POST /config accepts a plugin')
  t.ok(await eventually(async () => warnings().length === 2), 'and the node logs its warning')
  t.match(warnings()[1], { source: 'POST /config', path: 'plugins[0]', msg: `configuration warning: ${notRun('redirect')}` }, 'naming the posted config')
  t.match((await http(`${node.status}/status/config`)).body.warnings, [{ source: 'POST /config', path: 'plugins[0]', message: notRun('redirect') }], '/status/config follows the live config')
})
