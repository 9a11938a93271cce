import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { kongConfiguration } from '../../src/admin/root-route.js'
import { loadConf } from '../../src/conf/settings.js'
import { runBin } from '../helpers/cli.js'
import { freePort, http, startNode } from '../helpers/node.js'
import { CLUSTER_FIXTURE } from '../helpers/cluster.js'

/** A listener object as Kong renders it, every flag false unless named. */
const listener = (ip: string, port: number, line: string, set: Record<string, boolean> = {}): Record<string, unknown> => ({
  ip,
  port,
  listener: line,
  ssl: false,
  http2: false,
  proxy_protocol: false,
  deferred: false,
  bind: false,
  reuseport: false,
  'backlog=%d+': false,
  'ipv6only=on': false,
  'ipv6only=off': false,
  'so_keepalive=on': false,
  'so_keepalive=off': false,
  'so_keepalive=%w*:%w*:%d*': false,
  ...set,
})

t.test("GET / reports the settings under configuration in Kong's shapes", async (t) => {
  const [plain, tls, admin, status] = [await freePort(), await freePort(), await freePort(), await freePort()]
  const node = await startNode({
    config: '_format_version: "3.0"\nservices:\n- name: s\n  host: s.example\n  plugins: [{name: cors}]\nplugins:\n- name: key-auth\n- name: cors\n',
    ports: { proxy: plain, admin, status },
    env: {
      KONG_PROXY_LISTEN: `127.0.0.1:${plain} reuseport, 127.0.0.1:${tls} http2 ssl backlog=128 so_keepalive=30m::10`,
      KONG_ROUTER_FLAVOR: 'traditional',
      KONG_TRUSTED_IPS: '10.0.0.0/8, 127.0.0.1',
      KONG_HEADERS: 'server_tokens, X-Kong-Request-Id',
      KONG_UPSTREAM_KEEPALIVE_POOL_SIZE: '60',
      KONG_ALLOW_DEBUG_HEADER: 'on',
      KONG_CLUSTER_CERT_KEY: 'a-private-key-that-must-not-show',
    },
  })
  t.teardown(() => node.stop())
  const res = await http(`${node.admin}/`)
  t.equal(res.status, 200)
  const conf = res.body.configuration as Record<string, unknown>
  const cases: [key: string, expected: unknown][] = [
    ['database', 'off'],
    ['role', 'traditional'],
    ['router_flavor', 'traditional'],
    ['log_level', 'info'],
    ['prefix', node.prefix],
    ['proxy_listen', [`127.0.0.1:${plain} reuseport`, `127.0.0.1:${tls} http2 ssl backlog=128 so_keepalive=30m::10`]],
    ['admin_listen', [`127.0.0.1:${admin}`]],
    ['status_listen', [`127.0.0.1:${status}`]],
    [
      'proxy_listeners',
      [
        listener('127.0.0.1', plain, `127.0.0.1:${plain} reuseport`, { reuseport: true }),
        // Kong writes the flags in its own order, and a matched pattern flag under its value.
        (() => {
          const l = listener('127.0.0.1', tls, `127.0.0.1:${tls} ssl http2 backlog=128 so_keepalive=30m::10`, { ssl: true, http2: true })
          delete l['backlog=%d+']
          delete l['so_keepalive=%w*:%w*:%d*']
          return { ...l, 'backlog=128': true, 'so_keepalive=30m::10': true }
        })(),
      ],
    ],
    ['admin_listeners', [listener('127.0.0.1', admin, `127.0.0.1:${admin}`)]],
    ['status_listeners', [{ ip: '127.0.0.1', port: status, listener: `127.0.0.1:${status}`, ssl: false }]],
    ['cluster_listeners', [listener('0.0.0.0', 8005, '0.0.0.0:8005')]],
    ['proxy_ssl_enabled', true],
    ['admin_ssl_enabled', false],
    ['status_ssl_enabled', false],
    ['trusted_ips', ['10.0.0.0/8', '127.0.0.1']],
    ['headers', ['server_tokens', 'X-Kong-Request-Id']],
    ['headers_upstream', ['x-kong-request-id']],
    ['upstream_keepalive_pool_size', 60],
    ['upstream_keepalive_max_requests', 10000],
    ['allow_debug_header', true],
    ['real_ip_recursive', 'off'],
    ['ssl_session_tickets', 'on'],
    ['mem_cache_size', '128m'],
    ['nginx_worker_processes', '2'],
    ['cluster_cert_key', '******'],
    ['loaded_plugins', {}],
  ]
  for (const [key, expected] of cases) t.same(conf[key], expected, key)
  t.notOk(JSON.stringify(res.body).includes('a-private-key-that-must-not-show'), 'the secret shows nowhere')
  t.notOk('ssl_cert' in conf, 'unset settings are left out')
  t.same(res.body.plugins, { available_on_server: {}, enabled_in_cluster: ['cors', 'key-auth'] })
})

// The GET / test above reads an empty list ({}) over a real node; these settings need no node of their own.
t.test('empty lists read as Kong writes them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-empty-'))
  const conf = JSON.parse(JSON.stringify(kongConfiguration(loadConf({ env: { KONG_CLUSTER_LISTEN: 'off', KONG_TRUSTED_IPS: '' }, cwd: dir })))) as Record<string, unknown>
  const cases: [key: string, expected: unknown][] = [
    ['cluster_listen', ['off']],
    ['cluster_listeners', {}],
    ['trusted_ips', {}],
    ['router_flavor', 'traditional_compatible'],
  ]
  for (const [key, expected] of cases) t.same(conf[key], expected, key)
})

t.test('router_flavor = expressions stops the node at start and says why', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-flavor-'))
  const res = await runBin(['start'], dir, { ...process.env, KONG_PREFIX: join(dir, 'prefix'), KONG_ROUTER_FLAVOR: 'expressions' })
  t.not(res.code, 0)
  t.match(res.stdout + res.stderr, 'router_flavor = expressions is not supported yet (use traditional_compatible or traditional)')
})

t.test('a data plane shows admin_listen off, as it serves no admin API', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-dp-'))
  const conf = kongConfiguration(loadConf({ env: { KONG_ROLE: 'data_plane', KONG_ADMIN_LISTEN: '127.0.0.1:8001', ...CLUSTER_FIXTURE }, cwd: dir }))
  t.same(conf.admin_listen, ['off'])
  t.same(conf.admin_listeners, {})
  t.equal(conf.role, 'data_plane')
})

t.test('IPv6 listeners are written as Kong normalizes them: eight zero-padded groups in brackets', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-v6-'))
  const cases: [listen: string, ip: string][] = [
    ['[::1]:8100', '[0000:0000:0000:0000:0000:0000:0000:0001]'],
    ['[::]:8100', '[0000:0000:0000:0000:0000:0000:0000:0000]'],
    ['[FE80::A:1]:8100', '[fe80:0000:0000:0000:0000:0000:000a:0001]'],
    ['[2001:db8:0:0:1:2:3:4]:8100', '[2001:0db8:0000:0000:0001:0002:0003:0004]'],
    ['[::ffff:10.0.0.1]:8100', '[::ffff:10.0.0.1]'],
  ]
  for (const [listen, ip] of cases) {
    const conf = kongConfiguration(loadConf({ env: { KONG_STATUS_LISTEN: listen }, cwd: dir }))
    t.same(conf.status_listeners, [{ ip, port: 8100, ssl: false, listener: `${ip}:8100` }], listen)
  }
})
