// The Dockerfile, .dockerignore and compose file say what the issue asks (no engine here to build them).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { load } from 'js-yaml'
import t from 'tap'
import { SETTINGS } from '../../src/conf/settings.js'
import { IMAGE_ENV, KONG_DBLESS_SHIM, ROOT, dockerfile, lastStage, only } from '../helpers/image.js'

t.test('the Dockerfile builds as the issue asks', async (t) => {
  const froms = dockerfile.filter((i) => i.keyword === 'FROM')
  t.ok(froms.length >= 2, 'multi-stage')
  for (const from of froms) t.match(from.args, /^node:20\.\d+\.\d+-bookworm-slim( AS \w+)?$/, `${from.args}: a pinned official Node 20 slim (bookworm) tag`)
  const runs = (stage: number): string => dockerfile.filter((i) => i.stage === stage && i.keyword === 'RUN').map((i) => i.args).join('\n')
  const stages = [...new Set(dockerfile.map((i) => i.stage))]
  t.ok(
    stages.some((s) => /npm ci(?! --omit)/.test(runs(s)) && runs(s).includes('npm run build')),
    'a build stage installs every dependency and builds',
  )
  t.ok(stages.some((s) => s !== lastStage && runs(s).includes('npm ci --omit=dev')), 'the production dependencies are installed alone')
  t.notMatch(runs(lastStage), /npm (ci|install)/, 'nothing is installed from npm in the runtime stage')
  t.match(runs(lastStage), /apt-get install -y --no-install-recommends tini && rm -rf \/var\/lib\/apt\/lists\/\*/, 'tini from Debian, lists cleaned')
  t.equal(KONG_DBLESS_SHIM, `#!/bin/sh\nexec node /usr/local/kong-dbless/dist/cli.js "$@"\n`, 'kong-dbless on PATH runs the app (the tests run this text)')
  t.match(runs(lastStage), /ln -s kong-dbless \/usr\/local\/bin\/kong/, 'kong on PATH')
  t.equal(only('USER'), 'kong', 'a non-root user')
  t.match(runs(lastStage), /chown kong:kong \/usr\/local\/kong/, 'the prefix is the user\'s')
  t.equal(only('STOPSIGNAL'), 'SIGQUIT')
  t.same(only('EXPOSE').split(' ').sort(), ['8000', '8001', '8100', '8443', '8444'])
  t.match(only('HEALTHCHECK'), /CMD \["kong-dbless", "health"\]$/)
  t.same(JSON.parse(only('ENTRYPOINT')), ['tini', '--', '/docker-entrypoint.sh'])
  t.same(JSON.parse(only('CMD')), ['kong', 'docker-start'])
  t.match(IMAGE_ENV, { KONG_PREFIX: '/usr/local/kong', KONG_STATUS_LISTEN: '0.0.0.0:8100', KONG_PROXY_ACCESS_LOG: '/dev/stdout' })
  for (const name of Object.keys(IMAGE_ENV).filter((n) => n.startsWith('KONG_'))) {
    t.ok(name.slice(5).toLowerCase() in SETTINGS, `${name} is a setting the node reads`)
  }
  // A COPY from the build context of a path .dockerignore leaves out fails the build.
  const allowed = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('!'))
    .map((l) => l.slice(1).replace(/\/$/, ''))
  const copied = dockerfile.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from')).flatMap((i) => i.args.split(' ').slice(0, -1))
  for (const source of copied) t.ok(allowed.includes(source), `${source} is in the build context`)
})

t.test('the compose file runs one read-only node on the mounted kong.yml', async (t) => {
  // js-yaml's types: the document is read field by field below.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const compose = load(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as any
  const kong = compose.services.kong
  t.equal(kong.read_only, true)
  t.same(kong.healthcheck.test, ['CMD', 'kong', 'health'])
  t.equal(kong.environment.KONG_DATABASE, 'off')
  t.ok((kong.volumes as string[]).includes(`./kong.yml:${kong.environment.KONG_DECLARATIVE_CONFIG}:ro`), 'kong.yml is mounted read-only where KONG_DECLARATIVE_CONFIG points')
  t.ok((kong.volumes as string[]).includes(`kong_prefix_vol:${IMAGE_ENV.KONG_PREFIX}`), 'the prefix is on a volume')
  t.equal(compose.volumes.kong_prefix_vol.driver_opts.type, 'tmpfs')
  t.ok(existsSync(join(ROOT, 'kong.yml')))
})


const shellcheck = spawnSync('sh', ['-c', 'command -v shellcheck']).status === 0
t.test('the entrypoint is POSIX sh that shellcheck passes', { skip: shellcheck ? false : 'needs shellcheck (apt-get install shellcheck)' }, async (t) => {
  const res = spawnSync('shellcheck', ['--shell=sh', join(ROOT, 'docker-entrypoint.sh')], { encoding: 'utf8' })
  t.equal(res.status, 0, res.stdout)
  t.match(readFileSync(join(ROOT, 'docker-entrypoint.sh'), 'utf8'), /^#!\/bin\/sh\n/)
})
