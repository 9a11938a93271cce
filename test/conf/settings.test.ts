import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parseListen } from '../../src/conf/listen.js'
import { ConfError, loadConf, parseConfFile, parseSize } from '../../src/conf/settings.js'

t.test("Kong's listen grammar", async (t) => {
  const cases = [
    { desc: 'one address', value: '0.0.0.0:8000', want: [{ host: '0.0.0.0', port: 8000, ssl: false, http2: false }] },
    { desc: 'flags', value: '127.0.0.1:8443 ssl http2 reuseport backlog=16384', want: [{ port: 8443, ssl: true, http2: true, reuseport: true, backlog: 16384 }] },
    { desc: 'several', value: '0.0.0.0:8000, [::1]:8001 proxy_protocol', want: [{ port: 8000 }, { host: '::1', port: 8001, proxyProtocol: true }] },
    { desc: 'a hostname', value: 'localhost:8000', want: [{ host: 'localhost' }] },
    { desc: 'off', value: 'off', want: [] },
  ]
  for (const c of cases) t.match(parseListen('proxy_listen', c.value), c.want, c.desc)
  for (const bad of ['8000', '0.0.0.0:99999', '0.0.0.0:80 sslx', ':80']) {
    t.throws(() => parseListen('proxy_listen', bad), /^proxy_listen must be of form: \[off\]/, `refuses '${bad}'`)
  }
})

t.test('kong.conf files, sizes and precedence', async (t) => {
  t.same(parseConfFile('a = 1 # c\n\n# x\nB = two words\nc = x\\#y\n', 'k.conf'), { a: '1', b: 'two words', c: 'x#y' })
  t.throws(() => parseConfFile('oops\n', 'k.conf'), /k\.conf:1: expected 'name = value'/)
  t.equal(parseSize('128m'), 134217728)
  t.equal(parseSize('5k'), 5120)
  t.equal(parseSize('12'), 12)
  t.equal(parseSize('x'), undefined)
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-conf-'))
  writeFileSync(join(dir, 'kong.conf'), 'log_level = warn\nmem_cache_size = 64m\n')
  writeFileSync(join(dir, 'secret'), 'kong.yml\n')
  const conf = loadConf({ env: { KONG_LOG_LEVEL: 'debug', KONG_DECLARATIVE_CONFIG_FILE: 'secret' }, confPath: 'kong.conf', cwd: dir })
  t.equal(conf.log_level, 'debug', 'env beats the file')
  t.equal(conf.mem_cache_size, 64 * 1024 * 1024, 'the file beats defaults')
  t.equal(conf.declarative_config, 'kong.yml', 'KONG_*_FILE reads a file')
  t.equal(conf.prefix, join(dir, '.kong'), 'the prefix is absolute')
  t.same(conf.status_listen.map((l) => l.text), ['127.0.0.1:8007'], 'default status listener')
  t.ok(Object.isFrozen(conf))
  const dp = loadConf({ env: { KONG_ROLE: 'data_plane', KONG_DECLARATIVE_CONFIG_STRING: 'x' }, cwd: dir })
  t.same(dp.admin_listen, [], 'a data plane has no admin API')
  t.equal(dp.public.declarative_config_string, '******', 'sensitive values are masked')
})

t.test('every problem is listed', async (t) => {
  try {
    loadConf({ env: { KONG_ROLE: 'boss', KONG_LOG_LEVEL: 'loud', KONG_NGINX_WORKER_PROCESSES: '0', KONG_TRUSTED_IPS: 'x y', KONG_PREFIX: 'a', KONG_PREFIX_FILE: 'b' }, cwd: '/' })
    t.fail('should throw')
  } catch (err) {
    t.ok(err instanceof ConfError)
    t.match((err as ConfError).problems, [
      'both KONG_PREFIX and KONG_PREFIX_FILE are set (but are exclusive)',
      /role has an invalid value/,
      /log_level must be one of/,
      /nginx_worker_processes must be 'auto' or a positive number/,
      /trusted_ips must be a comma separated list/,
    ])
  }
})
