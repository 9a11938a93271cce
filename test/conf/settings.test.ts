import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { CLUSTER_FIXTURE } from '../helpers/cluster.js'
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
  const dp = loadConf({ env: { KONG_ROLE: 'data_plane', KONG_DECLARATIVE_CONFIG_STRING: 'x', ...CLUSTER_FIXTURE }, cwd: dir })
  t.same(dp.admin_listen, [], 'a data plane has no admin API')
  t.equal(dp.public.declarative_config_string, '******', 'sensitive values are masked')
})

t.test('hybrid mode: cluster certificates as Kong reads them', async (t) => {
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConf({ env, cwd: '/' })
      return []
    } catch (err) {
      return [...(err as ConfError).problems]
    }
  }
  for (const role of ['data_plane', 'control_plane']) {
    t.same(problems({ KONG_ROLE: role }), ['cluster certificate and key must be provided to use Hybrid mode'], `${role} without certificates`)
    t.same(problems({ KONG_ROLE: role, KONG_CLUSTER_CERT: CLUSTER_FIXTURE.KONG_CLUSTER_CERT }), ['cluster certificate and key must be provided to use Hybrid mode'], `${role} without a key`)
  }
  t.same(problems({ KONG_ROLE: 'traditional' }), [], 'not needed for a traditional node')
  t.same(problems({ KONG_ROLE: 'data_plane', KONG_CLUSTER_CERT: '/nope/cluster.crt', KONG_CLUSTER_CERT_KEY: CLUSTER_FIXTURE.KONG_CLUSTER_CERT_KEY }), ['cluster_cert: failed loading certificate from /nope/cluster.crt: no such file'])
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  t.same(
    problems({ KONG_ROLE: 'data_plane', KONG_CLUSTER_CERT: CLUSTER_FIXTURE.KONG_CLUSTER_CERT, KONG_CLUSTER_CERT_KEY: otherKey }),
    [`cluster_cert_key: the key from the setting (PEM text) does not match the certificate from ${CLUSTER_FIXTURE.KONG_CLUSTER_CERT}`],
    'a key of another pair, named without its material',
  )
  t.same(problems({ KONG_ROLE: 'data_plane', KONG_CLUSTER_CERT: CLUSTER_FIXTURE.KONG_CLUSTER_CERT, KONG_CLUSTER_CERT_KEY: 'not-a-key' }), ['cluster_cert_key: failed loading key from the setting: neither a file, PEM text nor base64 of PEM text'])
  t.same(problems({ ...CLUSTER_FIXTURE, KONG_ROLE: 'control_plane', KONG_CLUSTER_MTLS: 'pki' }), ['cluster_ca_cert must be specified when cluster_mtls = "pki"'])
  t.same(problems({ ...CLUSTER_FIXTURE, KONG_ROLE: 'data_plane', KONG_CLUSTER_MAX_PAYLOAD: '1024' }), ['cluster_max_payload must be 4194304 (4MB) or greater'])
  t.same(problems({ ...CLUSTER_FIXTURE, KONG_ROLE: 'data_plane', KONG_CLUSTER_DATA_PLANE_PURGE_DELAY: '59' }), ['cluster_data_plane_purge_delay must be 60 or greater'])
  t.same(problems({ ...CLUSTER_FIXTURE, KONG_ROLE: 'control_plane', KONG_ADMIN_LISTEN: 'off' }), ['admin_listen must be specified when role = "control_plane"'])
  for (const bad of ['cp:abc', 'https://cp:8005', 'cp', 'cp:70000', '::1:8005']) {
    t.same(problems({ ...CLUSTER_FIXTURE, KONG_ROLE: 'data_plane', KONG_CLUSTER_CONTROL_PLANE: bad }), [`cluster_control_plane must be host:port (an IPv6 address in brackets), got '${bad}'`], bad)
  }
  for (const good of ['cp.example:8005', '10.0.0.1:443', '[::1]:8005']) t.same(problems({ ...CLUSTER_FIXTURE, KONG_ROLE: 'data_plane', KONG_CLUSTER_CONTROL_PLANE: good }), [], good)
  t.same(problems({ ...CLUSTER_FIXTURE, KONG_ROLE: 'data_plane', KONG_CLUSTER_VERIFY_CONFIG_HASH: 'maybe' }), ["cluster_verify_config_hash must be on or off, got 'maybe'"])
  t.same(problems({ ...CLUSTER_FIXTURE, KONG_ROLE: 'data_plane', KONG_CLUSTER_DP_LABELS: 'good:yes,bad' }), ["cluster_dp_labels: invalid label 'bad' (key:value, letters, digits, '.', '_' and '-')"])
  const pem = readFileSync(CLUSTER_FIXTURE.KONG_CLUSTER_CERT, 'utf8')
  const cp = loadConf({ env: { KONG_ROLE: 'control_plane', KONG_CLUSTER_CERT: Buffer.from(pem).toString('base64'), KONG_CLUSTER_CERT_KEY: CLUSTER_FIXTURE.KONG_CLUSTER_CERT_KEY, KONG_CLUSTER_DP_LABELS: 'region:eu-1,tier:gold' }, cwd: '/' })
  t.equal(cp.cluster_cert, pem, 'base64 of the PEM is read as the PEM')
  t.same(cp.proxy_listen, [], 'a control plane proxies nothing')
  t.same(cp.cluster_listen.map((l) => l.text), ['0.0.0.0:8005'])
  t.same(cp.cluster_dp_labels, { region: 'eu-1', tier: 'gold' })
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

t.test('proxy settings: defaults, values, and every bad one listed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-conf-'))
  const conf = loadConf({ env: {}, cwd: dir })
  t.equal(conf.upstream_keepalive_pool_size, 512)
  t.equal(conf.upstream_keepalive_max_requests, 10000)
  t.equal(conf.upstream_keepalive_idle_timeout, 60)
  t.equal(conf.proxy_access_log, 'logs/access.log')
  t.same(conf.headers_upstream, ['x-kong-request-id'])
  t.equal(conf.real_ip_recursive, false)
  t.equal(conf.error_default_type, 'text/plain')
  t.equal(conf.allow_debug_header, false)
  t.equal(conf.nginx_http_client_max_body_size, 0)
  t.equal(conf.nginx_http_client_body_buffer_size, 8192)
  t.same(conf.nginx_http_large_client_header_buffers, { count: 4, size: 8192 })
  t.equal(conf.router_flavor, 'traditional_compatible')
  const set = loadConf({
    env: { KONG_PROXY_ACCESS_LOG: 'off', KONG_REAL_IP_RECURSIVE: 'on', KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE: '10m', KONG_NGINX_HTTP_LARGE_CLIENT_HEADER_BUFFERS: '8 24k', KONG_HEADERS_UPSTREAM: 'off' },
    cwd: dir,
  })
  t.equal(set.proxy_access_log, undefined, 'off disables the access log')
  t.equal(set.real_ip_recursive, true)
  t.equal(set.nginx_http_client_max_body_size, 10 * 1024 * 1024)
  t.same(set.nginx_http_large_client_header_buffers, { count: 8, size: 24 * 1024 })
  t.same(set.headers_upstream, ['off'])
  const err = t.throws(() =>
    loadConf({
      env: {
        KONG_UPSTREAM_KEEPALIVE_POOL_SIZE: '-1',
        KONG_REAL_IP_RECURSIVE: 'maybe',
        KONG_ERROR_DEFAULT_TYPE: 'text/csv',
        KONG_NGINX_HTTP_LARGE_CLIENT_HEADER_BUFFERS: '8k',
        KONG_ROUTER_FLAVOR: 'expressions',
      },
      cwd: dir,
    }),
  ) as ConfError
  t.ok(err instanceof ConfError)
  t.same(err.problems, [
    'router_flavor = expressions is not supported yet (use traditional_compatible or traditional)',
    "upstream_keepalive_pool_size must be a whole number, got '-1'",
    "real_ip_recursive must be on or off, got 'maybe'",
    "error_default_type must be one of: text/plain, text/html, application/json, application/xml, got 'text/csv'",
    "nginx_http_large_client_header_buffers must be a count and a size such as '4 8k', got '8k'",
  ])
})

t.test('router_flavor: the two traditional flavors are served, expressions is refused until supported', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-conf-'))
  const cases: { raw?: string; value?: string; problem?: string }[] = [
    { value: 'traditional_compatible' },
    { raw: 'traditional_compatible', value: 'traditional_compatible' },
    { raw: 'traditional', value: 'traditional' },
    { raw: 'expressions', problem: 'router_flavor = expressions is not supported yet (use traditional_compatible or traditional)' },
    { raw: 'fancy', problem: "router_flavor has an invalid value: 'fancy' (traditional, traditional_compatible, expressions)" },
    { raw: '', problem: "router_flavor has an invalid value: '' (traditional, traditional_compatible, expressions)" },
  ]
  for (const c of cases) {
    const env = c.raw === undefined ? {} : { KONG_ROUTER_FLAVOR: c.raw }
    if (c.problem === undefined) {
      const conf = loadConf({ env, cwd: dir })
      t.equal(conf.router_flavor, c.value, `${c.raw ?? '(default)'} is read`)
      t.equal(conf.public.router_flavor, c.value, `${c.raw ?? '(default)'} is shown`)
    } else {
      const err = t.throws(() => loadConf({ env, cwd: dir }), `${c.raw} is refused`) as ConfError
      t.same(err.problems, [c.problem])
    }
  }
})

t.test('real_ip_header = proxy_protocol needs a proxy_listen entry that reads PROXY headers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-conf-'))
  const err = t.throws(() => loadConf({ env: { KONG_REAL_IP_HEADER: 'proxy_protocol', KONG_PROXY_LISTEN: '0.0.0.0:8000, 0.0.0.0:8443 ssl' }, cwd: dir })) as ConfError
  t.ok(err instanceof ConfError)
  t.same(err.problems, ['real_ip_header = proxy_protocol: at least one of the proxy_listen entries must have the proxy_protocol flag enabled'])
  const conf = loadConf({ env: { KONG_REAL_IP_HEADER: 'proxy_protocol', KONG_PROXY_LISTEN: '0.0.0.0:8000 proxy_protocol, 0.0.0.0:8443 ssl' }, cwd: dir })
  t.equal(conf.real_ip_header, 'proxy_protocol', 'one entry with the flag is enough')
  const only = t.throws(() => loadConf({ env: { KONG_REAL_IP_HEADER: 'proxy_protocol', KONG_PROXY_LISTEN: '0.0.0.0:8000 proxy_protocl' }, cwd: dir })) as ConfError
  t.equal(only.problems.length, 1, 'a proxy_listen that does not parse is reported once, by itself')
  t.match(only.problems[0], /^proxy_listen must be of form/)
  t.equal(loadConf({ env: { KONG_PROXY_LISTEN: '0.0.0.0:8000 proxy_protocol' }, cwd: dir }).real_ip_header, 'X-Real-IP', 'the flag without the header is fine')
})
