import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { envName, readEnvSettings } from '../../src/conf/env-settings.js'
import { ConfError, loadConf } from '../../src/conf/settings.js'
import { CLI, runBin } from '../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-env-'))
chmodSync(dir, 0o755)
writeFileSync(join(dir, 'one-newline'), 'debug\n')
writeFileSync(join(dir, 'many-newlines'), 'warn\r\n\n\n')
writeFileSync(join(dir, 'inner-newline'), 'a\nb')
writeFileSync(join(dir, 'empty'), '')
mkdirSync(join(dir, 'a-directory'))
symlinkSync('loop-b', join(dir, 'loop-a'))
symlinkSync('loop-a', join(dir, 'loop-b'))
spawnSync('mkfifo', [join(dir, 'a-fifo')])
const secret = join(dir, 'root-only')
writeFileSync(secret, 'debug\n', { mode: 0o600 })
const root = process.getuid?.() === 0

t.test('KONG_<NAME> and KONG_<NAME>_FILE', async (t) => {
  t.equal(envName('declarative_config'), 'KONG_DECLARATIVE_CONFIG')
  const cases = [
    { desc: 'the variable itself', env: { KONG_LOG_LEVEL: 'info' }, want: { log_level: 'info' } },
    { desc: 'an empty variable is a value', env: { KONG_LOG_LEVEL: '' }, want: { log_level: '' } },
    { desc: 'a file, its trailing newline dropped', env: { KONG_LOG_LEVEL_FILE: join(dir, 'one-newline') }, want: { log_level: 'debug' } },
    { desc: 'every trailing newline dropped, as $(< file) does', env: { KONG_LOG_LEVEL_FILE: join(dir, 'many-newlines') }, want: { log_level: 'warn' } },
    { desc: 'inner newlines kept', env: { KONG_PREFIX_FILE: join(dir, 'inner-newline') }, want: { prefix: 'a\nb' } },
    { desc: 'an empty file is an empty value', env: { KONG_PREFIX_FILE: join(dir, 'empty') }, want: { prefix: '' } },
    { desc: 'a relative path from cwd', env: { KONG_LOG_LEVEL_FILE: 'one-newline' }, want: { log_level: 'debug' } },
    { desc: 'other variables ignored', env: { KONG_UNKNOWN_FILE: '/nope', OTHER: 'x' }, want: {} },
    // docker-kong's file_env tests `[ "${!var:-}" ]`: an empty variable counts as not set.
    { desc: 'an empty _FILE is not set', env: { KONG_LOG_LEVEL_FILE: '' }, want: {} },
    { desc: 'an empty _FILE leaves the variable', env: { KONG_LOG_LEVEL: 'info', KONG_LOG_LEVEL_FILE: '' }, want: { log_level: 'info' } },
    { desc: 'an empty variable yields to its _FILE', env: { KONG_LOG_LEVEL: '', KONG_LOG_LEVEL_FILE: join(dir, 'one-newline') }, want: { log_level: 'debug' } },
  ]
  for (const c of cases) t.same(readEnvSettings(['log_level', 'prefix'], c.env, dir), { values: c.want, problems: [] }, c.desc)
})

t.test('a variable that cannot be used is one line naming it, the path and why', async (t) => {
  const cases = [
    { desc: 'both set', env: { KONG_PREFIX: 'x', KONG_PREFIX_FILE: 'y' }, want: 'both KONG_PREFIX and KONG_PREFIX_FILE are set (but are exclusive)' },
    { desc: 'missing', env: { KONG_PREFIX_FILE: join(dir, 'nope') }, want: `KONG_PREFIX_FILE: cannot read ${join(dir, 'nope')}: no such file (ENOENT)` },
    { desc: 'a directory', env: { KONG_PREFIX_FILE: join(dir, 'a-directory') }, want: `KONG_PREFIX_FILE: cannot read ${join(dir, 'a-directory')}: is a directory (EISDIR)` },
    { desc: 'under a file', env: { KONG_PREFIX_FILE: 'empty/x' }, want: 'KONG_PREFIX_FILE: cannot read empty/x: a part of the path is not a directory (ENOTDIR)' },
    { desc: 'a symlink loop', env: { KONG_PREFIX_FILE: 'loop-a' }, want: 'KONG_PREFIX_FILE: cannot read loop-a: too many symbolic links (ELOOP)' },
    // Read as a regular file or not at all: a FIFO would block the node (and `health`) forever,
    // a device would be read without end.
    { desc: 'a FIFO', env: { KONG_PREFIX_FILE: join(dir, 'a-fifo') }, want: `KONG_PREFIX_FILE: cannot read ${join(dir, 'a-fifo')}: not a regular file (a FIFO)` },
    { desc: 'a device', env: { KONG_PREFIX_FILE: '/dev/zero' }, want: 'KONG_PREFIX_FILE: cannot read /dev/zero: not a regular file (a character device)' },
    { desc: 'another failure keeps its own message', env: { KONG_PREFIX_FILE: 'bad\0name' }, want: /^KONG_PREFIX_FILE: cannot read bad\0name: .*\(ERR_INVALID_ARG_VALUE\)$/ },
  ]
  for (const c of cases) {
    const got = readEnvSettings(['prefix'], c.env, dir)
    t.same(got.values, {}, `${c.desc}: no value`)
    t.match(got.problems, [c.want], c.desc)
    t.equal(got.problems.length, 1, `${c.desc}: one line`)
  }
  const several = readEnvSettings(['log_level', 'prefix'], { KONG_LOG_LEVEL_FILE: 'nope', KONG_PREFIX_FILE: 'nope' }, dir)
  t.equal(several.problems.length, 2, 'every unusable variable is listed')
})

t.test('a file the process may not read', { skip: root ? false : 'not root: checked in-process below' }, async (t) => {
  // Root reads any file: the check runs as nobody, through the built CLI (`health` loads the
  // settings). `env -i` keeps tap's coverage hooks, which would write in the worktree, out of it.
  const child = spawnSync('env', ['-i', `PATH=${process.env.PATH}`, `KONG_LOG_LEVEL_FILE=${secret}`, process.execPath, CLI, 'health'], { cwd: dir, uid: 65534, gid: 65534, encoding: 'utf8' })
  const res = { code: child.status, stderr: child.stderr }
  t.equal(res.code, 1)
  t.equal(res.stderr, `Error: KONG_LOG_LEVEL_FILE: cannot read ${secret}: permission denied (EACCES)\n`)
})

t.test('a file the process may not read, in-process', { skip: root ? 'root reads any file: checked as nobody above' : false }, async (t) => {
  t.same(readEnvSettings(['log_level'], { KONG_LOG_LEVEL_FILE: secret }, dir).problems, [`KONG_LOG_LEVEL_FILE: cannot read ${secret}: permission denied (EACCES)`])
})

t.test('loadConf takes KONG_*_FILE over the conf file, and refuses to start on a bad one', async (t) => {
  writeFileSync(join(dir, 'kong.conf'), 'log_level = error\n')
  t.equal(loadConf({ env: { KONG_LOG_LEVEL_FILE: 'one-newline' }, confPath: 'kong.conf', cwd: dir }).log_level, 'debug')
  t.throws(() => loadConf({ env: { KONG_DECLARATIVE_CONFIG_FILE: 'nope' }, cwd: dir }), new ConfError([`KONG_DECLARATIVE_CONFIG_FILE: cannot read nope: no such file (ENOENT)`]))
})

t.test('a node given a missing KONG_*_FILE prints one line, exits 1 and writes nothing', async (t) => {
  const prefix = join(dir, 'prefix')
  const res = await runBin(['start'], dir, { PATH: process.env.PATH, KONG_PREFIX: prefix, KONG_DECLARATIVE_CONFIG_FILE: '/run/secrets/kong.yml' })
  t.equal(res.code, 1)
  t.equal(res.stderr, 'Error: KONG_DECLARATIVE_CONFIG_FILE: cannot read /run/secrets/kong.yml: no such file (ENOENT)\n')
  t.equal(res.stdout, '')
  t.notOk(existsSync(prefix), 'the prefix is not created')
})
