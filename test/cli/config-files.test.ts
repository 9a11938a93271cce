// `config parse` and `config hash` over several files and directories, as declarative_config
// reads them: real files in a temporary directory, the verbs run in-process (one real process
// checks the exit status).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { configCommand } from '../../src/cli/config-commands.js'
import { runBin } from '../helpers/cli.js'
import { load } from '../helpers/load.js'

const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-cli-files-'))
const SERVICES = '_format_version: "3.0"\nservices:\n- name: s\n  url: http://example.com\n'
const ROUTES = '_format_version: "3.0"\nroutes:\n- name: r\n  service: s\n  paths: [/]\n'
const ONE = '_format_version: "3.0"\nservices:\n- name: s\n  url: http://example.com\nroutes:\n- name: r\n  service: s\n  paths: [/]\n'
writeFileSync(join(dir, 'services.yml'), SERVICES)
writeFileSync(join(dir, 'routes.yml'), ROUTES)
// A directory: read in name order, hidden files, other extensions and subdirectories left alone.
mkdirSync(join(dir, 'conf.d', 'nested'), { recursive: true })
writeFileSync(join(dir, 'conf.d', '10-services.yml'), SERVICES)
writeFileSync(join(dir, 'conf.d', '20-routes.json'), JSON.stringify({ _format_version: '3.0', routes: [{ name: 'r', service: 's', paths: ['/'] }] }))
writeFileSync(join(dir, 'conf.d', '.hidden.yml'), 'not: [valid\n')
writeFileSync(join(dir, 'conf.d', 'README.md'), '# notes\n')
writeFileSync(join(dir, 'conf.d', 'nested', 'x.yml'), 'not: [valid\n')
// A directory with a broken file.
mkdirSync(join(dir, 'broken.d'))
writeFileSync(join(dir, 'broken.d', 'a.yml'), SERVICES)
writeFileSync(join(dir, 'broken.d', 'b.yml'), '_format_version: "3.0"\nroutes: [\n')
mkdirSync(join(dir, 'empty.d'))
writeFileSync(join(dir, 'dup.yml'), '_format_version: "3.0"\nservices:\n- name: other\n  url: http://other.test\n- name: s\n  url: http://example.com\n')

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await configCommand(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: dir })
  return { code, stdout, stderr }
}

t.test('several files and a directory hash as the same entities in one file', async (t) => {
  const hash = (await load(ONE)).hash
  t.same(await run('hash', 'services.yml', 'routes.yml'), { code: 0, stdout: `${hash}\n`, stderr: '' }, 'two FILE arguments')
  t.same(await run('hash', 'conf.d'), { code: 0, stdout: `${hash}\n`, stderr: '' }, 'a directory (YAML and JSON, hidden and other files ignored)')
  t.same(await run('hash', 'conf.d', '--expect', hash), { code: 0, stdout: `${hash}\n`, stderr: '' }, '--expect after a directory')
  t.same(await run('parse', 'services.yml', 'routes.yml'), { code: 0, stdout: 'parse successful\n', stderr: '' })
  const routesFirst = await run('parse', 'routes.yml', 'services.yml')
  t.equal(routesFirst.code, 0, 'a reference may point at a later file')
  const json = await run('hash', 'services.yml', 'routes.yml', '--json')
  t.match(JSON.parse(json.stdout), { valid: true, configuration_hash: hash })
})

t.test('errors name their own file and line; exit 1', async (t) => {
  const broken = await run('parse', 'broken.d')
  t.equal(broken.code, 1)
  t.match(broken.stderr, /^Error: Failed parsing:\nbroken\.d\/b\.yml:3:\d+: failed parsing declarative configuration: /)
  const dup = await run('parse', 'services.yml', 'dup.yml')
  t.equal(dup.code, 1)
  t.equal(
    dup.stderr.split('\n')[1],
    "dup.yml:5:3: services[1].name: uniqueness violation: 'services' entity with name set to 's' already declared (first declared at services.yml:3:3 (services[0].name))",
    'a duplicate across files names both files and lines',
  )
  const json = await run('parse', 'services.yml', 'dup.yml', '--json')
  t.match(JSON.parse(json.stdout), { valid: false, errors: [{ source: 'dup.yml', line: 5, path: 'services[1].name', explanation: /services\.yml:3:3/ }] })
  t.equal(json.code, 1)
})

t.test('what cannot be read is one line naming it', async (t) => {
  const cases: { args: string[]; stderr: string }[] = [
    { args: ['parse', 'nope.yml'], stderr: 'Error: cannot read nope.yml: ENOENT: no such file or directory\n' },
    { args: ['parse', 'services.yml', 'gone.d'], stderr: 'Error: cannot read gone.d: ENOENT: no such file or directory\n' },
    { args: ['hash', 'empty.d'], stderr: 'Error: cannot read empty.d: it is a directory with no .yml, .yaml or .json file\n' },
  ]
  for (const c of cases) t.same(await run(...c.args), { code: 1, stdout: '', stderr: c.stderr }, c.args.join(' '))
  const json = await run('parse', 'nope.yml', '--json')
  t.same(JSON.parse(json.stdout), { valid: false, errors: [{ source: 'nope.yml', message: 'cannot read nope.yml: ENOENT: no such file or directory' }] })
})

t.test('the real binary exits 1 for a directory with a broken file, 0 for a good one', async (t) => {
  const bad = await runBin(['config', 'parse', 'broken.d'], dir)
  t.equal(bad.code, 1)
  t.match(bad.stderr, 'broken.d/b.yml:3:')
  t.equal((await runBin(['config', 'parse', 'conf.d'], dir)).code, 0)
})
