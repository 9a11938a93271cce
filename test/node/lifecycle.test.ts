import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { CliIo } from '../../src/cli/io.js'
import { healthCommand, reloadCommand, startCommand } from '../../src/cli/node-commands.js'
import { CLI, runBin } from '../helpers/cli.js'
import { eventually, freePort, http, startNode, within } from '../helpers/node.js'

const A = '_format_version: "3.0"\nservices:\n- name: a\n  host: a.example\n'
const B = '_format_version: "3.0"\nservices:\n- name: b\n  host: b.example\n'

const hashOf = async (url: string): Promise<string> => (await http(`${url}/status`)).body.configuration_hash as string

/** Runs a node command in-process with its own copy of `env`, capturing what it prints (its exit status and streams are what the binary would give). */
async function inProcess(
  command: (args: readonly string[], io: CliIo, env: NodeJS.ProcessEnv) => number | Promise<number>,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await command(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd }, { ...env })
  return { code, stdout, stderr }
}

// One node's life, each step on the node the step before left: a second node refused its prefix,
// a worker crash, reloads and CLI steering until `quit`, then a restart from what it persisted.
t.test('one node from start to restart', async (t) => {
  const node = await startNode({ config: A, workers: 2 })
  t.teardown(() => node.stop())
  let lastGood: string | undefined

  t.test('two nodes cannot share a prefix', async (t) => {
    await t.rejects(startNode({ dir: node.dir, config: A, workers: 1 }), /already running/)
  })

  t.test('a crashed worker is replaced and gets the live config', async (t) => {
    const pids = (await http(`${node.admin}/`)).body.pids.workers as number[]
    process.kill(pids[0], 'SIGKILL')
    t.ok(
      await eventually(async () => {
        const now = (await http(`${node.admin}/`)).body.pids.workers as number[]
        return now.length === 2 && !now.includes(pids[0])
      }),
      'a new worker takes its place',
    )
    t.ok(await eventually(async () => (await http(`${node.status}/status/ready`)).status === 200), 'and serves the live config')
    t.equal((await http(`${node.status}/status`)).body.memory.workers_lua_vms.length, 2)
    t.ok(node.logs.some((l) => l.level === 'error' && String(l.msg).includes('worker process exited unexpectedly')), 'the crash is logged')
  })

  t.test('SIGHUP and `reload` re-read the file; a broken file keeps the last good config', async (t) => {
    const before = await hashOf(node.status)
    writeFileSync(join(node.dir, 'kong.yml'), B)
    const reload = await inProcess(reloadCommand, [], node.dir, {})
    t.equal(reload.code, 1, 'reload needs the prefix')
    const env = { ...process.env, KONG_PREFIX: node.prefix }
    const ok = await runBin(['reload'], node.dir, env)
    t.equal(ok.code, 0)
    t.equal(ok.stdout, 'Kong reloaded\n')
    t.ok(await eventually(async () => (await hashOf(node.status)) !== before), 'the new file is served')
    const afterB = await hashOf(node.status)
    writeFileSync(join(node.dir, 'kong.yml'), 'services: [\n')
    node.child.kill('SIGHUP')
    t.ok(await eventually(async () => (await http(`${node.status}/status/config`)).body.last_rejected !== null), 'the broken file is rejected')
    t.equal(await hashOf(node.status), afterB, 'and the last good config stays')
    lastGood = afterB
    const health = await runBin(['health'], node.dir, env)
    t.equal(health.code, 0)
    t.equal(health.stdout, `nginx.......running\n\nKong is healthy at ${node.prefix}\n`)
    const drain = await runBin(['drain'], node.dir, { ...env, KONG_STATUS_LISTEN: node.status.replace('http://', '') })
    t.equal(drain.stdout, "Kong's status successfully changed to 'draining'\n")
    t.equal((await http(`${node.status}/status/ready`)).status, 503)
    const quit = await runBin(['quit'], node.dir, env)
    t.equal(quit.code, 0)
    t.equal(quit.stdout, 'Kong stopped\n')
    t.equal(await node.stop(), 0, 'the node exited 0 after quit')
    const gone = await inProcess(healthCommand, [], node.dir, env)
    t.equal(gone.code, 1)
    t.equal(gone.stderr, `Error: Kong is not running at ${node.prefix}\n`)
    const none = await inProcess(healthCommand, ['-p', join(node.dir, 'nope')], node.dir, env)
    t.equal(none.stderr, `Error: no such prefix: ${join(node.dir, 'nope')}\n`)
  })

  t.test('the last good config persists in the prefix; a restart without a file serves it', async (t) => {
    t.ok(lastGood, 'the node before had a last good config')
    const second = await startNode({ dir: node.dir, workers: 1, env: { KONG_DECLARATIVE_CONFIG: '' } })
    t.teardown(() => second.stop())
    t.equal(await hashOf(second.status), lastGood, 'same hash after restart')
    t.ok(second.logs.some((l) => l.msg === 'found persisted config in the prefix, loading...'), 'says it restored the persisted config')
    t.ok(await eventually(async () => (await http(`${second.status}/status/ready`)).status === 200), 'and ready')
    t.equal(await second.stop('SIGTERM'), 0, 'SIGTERM exits 0')
  })
})

/** Runs `start` in-process with a node runner that only records it was called. */
async function startInProcess(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string; started: boolean }> {
  let started = false
  const run = (a: readonly string[], io: CliIo, e: NodeJS.ProcessEnv): Promise<number> =>
    startCommand(a, io, e, () => {
      started = true
      return Promise.resolve(0)
    })
  const { code, stderr } = await inProcess(run, args, cwd, env)
  return { code, stderr, started }
}

t.test('settings: env over kong.conf over defaults; bad settings are all listed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-conf-'))
  const missing = await startInProcess(['-c', 'kong.conf'], dir, { KONG_LOG_LEVEL: 'debug' })
  t.same([missing.code, missing.started], [1, false], 'a missing -c file stops the start')
  t.match(missing.stderr, /cannot read configuration file kong\.conf: ENOENT/, 'and says so')
  writeFileSync(join(dir, 'kong.conf'), '# settings\nmem_cache_size = 64m\nnginx_worker_processes = 1   # one is enough\nlog_level = warn\n')
  const withConf = await startNode({ dir, config: A, args: ['-c', 'kong.conf'], env: { KONG_LOG_LEVEL: 'info' } })
  t.teardown(() => withConf.stop())
  const root = (await http(`${withConf.admin}/`)).body
  t.equal(root.configuration.mem_cache_size, '64m', 'from kong.conf')
  t.equal(root.configuration.log_level, 'info', 'env wins over kong.conf')
  t.equal(root.pids.workers.length, 2, 'KONG_NGINX_WORKER_PROCESSES=2 beats kong.conf (1)')
  t.equal((await http(`${withConf.status}/status`)).body.memory.lua_shared_dicts.kong_db_cache.capacity, '64.00 MiB', 'mem_cache_size sizes kong_db_cache')
  const bad = await startInProcess([], dir, { KONG_DATABASE: 'postgres', KONG_PROXY_LISTEN: 'nope', KONG_MEM_CACHE_SIZE: 'lots' })
  t.same([bad.code, bad.started], [1, false])
  t.match(bad.stderr, 'database = postgres is not supported')
  t.match(bad.stderr, 'proxy_listen must be of form: [off] | <ip>:<port>')
  t.match(bad.stderr, "mem_cache_size must be a size such as 128m or 512k, got 'lots'")

  // Its settings read, the node ends in a drain.
  t.test('a second stop signal during a drain stops at once', async (t) => {
    const node = withConf
    // A request head that never ends keeps the drain waiting for its whole bound.
    const socket = connect(node.ports.proxy, '127.0.0.1')
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n')
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.on('error', () => undefined)
    node.child.kill('SIGQUIT')
    t.ok(await eventually(async () => node.logs.some((l) => l.signal === 'SIGQUIT')), 'the drain began')
    const code = node.stop('SIGTERM')
    const outcome = await within(code.then((c) => `exit ${c}`), 15_000, 'still draining after 15 s')
    t.equal(outcome, 'exit 0')
    await closed
    t.ok(await eventually(async () => node.logs.some((l) => l.msg === 'stopping now: in-flight requests are cut off')), 'and says so')
  })
})

t.test('a stop during the first load ends the startup cleanly and releases the prefix', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-node-'))
  // Big enough that its load is still running when the signal arrives.
  const services = Array.from({ length: 20_000 }, (_, i) => `- name: s${i}\n  host: h${i}.example\n  routes: [{paths: [/p${i}]}]\n`).join('')
  writeFileSync(join(dir, 'kong.yml'), `_format_version: "3.0"\nservices:\n${services}`)
  const prefix = join(dir, 'prefix')
  const child = spawn(process.execPath, [CLI, 'start'], {
    cwd: dir,
    env: {
      ...process.env,
      KONG_PREFIX: prefix,
      KONG_DECLARATIVE_CONFIG: 'kong.yml',
      KONG_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
      KONG_ADMIN_LISTEN: 'off',
      KONG_STATUS_LISTEN: 'off',
      KONG_NGINX_WORKER_PROCESSES: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.ok(await eventually(async () => existsSync(join(prefix, 'pids', 'nginx.pid')), 10_000), 'the prefix is claimed')
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'exit status 0')
  t.notOk(out.includes('kong-dbless started'), 'the startup was cut short')
  t.match(out, /stopping: no new connections/)
  t.match(out, /"msg":"stopped"/)
  t.notOk(existsSync(join(prefix, 'pids', 'nginx.pid')), 'no stale pid file')
  t.notOk(existsSync(join(prefix, '.kong_env')), 'no stale marker')
})
