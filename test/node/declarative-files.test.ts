// declarative_config naming a directory and a file, on a real node: merged at start, and a
// reload that finds a broken or missing file keeps the last good config, saying why in one line.
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { eventually, http, startNode, type RunningNode } from '../helpers/node.js'
import { load } from '../helpers/load.js'

const SERVICES = '_format_version: "3.0"\nservices:\n- name: s\n  url: http://127.0.0.1:9\n'
const ROUTES = '_format_version: "3.0"\nroutes:\n- name: r\n  service: s\n  paths: [/]\n'
const EXTRA = '_format_version: "3.0"\nconsumers:\n- username: c\n'

const hashOf = async (node: RunningNode): Promise<string> => (await http(`${node.status}/status`)).body.configuration_hash as string
/** The error log lines so far that reject a config. */
const rejections = (node: RunningNode): string[] => node.logs.filter((l) => l.level === 'error' && /^configuration from /.test(String(l.msg))).map((l) => String(l.msg))

t.test('a directory and a file at start; a broken, then a missing file on SIGHUP keep the last good config', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-files-'))
  mkdirSync(join(dir, 'conf.d'))
  writeFileSync(join(dir, 'conf.d', '10-services.yml'), SERVICES)
  writeFileSync(join(dir, 'conf.d', '20-routes.yml'), ROUTES)
  writeFileSync(join(dir, 'extra.yml'), EXTRA)
  const node = await startNode({ dir, workers: 1, env: { KONG_DECLARATIVE_CONFIG: 'conf.d, extra.yml' } })
  t.teardown(() => node.stop())
  const merged = await load(`${SERVICES}routes:\n- name: r\n  service: s\n  paths: [/]\nconsumers:\n- username: c\n`)
  t.equal(await hashOf(node), merged.hash, 'the node serves the merged config, hashed as one file')
  const config = (await http(`${node.status}/status/config`)).body as { source: string; entities: Record<string, number> }
  t.equal(config.source, 'conf.d/10-services.yml, conf.d/20-routes.yml, extra.yml', '/status/config lists the files')
  t.match(config.entities, { services: 1, routes: 1, consumers: 1 })

  writeFileSync(join(dir, 'conf.d', '20-routes.yml'), '_format_version: "3.0"\nroutes: [\n')
  node.child.kill('SIGHUP')
  t.ok(await eventually(async () => rejections(node).length === 1), 'the broken file is rejected')
  t.match(rejections(node)[0], new RegExp(`^configuration from conf\\.d, extra\\.yml rejected: conf\\.d/20-routes\\.yml:3:\\d+: .+; the node keeps its current configuration \\(${merged.hash}\\)$`), 'one line: the file and line')
  t.equal(await hashOf(node), merged.hash, 'the last good config stays live')
  t.match((await http(`${node.status}/status/config`)).body.last_rejected, { source: 'conf.d/20-routes.yml', message: /failed parsing declarative configuration/ })

  writeFileSync(join(dir, 'conf.d', '20-routes.yml'), ROUTES)
  renameSync(join(dir, 'extra.yml'), join(dir, 'extra.yml.off'))
  node.child.kill('SIGHUP')
  t.ok(await eventually(async () => rejections(node).length === 2), 'the missing file is rejected')
  t.equal(rejections(node)[1], `configuration from conf.d, extra.yml rejected: cannot read extra.yml: ENOENT: no such file or directory; the node keeps its current configuration (${merged.hash})`)
  t.equal(await hashOf(node), merged.hash, 'still the last good config')

  renameSync(join(dir, 'extra.yml.off'), join(dir, 'extra.yml'))
  writeFileSync(join(dir, 'conf.d', '30-more.yml'), '_format_version: "3.0"\nconsumers:\n- username: d\n')
  node.child.kill('SIGHUP')
  t.ok(await eventually(async () => (await hashOf(node)) !== merged.hash), 'a good set of files loads again')
  t.match((await http(`${node.status}/status/config`)).body.entities, { consumers: 2 })
})

t.test('a missing file at start: one line, and the node runs without a config, as for any rejected config', async (t) => {
  const node = await startNode({ workers: 1, env: { KONG_DECLARATIVE_CONFIG: '/nonexistent/kong/declarative/kong.yml' } })
  t.teardown(() => node.stop())
  t.same(rejections(node), ['configuration from /nonexistent/kong/declarative/kong.yml rejected: cannot read /nonexistent/kong/declarative/kong.yml: ENOENT: no such file or directory; the node has no configuration'])
  t.equal((await http(`${node.status}/status/ready`)).status, 503, 'not ready')
  t.equal(await node.stop(), 0, 'and it stops as usual')
})
