/**
 * The ssl_* settings: certificate lists read from paths, PEM text or base64 as Kong reads them,
 * Kong's messages for lists that do not pair up, and the cipher, protocol and session settings.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfError, loadConf, type NodeConf } from '../../src/conf/settings.js'
import { parseNginxSeconds, parseProtocols } from '../../src/conf/tls-settings.js'
import { makePki, selfSigned, type Pem } from '../helpers/tls.js'
import { CLUSTER_FIXTURE } from '../helpers/cluster.js'

const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-tls-settings-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const rsa: Pem = selfSigned('rsa', ['rsa.test'])
const ec: Pem = selfSigned('ec', ['ec.test'])
const pki = makePki()
t.teardown(() => pki.dispose())
const file = (name: string, text: string): string => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
const paths = {
  rsaCert: file('rsa.crt', rsa.cert),
  rsaKey: file('rsa.key', rsa.key),
  ecCert: file('ec.crt', ec.cert),
  ecKey: file('ec.key', ec.key),
  chain: file('chain.crt', pki.serverChain),
  chainKey: file('chain.key', pki.server.key),
}
const b64 = (s: string): string => Buffer.from(s).toString('base64')
const b64url = (s: string): string => Buffer.from(s).toString('base64url')

const SSL = { KONG_PROXY_LISTEN: '127.0.0.1:8443 ssl' }
const conf = (env: Record<string, string>): NodeConf => loadConf({ env, cwd: dir })
/** The problems loading `env` is refused with. */
const problems = (env: Record<string, string>): readonly string[] => {
  try {
    conf(env)
  } catch (err) {
    if (err instanceof ConfError) return err.problems
    throw err
  }
  throw new Error('expected the settings to be refused')
}

t.test('certificate items are paths, PEM texts or base64 of PEM texts, read at start', async (t) => {
  const cases: { desc: string; env: Record<string, string>; cert: string[]; key: string[] }[] = [
    { desc: 'absolute paths', env: { KONG_SSL_CERT: paths.rsaCert, KONG_SSL_CERT_KEY: paths.rsaKey }, cert: [rsa.cert], key: [rsa.key] },
    { desc: 'paths relative to the working directory', env: { KONG_SSL_CERT: 'rsa.crt', KONG_SSL_CERT_KEY: './rsa.key' }, cert: [rsa.cert], key: [rsa.key] },
    // Items are trimmed, as Kong trims them: the final newline goes.
    { desc: 'PEM texts', env: { KONG_SSL_CERT: rsa.cert, KONG_SSL_CERT_KEY: rsa.key }, cert: [rsa.cert.trim()], key: [rsa.key.trim()] },
    { desc: 'base64 of the PEM', env: { KONG_SSL_CERT: b64(rsa.cert), KONG_SSL_CERT_KEY: b64(rsa.key) }, cert: [rsa.cert], key: [rsa.key] },
    { desc: 'base64url of the PEM', env: { KONG_SSL_CERT: b64url(ec.cert), KONG_SSL_CERT_KEY: b64url(ec.key) }, cert: [ec.cert], key: [ec.key] },
    {
      desc: 'a list of an RSA and an ECDSA pair, in mixed forms',
      env: { KONG_SSL_CERT: `${paths.rsaCert}, ${b64(ec.cert)}`, KONG_SSL_CERT_KEY: `${b64(rsa.key)},${paths.ecKey}` },
      cert: [rsa.cert, ec.cert],
      key: [rsa.key, ec.key],
    },
    { desc: 'a chain in one file', env: { KONG_SSL_CERT: paths.chain, KONG_SSL_CERT_KEY: paths.chainKey }, cert: [pki.serverChain], key: [pki.server.key] },
  ]
  for (const c of cases) {
    const got = conf({ ...SSL, ...c.env })
    t.same(got.ssl_cert, c.cert, `${c.desc}: certificates`)
    t.same(got.ssl_cert_key, c.key, `${c.desc}: keys`)
  }
  const admin = conf({ KONG_ADMIN_LISTEN: '127.0.0.1:8444 ssl', KONG_ADMIN_SSL_CERT: paths.ecCert, KONG_ADMIN_SSL_CERT_KEY: paths.ecKey })
  t.same([admin.admin_ssl_cert, admin.admin_ssl_cert_key], [[ec.cert], [ec.key]], 'admin_ssl_cert serves the admin listeners')
  const status = conf({ KONG_STATUS_LISTEN: '127.0.0.1:8100 ssl http2', KONG_STATUS_SSL_CERT: paths.rsaCert, KONG_STATUS_SSL_CERT_KEY: paths.rsaKey })
  t.same([status.status_ssl_cert, status.status_ssl_cert_key], [[rsa.cert], [rsa.key]], 'status_ssl_cert serves the status listeners')
  t.same([status.ssl_cert, status.admin_ssl_cert], [[], []], 'unset lists are empty')
  const shown = conf({ ...SSL, KONG_SSL_CERT: paths.rsaCert, KONG_SSL_CERT_KEY: rsa.key }).public
  t.equal(shown.ssl_cert, paths.rsaCert, 'GET / shows the certificate setting as written')
  t.equal(shown.ssl_cert_key, '******', 'and masks the key')
})

t.test("lists that do not pair up are refused with Kong's messages", async (t) => {
  t.same(problems({ ...SSL, KONG_SSL_CERT: paths.rsaCert }), ['ssl_cert_key must be specified'], 'a certificate without its key')
  t.same(problems({ ...SSL, KONG_SSL_CERT_KEY: paths.rsaKey }), ['ssl_cert must be specified'], 'a key without its certificate')
  t.same(
    problems({ ...SSL, KONG_SSL_CERT: `${paths.rsaCert},${paths.ecCert}`, KONG_SSL_CERT_KEY: paths.rsaKey }),
    ['ssl_cert was specified 2 times while ssl_cert_key was specified 1 times'],
    'counts differ',
  )
  t.same(
    problems({ KONG_STATUS_LISTEN: '127.0.0.1:8100 ssl', KONG_STATUS_SSL_CERT: paths.rsaCert }),
    ['status_ssl_cert_key must be specified'],
    'the status pair is named as such',
  )
})

t.test('an item that cannot be read is a settings error naming the setting and the item', async (t) => {
  mkdirSync(join(dir, 'a-dir.pem'), { recursive: true })
  const big = file('big.pem', 'x'.repeat(1024 * 1024 + 1))
  const badPem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'
  const cases: { desc: string; env: Record<string, string>; want: (string | RegExp)[] }[] = [
    { desc: 'a missing file', env: { KONG_SSL_CERT: '/nope/x.pem', KONG_SSL_CERT_KEY: paths.rsaKey }, want: ['ssl_cert: failed loading certificate from /nope/x.pem: no such file'] },
    { desc: 'a missing relative file', env: { KONG_SSL_CERT: paths.rsaCert, KONG_SSL_CERT_KEY: 'keys/x.key' }, want: ['ssl_cert_key: failed loading key from keys/x.key: no such file'] },
    { desc: 'a directory', env: { KONG_SSL_CERT: 'a-dir.pem', KONG_SSL_CERT_KEY: paths.rsaKey }, want: ['ssl_cert: failed loading certificate from a-dir.pem: not a regular file'] },
    { desc: 'a file too large', env: { KONG_SSL_CERT: big, KONG_SSL_CERT_KEY: paths.rsaKey }, want: [`ssl_cert: failed loading certificate from ${big}: larger than 1048576 bytes`] },
    {
      desc: 'neither a file, PEM nor base64',
      env: { KONG_SSL_CERT: 'hello world', KONG_SSL_CERT_KEY: paths.rsaKey },
      want: ['ssl_cert: failed loading certificate from item 1: neither a file, PEM text nor base64 of PEM text'],
    },
    { desc: 'PEM armour around garbage', env: { KONG_SSL_CERT: badPem, KONG_SSL_CERT_KEY: paths.rsaKey }, want: [/^ssl_cert: failed loading certificate from item 1 \(PEM text\): ./] },
    { desc: 'a key where a certificate goes', env: { KONG_SSL_CERT: paths.rsaKey, KONG_SSL_CERT_KEY: paths.rsaKey }, want: [new RegExp(`^ssl_cert: failed loading certificate from ${paths.rsaKey}: .`)] },
    { desc: 'a certificate where a key goes', env: { KONG_SSL_CERT: paths.rsaCert, KONG_SSL_CERT_KEY: b64(rsa.cert) }, want: [/^ssl_cert_key: failed loading key from item 1 \(base64\): ./] },
    {
      desc: 'a key that is not the certificate\'s',
      env: { KONG_SSL_CERT: `${paths.rsaCert},${paths.ecCert}`, KONG_SSL_CERT_KEY: `${paths.rsaKey},${paths.rsaKey}` },
      want: [`ssl_cert_key: the key from ${paths.rsaKey} does not match the certificate from ${paths.ecCert}`],
    },
    {
      desc: 'a chain whose second certificate is broken',
      env: { KONG_SSL_CERT: rsa.cert + badPem, KONG_SSL_CERT_KEY: rsa.key },
      want: [/^ssl_cert: OpenSSL refuses the list: ./],
    },
    {
      desc: 'every bad item of every kind, at once',
      env: { ...SSL, KONG_ADMIN_LISTEN: '127.0.0.1:8444 ssl', KONG_SSL_CERT: '/nope/a.crt,/nope/b.crt', KONG_SSL_CERT_KEY: '/nope/a.key', KONG_ADMIN_SSL_CERT: '/nope/c.crt', KONG_ADMIN_SSL_CERT_KEY: paths.rsaKey },
      want: [
        'ssl_cert was specified 2 times while ssl_cert_key was specified 1 times',
        'ssl_cert: failed loading certificate from /nope/a.crt: no such file',
        'ssl_cert: failed loading certificate from /nope/b.crt: no such file',
        'ssl_cert_key: failed loading key from /nope/a.key: no such file',
        'admin_ssl_cert: failed loading certificate from /nope/c.crt: no such file',
      ],
    },
  ]
  for (const c of cases) t.match(problems({ ...SSL, ...c.env }), c.want, c.desc)
  const secret = rsa.key.replace('PRIVATE KEY-----\n', 'PRIVATE KEY-----\nAAAA')
  const [message = ''] = problems({ ...SSL, KONG_SSL_CERT: paths.rsaCert, KONG_SSL_CERT_KEY: secret })
  t.match(message, /^ssl_cert_key: failed loading key from item 1 \(PEM text\): /, 'an inline key is named by its place')
  t.notOk(message.includes(secret.split('\n')[2] ?? '-'), 'and never echoed')
})

t.test('lists of a kind without ssl listeners are not read, as in Kong', async (t) => {
  const plain = conf({ KONG_SSL_CERT: '/nope/x.pem', KONG_STATUS_SSL_CERT_KEY: '/nope/y.key' })
  t.same([plain.ssl_cert, plain.ssl_cert_key, plain.status_ssl_cert_key], [[], [], []], 'no ssl listener: the lists are left empty')
  const dp = conf({ KONG_ROLE: 'data_plane', KONG_ADMIN_LISTEN: '127.0.0.1:8444 ssl', KONG_ADMIN_SSL_CERT: '/nope/x.pem', ...CLUSTER_FIXTURE })
  t.same(dp.admin_ssl_cert, [], 'a data plane has no admin listeners to serve them')
})

t.test('cipher suites, protocols and sessions', async (t) => {
  const defaults = conf({})
  t.match(
    defaults,
    {
      ssl_cipher_suite: 'intermediate',
      ssl_ciphers: undefined,
      ssl_protocols: ['TLSv1.2', 'TLSv1.3'],
      ssl_prefer_server_ciphers: true,
      ssl_session_tickets: true,
      ssl_session_timeout: 86400,
      ssl_session_cache_size: 10 * 1024 * 1024,
    },
    "Kong's defaults",
  )
  const custom = conf({ KONG_SSL_CIPHER_SUITE: 'custom', KONG_SSL_CIPHERS: 'ECDHE-RSA-AES128-GCM-SHA256', KONG_SSL_PROTOCOLS: 'TLSv1.3 TLSv1.2', KONG_SSL_PREFER_SERVER_CIPHERS: 'off', KONG_SSL_SESSION_TICKETS: 'off' })
  t.match(custom, { ssl_cipher_suite: 'custom', ssl_ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', ssl_protocols: ['TLSv1.2', 'TLSv1.3'], ssl_prefer_server_ciphers: false, ssl_session_tickets: false }, 'custom values')
  for (const suite of ['modern', 'old', 'fips']) t.equal(conf({ KONG_SSL_CIPHER_SUITE: suite }).ssl_cipher_suite, suite, `suite ${suite}`)
  t.same(problems({ KONG_SSL_CIPHER_SUITE: 'strong' }), ['Undefined cipher suite strong'], "Kong's message for an unknown suite")
  t.match(problems({ KONG_SSL_CIPHER_SUITE: 'custom', KONG_SSL_CIPHERS: 'NOPE' }), [/^ssl_ciphers: OpenSSL takes no cipher from 'NOPE' \(.*no cipher match/], 'a custom list OpenSSL refuses')
  t.equal(conf({ KONG_SSL_CIPHERS: 'NOPE' }).ssl_ciphers, 'NOPE', 'ssl_ciphers is not used, so not checked, with a named suite (as in Kong)')
  t.match(problems({ KONG_SSL_PROTOCOLS: 'TLSv1.2 SSLv3', KONG_SSL_SESSION_TIMEOUT: 'soon', KONG_SSL_SESSION_CACHE_SIZE: 'big', KONG_SSL_SESSION_TICKETS: 'maybe' }), [
    "ssl_protocols: SSLv3 is not supported (Node's OpenSSL has no SSL 2 or 3)",
    "ssl_session_tickets must be on or off, got 'maybe'",
    "ssl_session_timeout must be a time such as 1d, 1h 30m or 600, got 'soon'",
    "ssl_session_cache_size must be a size such as 8k or 10m, got 'big'",
  ], 'every bad value listed')
})

t.test('ssl_protocols and nginx times', async (t) => {
  t.same(parseProtocols('TLSv1.3 TLSv1 TLSv1.3'), ['TLSv1', 'TLSv1.3'], 'sorted, duplicates dropped, gaps kept')
  t.equal(parseProtocols('TLSv1.2 TLSv9'), "ssl_protocols must be a list of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, got 'TLSv9'", 'an unknown protocol')
  t.equal(parseProtocols('  '), 'ssl_protocols must name at least one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3', 'none at all')
  const times: [string, number | undefined][] = [
    ['1d', 86400],
    ['600', 600],
    ['5m', 300],
    ['1h 30m', 5400],
    ['1y', 365 * 86400],
    ['1M', 30 * 86400],
    ['2w1d', 15 * 86400],
    ['10s', 10],
    ['', undefined],
    ['1m 1h', undefined],
    ['10 5', undefined],
    ['500ms', undefined],
    ['1d1d', undefined],
    ['x', undefined],
  ]
  for (const [text, seconds] of times) t.equal(parseNginxSeconds(text), seconds, `'${text}'`)
})
