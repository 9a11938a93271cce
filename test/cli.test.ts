import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { configCommand } from '../src/cli/config-commands.js'
import { runBin, runInProcess } from './helpers/cli.js'
import { load } from './helpers/load.js'

const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-cli-'))
const GOOD = '_format_version: "3.0"\nservices:\n- name: s\n  url: http://example.com\n  routes:\n  - name: r\n    paths: [/]\n'
writeFileSync(join(dir, 'good.yml'), GOOD)
writeFileSync(join(dir, 'bad.yml'), '_format_version: "3.0"\nservices:\n- name: s\n  port: 99999\n  routes:\n  - paths: [nope]\n')
writeFileSync(join(dir, 'broken.yml'), '_format_version: "3.0"\nservices: [\n')
writeFileSync(join(dir, 'config.txt'), GOOD)
writeFileSync(join(dir, 'good.json'), JSON.stringify({ _format_version: '3.0', services: [{ name: 's', url: 'http://example.com', routes: [{ name: 'r', paths: ['/'] }] }] }))

// Argument handling and messages run in-process through runCli; the real binary is run where
// the process itself is the point: its exit status and what reaches its stdout and stderr.
const run = (args: readonly string[]): ReturnType<typeof runInProcess> => runInProcess(args, dir)

t.test('the real binary exits with the status and prints on the streams the command chose', async (t) => {
  const bad = await runBin(['config', 'parse', 'bad.yml'], dir)
  t.equal(bad.code, 1, 'failure: exit 1')
  t.equal(bad.stdout, '')
  t.equal(bad.stderr, (await run(['config', 'parse', 'bad.yml'])).stderr, 'stderr as runCli writes it')
  const schema = await runBin(['config', 'schema'], dir)
  t.equal(schema.code, 0, 'success: exit 0')
  t.equal(schema.stderr, '')
  t.equal(schema.stdout, (await run(['config', 'schema'])).stdout, 'a large document reaches stdout whole before the exit')
})

t.test('config parse prints "parse successful" for a valid file', async (t) => {
  const r = await run(['config', 'parse', 'good.yml'])
  t.equal(r.code, 0)
  t.equal(r.stdout, 'parse successful\n')
})

t.test('config parse lists every error with file, line, column and entity path, then exits 1', async (t) => {
  const r = await run(['config', 'parse', 'bad.yml'])
  t.equal(r.code, 1)
  t.match(r.stderr, /^Error: Failed parsing: 3 errors\n/)
  t.match(r.stderr, 'bad.yml:3:3: services[0].host: required field missing')
  t.match(r.stderr, 'bad.yml:4:3: services[0].port: value should be between 0 and 65535')
  t.match(r.stderr, 'bad.yml:6:13: services[0].routes[0].paths[0]: should start with: / (fixed path) or ~/ (regex path)')
  t.match(r.stderr, "in 'services':\n  - in entry 1 of 'services':", "Kong's pretty form follows")
})

t.test('config parse reports unreadable text with its position', async (t) => {
  const r = await run(['config', 'parse', 'broken.yml'])
  t.equal(r.code, 1)
  t.match(r.stderr, /^Error: Failed parsing:\nbroken\.yml:3:\d+: failed parsing declarative configuration: /)
  const ext = await run(['config', 'parse', 'config.txt'])
  t.match(ext.stderr, 'unknown file type: config.txt. (Accepted types: json, yaml)')
  const missing = await run(['config', 'parse', 'nope.yml'])
  t.match(missing.stderr, 'Error: cannot read nope.yml: ENOENT')
  const none = await run(['config', 'parse'])
  t.equal(none.code, 1)
  t.match(none.stderr, 'Error: expected a declarative configuration file')
})

t.test('config hash prints exactly what loading the file yields, for YAML and JSON alike', async (t) => {
  const yml = await run(['config', 'hash', 'good.yml'])
  const json = await run(['config', 'hash', 'good.json'])
  t.equal(yml.code, 0)
  t.equal(yml.stdout, `${(await load(GOOD)).hash}\n`)
  t.equal(json.stdout, yml.stdout, 'same content, same hash')
})

t.test('config hash --expect: exit 0 when the file hashes as expected, 1 when it drifted', async (t) => {
  const io = () => {
    const out = { stdout: '', stderr: '' }
    return { out, io: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) }, cwd: dir } }
  }
  const hash = (await load(GOOD)).hash
  const other = hash.replace(/^./, (c) => (c === '0' ? '1' : '0'))
  const cases: { desc: string; args: string[]; code: number; stdout: string; stderr: string | RegExp }[] = [
    { desc: 'matching', args: ['good.yml', '--expect', hash], code: 0, stdout: `${hash}\n`, stderr: '' },
    { desc: 'matching, = form', args: ['good.yml', `--expect=${hash}`], code: 0, stdout: `${hash}\n`, stderr: '' },
    { desc: 'drifted', args: ['good.yml', '--expect', other], code: 1, stdout: `${hash}\n`, stderr: `Error: configuration hash ${hash} of good.yml is not the expected ${other}\n` },
    { desc: 'not a hash', args: ['good.yml', '--expect', 'abc'], code: 1, stdout: '', stderr: /--expect takes a configuration hash: 32 lower-case hex digits, got 'abc'/ },
    { desc: 'no value', args: ['good.yml', '--expect'], code: 1, stdout: '', stderr: /got ''/ },
    { desc: 'unknown option', args: ['good.yml', '--yaml'], code: 1, stdout: '', stderr: /unknown option '--yaml' for config hash/ },
    { desc: 'an invalid file still fails as an invalid file', args: ['bad.yml', '--expect', hash], code: 1, stdout: '', stderr: /^Error: Failed parsing: 3 errors/ },
  ]
  for (const c of cases) {
    const { out, io: cli } = io()
    t.equal(await configCommand(['hash', ...c.args], cli), c.code, `${c.desc}: exit status`)
    t.equal(out.stdout, c.stdout, `${c.desc}: stdout`)
    if (typeof c.stderr === 'string') t.equal(out.stderr, c.stderr, `${c.desc}: stderr`)
    else t.match(out.stderr, c.stderr, `${c.desc}: stderr`)
  }
  t.equal((await runBin(['config', 'hash', 'good.yml', '--expect', other], dir)).code, 1, 'the real binary exits 1 on drift')
})

t.test('config parse and hash --json: one JSON document on stdout, nothing on stderr', async (t) => {
  const run = async (args: string[]): Promise<{ code: number; body: Record<string, unknown>; stderr: string }> => {
    let stdout = ''
    let stderr = ''
    const code = await configCommand(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: dir })
    return { code, body: JSON.parse(stdout) as Record<string, unknown>, stderr }
  }
  const loaded = await load(GOOD)
  const parse = await run(['parse', 'good.yml', '--json'])
  t.same(parse, { code: 0, body: { valid: true, configuration_hash: loaded.hash, warnings: [] }, stderr: '' }, 'parse of a valid file')
  const hash = await run(['hash', 'good.yml', '--json', '--expect', loaded.hash])
  t.same(hash.body, { valid: true, configuration_hash: loaded.hash, warnings: [], hashes: loaded.hashes, expected: loaded.hash, matches: true }, 'hash with the group hashes and the expectation')
  t.equal(hash.code, 0)
  const drift = await run(['hash', 'good.yml', '--expect', '0'.repeat(32), '--json'])
  t.same([drift.code, drift.body.matches], [1, false], 'a mismatch exits 1')
  const bad = await run(['parse', 'bad.yml', '--json'])
  t.equal(bad.code, 1, 'an invalid file exits 1')
  t.match(bad.body, { valid: false, errors: [{ source: 'bad.yml', line: 3, column: 3, path: 'services[0].host', message: 'required field missing' }] }, 'errors with file, line, column and path')
  t.equal((bad.body.errors as unknown[]).length, 3, 'every error')
  const broken = await run(['parse', 'broken.yml', '--json'])
  t.match(broken.body, { valid: false, errors: [{ source: 'broken.yml', line: 3, message: /^failed parsing declarative configuration: / }] }, 'unreadable text, located')
  const missing = await run(['hash', 'nope.yml', '--json'])
  t.match(missing.body, { valid: false, errors: [{ source: 'nope.yml', message: /^cannot read nope\.yml: / }] }, 'a missing file')
  t.equal(bad.stderr + broken.stderr + missing.stderr, '', 'stderr stays empty')
})

t.test('config init writes a starter file that parses, and never overwrites', async (t) => {
  const first = await run(['config', 'init', 'starter.yml'])
  t.equal(first.code, 0)
  t.equal((await run(['config', 'parse', 'starter.yml'])).code, 0, 'the starter file is valid')
  const again = await run(['config', 'init', 'starter.yml'])
  t.equal(again.code, 1)
  t.match(again.stderr, `${join(dir, 'starter.yml')} already exists.\nWill not overwrite it.`)
})

t.test('config schema prints a JSON Schema generated from the declarations', async (t) => {
  const r = await run(['config', 'schema'])
  t.equal(r.code, 0)
  const schema = JSON.parse(r.stdout) as { $defs: Record<string, { properties: Record<string, { default?: unknown; enum?: unknown[] }> }> }
  t.same(schema.$defs.services?.properties.port?.default, 80, 'defaults come from the schema')
  t.ok(schema.$defs.plugins?.properties.name?.enum?.includes('key-auth'), 'bundled plugins are listed')
  t.ok(schema.$defs.services?.properties.routes, 'nesting is described')
  await run(['config', 'schema', 'schema.json'])
  t.same(JSON.parse(readFileSync(join(dir, 'schema.json'), 'utf8')), schema, 'written to a file on request')
})

t.test('version, help and unknown commands', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  t.equal((await run(['version'])).stdout, `kong-dbless ${pkg.version}\n`)
  const help = await run(['--help'])
  t.equal(help.code, 0)
  t.equal(help.stdout, '', 'usage goes to stderr, as Kong prints it')
  t.match(help.stderr, /^Usage: kong-dbless COMMAND/)
  const bare = await run([])
  t.equal(bare.code, 1, 'no command at all is an error')
  t.match(bare.stderr, /^Usage: kong-dbless COMMAND/)
  const unknown = await run(['frobnicate'])
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, "Error: unknown command 'frobnicate'")
  t.equal((await run(['config', 'frob'])).code, 1)
  const configHelp = await run(['config', 'help'])
  t.equal(configHelp.code, 0)
  t.match(configHelp.stderr, /^Usage: kong-dbless config COMMAND/)
  const configBare = await run(['config'])
  t.equal(configBare.code, 1, 'config without a command is an error, with the usage')
  t.match(configBare.stderr, /^Usage: kong-dbless config COMMAND/)
})

// Every verb and sub-verb answers --help (or -h) with its own usage on stderr and exit 0, without doing
// anything: `start --help` must not start a node, `quit --help` must not look for one.
const HELP_CASES: ReadonlyArray<{ readonly args: readonly string[]; readonly usage: string; readonly mentions: readonly string[] }> = [
  { args: ['start', '--help'], usage: 'Usage: kong-dbless start [OPTIONS]', mentions: ['-c,--conf', '-p,--prefix'] },
  { args: ['start', '-c', 'missing.conf', '-h'], usage: 'Usage: kong-dbless start [OPTIONS]', mentions: ['-c,--conf'] },
  { args: ['quit', '--help'], usage: 'Usage: kong-dbless quit [OPTIONS]', mentions: ['-t,--timeout', '-w,--wait', '-p,--prefix'] },
  { args: ['reload', '--help'], usage: 'Usage: kong-dbless reload [OPTIONS]', mentions: ['-p,--prefix'] },
  { args: ['health', '--help'], usage: 'Usage: kong-dbless health [OPTIONS]', mentions: ['-p,--prefix'] },
  { args: ['health', '-p', '/nonexistent/prefix', '--help'], usage: 'Usage: kong-dbless health [OPTIONS]', mentions: [] },
  { args: ['drain', '--help'], usage: 'Usage: kong-dbless drain [OPTIONS]', mentions: ['-c,--conf'] },
  { args: ['version', '--help'], usage: 'Usage: kong-dbless version', mentions: [] },
  { args: ['config', '--help'], usage: 'Usage: kong-dbless config COMMAND', mentions: ['parse FILE', 'hash FILE', 'init [FILE]', 'schema [FILE]', 'POST /config', 'GET /config'] },
  { args: ['config', '-h'], usage: 'Usage: kong-dbless config COMMAND', mentions: [] },
  { args: ['config', 'parse', '--help'], usage: 'Usage: kong-dbless config COMMAND', mentions: [] },
  { args: ['config', 'hash', '--help'], usage: 'Usage: kong-dbless config COMMAND', mentions: [] },
  { args: ['config', 'init', 'help-starter.yml', '--help'], usage: 'Usage: kong-dbless config COMMAND', mentions: [] },
  { args: ['config', 'schema', '--help'], usage: 'Usage: kong-dbless config COMMAND', mentions: [] },
  { args: ['config', 'db_import', 'good.yml', '--help'], usage: 'Usage: kong-dbless config COMMAND', mentions: [] },
  { args: ['config', 'db_export', '--help'], usage: 'Usage: kong-dbless config COMMAND', mentions: [] },
]

for (const c of HELP_CASES) {
  t.test(`${c.args.join(' ')} prints its usage on stderr and exits 0`, async (t) => {
    const r = await run(c.args)
    t.equal(r.code, 0)
    t.notOk(r.started, 'no node is started')
    t.equal(r.stdout, '')
    t.ok(r.stderr.startsWith(`${c.usage}\n`), r.stderr)
    for (const m of c.mentions) t.match(r.stderr, m)
  })
}

t.test('config init --help writes nothing', async (t) => {
  t.notOk(existsSync(join(dir, 'help-starter.yml')))
})

// Kong refuses these on a database=off node; this gateway is always one, so they always get Kong's refusal.
const NEEDS_DATABASE: ReadonlyArray<{ readonly args: readonly string[]; readonly kong: string; readonly pointer: RegExp }> = [
  {
    args: ['config', 'db_import', 'good.yml'],
    kong: "Error: 'kong config db_import' only works with a database.\nWhen using database=off, reload your declarative configuration\nusing the /config endpoint.\n",
    pointer: /POST \/config/,
  },
  {
    args: ['config', 'db-import', 'good.yml'],
    kong: "Error: 'kong config db_import' only works with a database.\n",
    pointer: /POST \/config/,
  },
  { args: ['config', 'db_import'], kong: "Error: 'kong config db_import' only works with a database.\n", pointer: /POST \/config/ },
  { args: ['config', 'db_export'], kong: "Error: 'kong config db_export' only works with a database.\n", pointer: /GET \/config/ },
  { args: ['config', 'db-export', 'out.yml'], kong: "Error: 'kong config db_export' only works with a database.\n", pointer: /GET \/config/ },
]

for (const c of NEEDS_DATABASE) {
  t.test(`${c.args.join(' ')} explains that it needs a database and where to go instead`, async (t) => {
    const r = await run(c.args)
    t.equal(r.code, 1)
    t.equal(r.stdout, '')
    t.ok(r.stderr.startsWith(c.kong), r.stderr)
    t.match(r.stderr, c.pointer)
  })
}

t.test('config db_export writes no file', async (t) => {
  t.notOk(existsSync(join(dir, 'out.yml')))
})
