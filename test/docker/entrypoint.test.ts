// docker-entrypoint.sh run as the image runs it, in a temporary root laid out like the image.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { eventually } from '../helpers/node.js'
import { CONFIG_A, CONFIG_B, ENTRYPOINT, imageRoot, run, startImage, statusHash } from '../helpers/image.js'

t.test('kong docker-start: the image CMD runs the node, which answers kong health, SIGHUP and kong quit --wait', async (t) => {
  const image = await imageRoot()
  const { env, prefix } = image
  const file = join(image.dir, 'kong.yml')
  writeFileSync(file, CONFIG_A)
  // The file's path comes from a docker secret, with the newline `echo` leaves.
  const secret = join(image.dir, 'declarative-config-secret')
  writeFileSync(secret, `${file}\n`)
  const hash = await run(ENTRYPOINT, ['config', 'hash', file], env)
  t.equal(hash.code, 0, 'config hash through the entrypoint')
  const hashA = hash.stdout.trim()
  t.match(hashA, /^[0-9a-f]{32}$/)

  // What an unclean stop leaves on a kept prefix: a pid file naming a process alive now, not a node.
  const other = spawn('sleep', ['60'], { stdio: 'ignore' })
  t.teardown(() => other.kill())
  mkdirSync(join(prefix, 'pids'), { recursive: true })
  writeFileSync(join(prefix, 'pids/nginx.pid'), `${other.pid}\n`)
  writeFileSync(join(prefix, '.kong_env'), '')

  const node = await startImage(ENTRYPOINT, ['kong', 'docker-start'], { ...env, KONG_DECLARATIVE_CONFIG_FILE: secret })
  t.teardown(() => node.child.kill('SIGKILL'))
  t.match(node.stderr(), `found a stale pid file (${join(prefix, 'pids/nginx.pid')} names pid ${other.pid}, not a running node)`)
  t.equal(readFileSync(join(prefix, 'pids/nginx.pid'), 'utf8').trim(), String(node.child.pid), 'the entrypoint execs: the node has its pid')
  t.equal(await statusHash(image.status), hashA, '/status on the image\'s status port reports the config\'s hash')
  t.ok(node.logs.some((l) => l.msg === 'kong-dbless started'))

  const health = await run('kong', ['health'], env)
  t.equal(health.code, 0, 'kong health while up')
  t.match(health.stdout, `Kong is healthy at ${prefix}`)
  const { KONG_PREFIX: _, ...noPrefix } = env
  t.equal((await run('kong-dbless', ['health', '-p', prefix], noPrefix)).code, 0, 'kong-dbless health -p PREFIX')

  writeFileSync(file, CONFIG_B)
  const hashB = (await run('kong-dbless', ['config', 'hash', file], env)).stdout.trim()
  t.not(hashB, hashA)
  node.child.kill('SIGHUP')
  t.ok(await eventually(async () => (await statusHash(image.status)) === hashB, 10_000), 'SIGHUP re-reads the changed kong.yml')

  const before = Date.now()
  const quit = await run('kong', ['quit', '--wait=1'], env)
  const code = await node.exit
  t.equal(quit.code, 0, 'kong quit --wait=1')
  t.match(quit.stdout, 'Kong stopped')
  t.ok(Date.now() - before >= 1000, 'quit waited before signalling')
  t.equal(code, 0, 'the node drained and exited 0')
  t.ok(node.logs.some((l) => l.signal === 'SIGQUIT'), 'quit sends SIGQUIT')
  const after = await run('kong', ['health'], env)
  t.equal(after.code, 1, 'kong health once stopped')
  t.match(after.stderr, `Kong is not running at ${prefix}`)
})

t.test('what the entrypoint accepts, and its exit codes', async (t) => {
  const image = await imageRoot()
  const { env } = image
  const good = join(image.dir, 'good.yml')
  const bad = join(image.dir, 'bad.yml')
  writeFileSync(good, CONFIG_A)
  writeFileSync(bad, '_format_version: "3.0"\nservices:\n  - name: a\n')
  const cases: { desc: string; args: string[]; env?: Record<string, string>; code: number; stdout?: string | RegExp; stderr?: string | RegExp }[] = [
    { desc: 'a bare verb', args: ['config', 'parse', good], code: 0, stdout: /parse successful/ },
    { desc: 'a bare verb, invalid file', args: ['config', 'parse', bad], code: 1, stderr: /bad\.yml:3:5/ },
    { desc: 'kong VERB', args: ['kong', 'config', 'parse', good], code: 0, stdout: /parse successful/ },
    { desc: 'kong-dbless VERB', args: ['kong-dbless', 'config', 'parse', bad], code: 1 },
    { desc: 'version', args: ['version'], code: 0, stdout: /^kong-dbless \d+\.\d+\.\d+\n$/ },
    { desc: 'hybrid gen_cert, bare', args: ['hybrid', 'gen_cert', join(image.dir, 'c.crt'), join(image.dir, 'c.key')], code: 0, stdout: /Successfully generated certificate\/key pairs/ },
    { desc: 'kong with an unknown verb', args: ['kong', 'frobnicate'], code: 1, stderr: /unknown command 'frobnicate'/ },
    { desc: 'kong health with no node', args: ['kong', 'health'], code: 1, stderr: /Kong is not running at/ },
    { desc: 'any other command runs as given', args: ['sh', '-c', 'echo "$0" "$KONG_PREFIX"', 'hello'], code: 0, stdout: `hello ${image.prefix}\n` },
    { desc: 'its exit status is the container\'s', args: ['sh', '-c', 'exit 7'], code: 7 },
    { desc: 'a command that does not exist', args: ['no-such-command'], code: 127 },
    { desc: 'docker-start with a missing secret', args: ['kong', 'docker-start'], env: { KONG_DECLARATIVE_CONFIG_FILE: '/run/secrets/nope' }, code: 1, stderr: 'Error: KONG_DECLARATIVE_CONFIG_FILE: cannot read /run/secrets/nope: no such file (ENOENT)\n' },
    { desc: 'a setting given twice', args: ['kong', 'health'], env: { KONG_LOG_LEVEL: 'info', KONG_LOG_LEVEL_FILE: good }, code: 1, stderr: 'Error: both KONG_LOG_LEVEL and KONG_LOG_LEVEL_FILE are set (but are exclusive)\n' },
  ]
  for (const c of cases) {
    const res = await run(ENTRYPOINT, c.args, { ...env, ...c.env })
    t.equal(res.code, c.code, `${c.desc}: exit ${c.code}`)
    if (c.stdout !== undefined) t.match(res.stdout, c.stdout, `${c.desc}: stdout`)
    if (c.stderr !== undefined) t.match(res.stderr, c.stderr, `${c.desc}: stderr`)
  }
  t.notOk(existsSync(join(image.prefix, 'pids')), 'a node refused for its settings leaves no pid file')
})

