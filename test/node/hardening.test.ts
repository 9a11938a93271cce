// Regression tests for faults and hostile input found by probing a running node: each reproduces
// one probe over real processes, sockets and (as root) a real full filesystem.
import { execFileSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runBin } from '../helpers/cli.js'
import { eventually, http, startNode, within } from '../helpers/node.js'

const A = '_format_version: "3.0"\nservices:\n- name: a\n  host: a.example\n'
const B = '_format_version: "3.0"\nservices:\n- name: b\n  host: b.example\n'
const yaml = { 'Content-Type': 'application/yaml' }

const hashOf = async (url: string): Promise<string> => (await http(`${url}/status`)).body.configuration_hash as string

/** Mounts a small tmpfs at `dir` when running as root; undefined with the reason otherwise. */
function mountTmpfs(dir: string, size: string): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root: cannot mount a small filesystem to fill'
  mkdirSync(dir, { recursive: true })
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' })
    return undefined
  } catch {
    return 'mount -t tmpfs is not permitted here'
  }
}

/** Fills the filesystem holding `dir` until a write fails. */
function fill(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w')
  const block = Buffer.alloc(64 * 1024, 1)
  try {
    for (;;) writeFileSync(fd, block)
  } catch {
    // full
  } finally {
    closeSync(fd)
  }
}

/**
 * Sends a POST whose body arrives in two parts, the second when `release` resolves. `arrived`
 * resolves once the node answered its head with 100 Continue: it took the request in, so a
 * request sent after that arrived later, even over an already open keep-alive connection.
 */
function slowPost(url: string, body: string, release: Promise<void>): { arrived: Promise<void>; answer: Promise<{ status: number; hash: string | undefined; body: string }> } {
  let arrived!: () => void
  const head = new Promise<void>((resolve) => (arrived = resolve))
  const answer = new Promise<{ status: number; hash: string | undefined; body: string }>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...yaml, 'Content-Length': Buffer.byteLength(body), Expect: '100-continue' } }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, hash: res.headers['x-kong-configuration-hash'] as string | undefined, body: text }))
    })
    req.on('error', reject)
    req.on('continue', () => {
      const half = Math.floor(body.length / 2)
      req.write(body.slice(0, half))
      arrived()
      void release.then(() => req.end(body.slice(half)))
    })
    req.flushHeaders()
  })
  return { arrived: head, answer }
}

// Probes that leave the node serving share one node, in an order where each finds what it needs:
// the prefix as the node created it first, a file-backed declarative_config before the pushes,
// the frozen primary last. Each reads the hash it starts from.
t.test('probes on one running node', async (t) => {
  const node = await startNode({ config: `${A}consumers:\n- username: u\n  keyauth_credentials: [{key: secret}]\n` })
  t.teardown(() => node.stop())

  t.test('the prefix the node creates is 0700 and the saved config, which holds credentials, 0600', async (t) => {
    t.equal(statSync(node.prefix).mode & 0o777, 0o700)
    t.equal(statSync(join(node.prefix, 'dbless.config.json')).mode & 0o777, 0o600)
    t.equal(statSync(join(node.prefix, 'snapshots')).mode & 0o777, 0o700)
    for (const f of ['node_id', 'pids/nginx.pid', '.kong_env']) t.equal(statSync(join(node.prefix, f)).mode & 0o777, 0o600, f)
    for (const f of readdirSync(join(node.prefix, 'snapshots'))) t.equal(statSync(join(node.prefix, 'snapshots', f)).mode & 0o777, 0o600, f)
  })

  t.test('__proto__ cannot smuggle entities past the saved copy, in any body form', async (t) => {
    const before = await hashOf(node.status)
    const saved = readFileSync(join(node.prefix, 'dbless.config.json'), 'utf8')
    const smuggle = JSON.stringify({ _format_version: '3.0' }).replace('}', ',"__proto__":{"services":[{"name":"evil","host":"evil.example"}]}}')
    for (const body of [smuggle, '{"__proto__":{"_format_version":"3.0","services":[{"host":"x"}]}}']) {
      const res = await http(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })
      t.equal(res.status, 400)
      t.match(res.body.fields.error, "the key '__proto__' is not allowed")
    }
    const query = await http(`${node.admin}/config?__proto__=x`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"_format_version":"3.0"}' })
    t.equal(query.status, 400, 'nor as a query parameter')
    t.match(query.body.fields.error, "the parameter '__proto__' is not allowed")
    t.equal(await hashOf(node.status), before, 'nothing went live')
    t.equal(readFileSync(join(node.prefix, 'dbless.config.json'), 'utf8'), saved, 'nothing was saved')
    t.equal((await http(`${node.admin}/services/evil`)).status, 404)
  })

  t.test('invalid UTF-8 and deep JSON in a POST body are refused with where and why', async (t) => {
    const body = Buffer.concat([Buffer.from('_format_version: "3.0"\nconsumers:\n- username: k'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')])
    const utf8 = await http(`${node.admin}/config`, { method: 'POST', headers: yaml, body })
    t.equal(utf8.status, 400)
    t.match(utf8.body.details, [{ line: 3, message: /input is not UTF-8 text \(binary data at byte 47\)/ }])
    const deep = `{"_format_version":"3.0","services":[{"host":"x","tags":${'['.repeat(10_000)}${']'.repeat(10_000)}}]}`
    const res = await http(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: deep })
    t.equal(res.status, 400, 'not a 500')
    t.match(res.body.fields.error, 'nesting is deeper than 64 levels')
    t.equal((await http(`${node.status}/status`)).status, 200)
  })

  t.test('a config with a hundred thousand problems gets a bounded answer', async (t) => {
    const services = JSON.stringify({ _format_version: '3.0', services: Array.from({ length: 50_000 }, () => ({ port: 99999 })) })
    const res = await http(`${node.admin}/config`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: services })
    t.equal(res.status, 400)
    t.equal(res.body.errors_not_shown, 99_000, 'how many more there were')
    t.equal(res.body.details.length, 1000)
    const status = JSON.stringify((await http(`${node.status}/status/config`)).body)
    t.ok(status.length < 300_000, `/status/config stays small (${status.length} bytes)`)
    t.match(JSON.parse(status).last_rejected, { errors_total: 100_000 })
  })

  t.test('declarative_config must be a regular file: /dev/zero and a FIFO are refused, and the node stays responsive', async (t) => {
    const before = await hashOf(node.status)
    rmSync(join(node.dir, 'kong.yml'))
    symlinkSync('/dev/zero', join(node.dir, 'kong.yml'))
    node.child.kill('SIGHUP')
    t.ok(await eventually(async () => /character device/.test(String((await http(`${node.status}/status/config`)).body.last_rejected?.message))), '/dev/zero is refused')
    rmSync(join(node.dir, 'kong.yml'))
    execFileSync('mkfifo', [join(node.dir, 'kong.yml')])
    node.child.kill('SIGHUP')
    t.ok(await eventually(async () => /FIFO/.test(String((await http(`${node.status}/status/config`)).body.last_rejected?.message))), 'a FIFO is refused, not waited on')
    t.equal(await hashOf(node.status), before, 'the live config is untouched')
    rmSync(join(node.dir, 'kong.yml'))
    writeFileSync(join(node.dir, 'kong.yml'), B)
    node.child.kill('SIGHUP')
    t.ok(await eventually(async () => (await hashOf(node.status)) !== before), 'a regular file loads again')
  })

  t.test('a config accepted later wins over one accepted earlier whose body came in last', async (t) => {
    let release!: () => void
    const released = new Promise<void>((r) => (release = r))
    const slow = slowPost(`${node.admin}/config`, B, released)
    await slow.arrived
    const small = await http(`${node.admin}/config`, { method: 'POST', headers: yaml, body: A.replace('a.example', 'c.example') })
    t.equal(small.status, 201, 'the later request loads')
    const smallHash = small.headers.get('x-kong-configuration-hash')
    t.equal(await hashOf(node.status), smallHash, 'its hash is live, as its answer says')
    release()
    const late = await slow.answer
    t.equal(late.status, 409, 'the earlier request is not applied over it')
    t.match(JSON.parse(late.body), { configuration_hash: smallHash, message: /sent after this one is already live/ })
    t.equal(late.hash, smallHash)
    t.equal(await hashOf(node.status), smallHash)
  })

  t.test('a config that cannot be saved changes nothing: same hash everywhere, still ready, the answer says why', async (t) => {
    const before = await hashOf(node.status)
    const cache = join(node.prefix, 'dbless.config.json')
    rmSync(cache)
    mkdirSync(join(cache, 'blocked'), { recursive: true })
    const res = await http(`${node.admin}/config`, { method: 'POST', headers: yaml, body: B })
    t.equal(res.status, 500)
    t.match(res.body.message, /^could not save the configuration: .*; the node keeps its current configuration \([0-9a-f]{32}\)$/)
    t.equal(res.headers.get('x-kong-configuration-hash'), before, 'the answer names the hash that is live')
    t.equal(await hashOf(node.status), before, 'the primary did not switch')
    t.equal((await http(`${node.status}/status/ready`)).status, 200, 'and stays ready')
    t.match((await http(`${node.status}/status/config`)).body.last_rejected, { source: 'POST /config', message: /could not save the configuration/ })
    const pids = (await http(`${node.admin}/`)).body.pids.workers as number[]
    process.kill(pids[0], 'SIGKILL')
    t.ok(
      await eventually(async () => {
        const now = (await http(`${node.admin}/`)).body.pids.workers as number[]
        return !now.includes(pids[0]) && now.length === 2 && (await http(`${node.status}/status/ready`)).status === 200
      }),
      'a replaced worker serves the same live config',
    )
    t.equal(await hashOf(node.status), before)
    t.same(readdirSync(node.prefix).filter((f) => f.includes('.tmp')), [], 'no temporary file is left behind')
    rmSync(cache, { recursive: true })
    t.equal((await http(`${node.admin}/config`, { method: 'POST', headers: yaml, body: B })).status, 201, 'once the file can be written, the config loads')
  })

  t.test('ports in use: one line per taken port, exit 1, the prefix left as it was', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-ports-'))
    const second = await runBin(['start'], dir, {
      ...process.env,
      KONG_PREFIX: join(dir, 'prefix'),
      KONG_PROXY_LISTEN: `127.0.0.1:${node.ports.proxy}`,
      KONG_ADMIN_LISTEN: `127.0.0.1:${node.ports.admin}`,
      KONG_STATUS_LISTEN: `127.0.0.1:${node.ports.status}`,
      KONG_NGINX_WORKER_PROCESSES: '1',
    })
    t.equal(second.code, 1)
    const lines = second.stderr.trim().split('\n').map((l) => JSON.parse(l) as { msg: string })
    t.same(
      lines.map((l) => l.msg),
      [
        `proxy_listen 127.0.0.1:${node.ports.proxy}: address already in use`,
        `admin_listen 127.0.0.1:${node.ports.admin}: address already in use`,
        `status_listen 127.0.0.1:${node.ports.status}: address already in use`,
      ],
    )
    t.notOk(existsSync(join(dir, 'prefix')), 'nothing was written')
    t.equal((await http(`${node.status}/status`)).status, 200, 'the first node is unharmed')
  })

  t.test('workers accept proxy connections themselves: a stopped primary does not stall the proxy', async (t) => {
    process.kill(node.child.pid as number, 'SIGSTOP')
    t.teardown(() => process.kill(node.child.pid as number, 'SIGCONT'))
    const res = await within(
      http(`${node.proxy}/anything`).then((r) => r.status),
      5000,
      'no answer within 5 s',
    )
    t.equal(res, 404, 'a new proxy connection is served while the primary is frozen')
    process.kill(node.child.pid as number, 'SIGCONT')
  })
})

// Both fill a small filesystem of their own: the node's stderr goes to a file on one, its prefix
// lives on the other.
t.test('a full disk', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-full-'))
  const prefix = join(dir, 'prefix')
  const logs = join(dir, 'logs')
  for (const [at, size] of [[prefix, '4m'], [logs, '64k']]) {
    const why = mountTmpfs(at, size)
    if (why) return void t.skip(why, () => undefined)
    t.teardown(() => execFileSync('umount', ['-l', at]))
  }
  const fd = openSync(join(logs, 'error.log'), 'w')
  t.teardown(() => closeSync(fd))
  fill(logs)
  const node = await startNode({ dir, config: A, workers: 1, stderr: fd })
  t.teardown(() => node.stop())

  t.test('logging never takes the node down: stderr on a full disk', async (t) => {
    for (let i = 0; i < 3; i++) t.equal((await http(`${node.admin}/config`, { method: 'POST', headers: yaml, body: 'services: 1\n' })).status, 400)
    t.equal((await http(`${node.status}/status`)).status, 200, 'the node is still up')
  })

  t.test('a full disk under the prefix changes nothing either', async (t) => {
    const before = await hashOf(node.status)
    fill(prefix)
    const res = await http(`${node.admin}/config`, { method: 'POST', headers: yaml, body: B })
    t.equal(res.status, 500)
    t.match(res.body.message, /no space left on device/, 'says the disk is full')
    t.equal(await hashOf(node.status), before, 'the live config is unchanged')
    t.equal((await http(`${node.status}/status/ready`)).status, 200)
    t.equal((await http(`${node.proxy}/x`)).status, 404, 'the proxy still serves')
    rmSync(join(prefix, 'filler'))
    t.equal((await http(`${node.admin}/config`, { method: 'POST', headers: yaml, body: B })).status, 201, 'with room again, the same push succeeds')
    t.not(await hashOf(node.status), before)
  })
})

t.test('logging never takes the node down: stderr and stdout as closed pipes', async (t) => {
  const node = await startNode({ config: A, workers: 1, stderr: 'closed', stdout: 'closed' })
  t.teardown(() => node.stop())
  for (let i = 0; i < 3; i++) {
    const bad = await http(`${node.admin}/config`, { method: 'POST', headers: yaml, body: 'services: 1\n' })
    t.equal(bad.status, 400, `an error is logged (${i + 1})`)
  }
  t.equal((await http(`${node.admin}/config`, { method: 'POST', headers: yaml, body: B })).status, 201, 'notices are logged too')
  t.equal((await http(`${node.status}/status`)).status, 200, 'the node is still up')
  t.equal(node.child.exitCode, null)
})

t.test('a corrupt saved config is logged, named in readiness and /status/config, and kept aside', async (t) => {
  const cases = [
    { desc: 'random bytes', bytes: Buffer.from([0x13, 0x99, 0xff, 0x00, 0x42, 0x7f]) },
    { desc: 'truncated JSON', bytes: Buffer.from('{"source":"kong.yml","format":"yaml","te') },
    { desc: 'an empty file', bytes: Buffer.alloc(0) },
  ]
  for (const c of cases) {
    const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-corrupt-'))
    mkdirSync(join(dir, 'prefix'), { recursive: true })
    writeFileSync(join(dir, 'prefix', 'dbless.config.json'), c.bytes)
    const node = await startNode({ dir, workers: 1 })
    const ready = await http(`${node.status}/status/ready`)
    t.equal(ready.status, 503, c.desc)
    t.match(ready.body.message, /^no configuration available \(the saved configuration in .* is corrupt \(.+\); kept aside as .*dbless\.config\.json\.corrupt-/, `${c.desc}: readiness names it`)
    t.match((await http(`${node.status}/status/config`)).body.problem, /is corrupt/, `${c.desc}: /status/config names it`)
    t.ok(node.logs.some((l) => l.level === 'error' && /is corrupt/.test(String(l.msg))), `${c.desc}: logged as an error`)
    const aside = readdirSync(join(dir, 'prefix')).filter((f) => f.startsWith('dbless.config.json.corrupt-'))
    t.equal(aside.length, 1, `${c.desc}: kept aside`)
    t.same(readFileSync(join(dir, 'prefix', aside[0])), c.bytes, `${c.desc}: as it was`)
    t.notOk(existsSync(join(dir, 'prefix', 'dbless.config.json')), `${c.desc}: and out of the way`)
    await node.stop()
  }
})
