/**
 * Default certificates: Kong's self-signed RSA and ECDSA pairs made in `<prefix>/ssl/` for the
 * kinds of listener that serve TLS without a certificate of their own, kept, remade when
 * broken, and served side by side so the client's ciphers pick one.
 */
import { execFileSync } from 'node:child_process'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadConf, type NodeConf } from '../../src/conf/settings.js'
import { defaultCertificatePaths, ensureDefaultCertificates, listenerCertificates } from '../../src/tls/listener-certificates.js'
import { generateSelfSigned } from '../../src/tls/self-signed.js'
import { tlsServerOptions } from '../../src/tls/tls-options.js'
import { handshake } from '../helpers/handshake.js'
import { selfSigned } from '../helpers/tls.js'

const root = mkdtempSync(join(tmpdir(), 'kong-dbless-default-certs-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))
let n = 0
/** Settings with a fresh prefix of their own. */
const confWith = (env: Record<string, string>): NodeConf => loadConf({ env: { KONG_PREFIX: join(root, `prefix-${++n}`), ...env }, cwd: root })
const mode = (path: string): number => statSync(path).mode & 0o777
const read = (path: string): string => readFileSync(path, 'utf8')

t.test("the defaults are Kong's: file names, modes, key types, subject, usages and lifetime", async (t) => {
  const conf = confWith({ KONG_PROXY_LISTEN: '127.0.0.1:8443 ssl', KONG_ADMIN_LISTEN: '127.0.0.1:8444 ssl', KONG_STATUS_LISTEN: '127.0.0.1:8100 ssl' })
  const before = Date.now()
  await ensureDefaultCertificates(conf, ['proxy', 'admin', 'status'])
  const ssl = join(conf.prefix, 'ssl')
  t.equal(mode(ssl), 0o700, 'ssl/ is 0700')
  t.same(readdirSync(ssl).sort(), [
    'admin-kong-default-ecdsa.crt',
    'admin-kong-default-ecdsa.key',
    'admin-kong-default.crt',
    'admin-kong-default.key',
    'kong-default-ecdsa.crt',
    'kong-default-ecdsa.key',
    'kong-default.crt',
    'kong-default.key',
    'status-kong-default-ecdsa.crt',
    'status-kong-default-ecdsa.key',
    'status-kong-default.crt',
    'status-kong-default.key',
  ], "Kong's file names, and nothing else")
  for (const f of readdirSync(ssl)) t.equal(mode(join(ssl, f)), 0o600, `${f} is 0600`)
  const [rsaPaths, ecPaths] = defaultCertificatePaths(conf.prefix, 'proxy')
  for (const [paths, type] of [[rsaPaths, 'rsa'], [ecPaths, 'ec']] as const) {
    const cert = new X509Certificate(read(paths?.cert ?? ''))
    const key = createPrivateKey(read(paths?.key ?? ''))
    t.equal(key.asymmetricKeyType, type, `${type}: key type`)
    t.ok(cert.checkPrivateKey(key), `${type}: the certificate is the key's`)
    t.equal(cert.subject, 'C=US\nST=California\nL=San Francisco\nO=Kong\nOU=IT Department\nCN=localhost', `${type}: Kong's subject`)
    t.equal(cert.issuer, cert.subject, `${type}: self-issued`)
    t.ok(cert.verify(cert.publicKey), `${type}: self-signed`)
    t.equal(cert.ca, false, `${type}: not a CA`)
    t.same(cert.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], `${type}: serverAuth and clientAuth`)
    const text = execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectKeyIdentifier,basicConstraints'], { input: read(paths?.cert ?? ''), encoding: 'utf8' })
    t.match(text, /X509v3 Subject Key Identifier:\s*\n\s*[0-9A-F:]{20,}/, `${type}: a subject key identifier`)
    t.match(text, /X509v3 Basic Constraints: critical\s*\n\s*CA:FALSE/, `${type}: basicConstraints CA:FALSE, critical`)
    const from = Date.parse(cert.validFrom)
    t.ok(from <= Date.now() && from >= before - 1000, `${type}: valid from now`)
    const years = (Date.parse(cert.validTo) - from) / (365 * 86_400_000)
    t.ok(years > 19.99 && years < 20.01, `${type}: for 20 years`)
  }
  t.equal(createPrivateKey(read(rsaPaths?.key ?? '')).asymmetricKeyDetails?.modulusLength, 2048, 'RSA 2048')
  t.equal(createPrivateKey(read(ecPaths?.key ?? '')).asymmetricKeyDetails?.namedCurve, 'prime256v1', 'ECDSA P-256')
})

t.test('only kinds with ssl listeners and no certificate of their own get defaults', async (t) => {
  const own = selfSigned('ec', ['own.test'])
  const conf = confWith({ KONG_PROXY_LISTEN: '127.0.0.1:8443 ssl', KONG_SSL_CERT: own.cert, KONG_SSL_CERT_KEY: own.key, KONG_STATUS_LISTEN: '127.0.0.1:8100 ssl' })
  await ensureDefaultCertificates(conf, ['proxy', 'admin', 'status'])
  t.same(readdirSync(join(conf.prefix, 'ssl')).sort(), ['status-kong-default-ecdsa.crt', 'status-kong-default-ecdsa.key', 'status-kong-default.crt', 'status-kong-default.key'], 'status only')
  t.same(listenerCertificates(conf, 'proxy'), { cert: [own.cert.trim()], key: [own.key.trim()] }, 'the proxy serves its ssl_cert')
  const plain = confWith({})
  await ensureDefaultCertificates(plain, ['proxy', 'admin', 'status'])
  t.throws(() => statSync(join(plain.prefix, 'ssl')), { code: 'ENOENT' }, 'no ssl listener: no ssl/ directory')
  const skipped = confWith({ KONG_STATUS_LISTEN: '127.0.0.1:8100 ssl' })
  await ensureDefaultCertificates(skipped, ['proxy'])
  t.throws(() => statSync(join(skipped.prefix, 'ssl')), { code: 'ENOENT' }, 'kinds not asked for are left alone')
  t.throws(() => listenerCertificates(skipped, 'status'), /^the status listeners have no certificate: status_ssl_cert is not set and the default .*status-kong-default\.crt cannot be read \(ENOENT\)$/, 'missing defaults are a clear error')
})

t.test('good defaults are kept across starts; broken, mismatched or expired ones are made anew', async (t) => {
  const conf = confWith({ KONG_PROXY_LISTEN: '127.0.0.1:8443 ssl' })
  await ensureDefaultCertificates(conf, ['proxy'])
  const [rsaPaths, ecPaths] = defaultCertificatePaths(conf.prefix, 'proxy')
  if (!rsaPaths || !ecPaths) throw new Error('two pairs expected')
  const first = { rsa: read(rsaPaths.cert), ec: read(ecPaths.cert), ecKey: read(ecPaths.key) }
  await ensureDefaultCertificates(conf, ['proxy'])
  t.same({ rsa: read(rsaPaths.cert), ec: read(ecPaths.cert), ecKey: read(ecPaths.key) }, first, 'a second start keeps both pairs')

  writeFileSync(rsaPaths.cert, 'garbage')
  await ensureDefaultCertificates(conf, ['proxy'])
  t.not(read(rsaPaths.cert), 'garbage', 'a corrupt certificate is made anew')
  t.ok(new X509Certificate(read(rsaPaths.cert)).checkPrivateKey(createPrivateKey(read(rsaPaths.key))), 'with a key that fits')
  t.equal(read(ecPaths.cert), first.ec, 'the ECDSA pair is left alone')

  rmSync(ecPaths.key)
  await ensureDefaultCertificates(conf, ['proxy'])
  t.not(read(ecPaths.cert), first.ec, 'a missing key remakes its pair')

  const other = selfSigned('ec', ['other.test'])
  writeFileSync(ecPaths.key, other.key, { mode: 0o644 })
  await ensureDefaultCertificates(conf, ['proxy'])
  t.ok(new X509Certificate(read(ecPaths.cert)).checkPrivateKey(createPrivateKey(read(ecPaths.key))), 'a key that is not the certificate\'s remakes the pair')

  const swapped = read(rsaPaths.key)
  writeFileSync(ecPaths.cert, read(rsaPaths.cert))
  writeFileSync(ecPaths.key, swapped)
  await ensureDefaultCertificates(conf, ['proxy'])
  t.equal(createPrivateKey(read(ecPaths.key)).asymmetricKeyType, 'ec', 'an RSA pair in the ECDSA files is remade as ECDSA')

  const expired = await generateSelfSigned({ key: { type: 'ec', curve: 'P-256' }, subject: 'CN=old', notBefore: new Date('2001-01-01'), notAfter: new Date('2002-01-01'), extendedKeyUsage: [] })
  writeFileSync(ecPaths.cert, expired.cert)
  writeFileSync(ecPaths.key, expired.key, { mode: 0o644 })
  await ensureDefaultCertificates(conf, ['proxy'])
  t.not(read(ecPaths.cert), expired.cert, 'an expired pair is remade')
  t.equal(mode(ecPaths.key), 0o600, 'and written 0600')

  const kept = read(rsaPaths.key)
  chmodSync(rsaPaths.key, 0o644)
  await ensureDefaultCertificates(conf, ['proxy'])
  t.equal(read(rsaPaths.key), kept, 'a good pair with a loose mode is kept')
  t.equal(mode(rsaPaths.key), 0o600, 'and its mode tightened')
})

t.test('the RSA and ECDSA defaults served side by side: the client\'s ciphers pick one', async (t) => {
  const conf = confWith({ KONG_PROXY_LISTEN: '127.0.0.1:8443 ssl' })
  await ensureDefaultCertificates(conf, ['proxy'])
  const { cert, key } = listenerCertificates(conf, 'proxy')
  t.equal(cert.length, 2, 'two chains')
  const server = { ...tlsServerOptions(conf), cert, key }
  const ecdsa = await handshake(server, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })
  const rsa = await handshake(server, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' })
  if ('error' in ecdsa || 'error' in rsa) throw new Error(`handshakes failed: ${JSON.stringify([ecdsa, rsa])}`)
  t.equal(ecdsa.peer.fingerprint256, new X509Certificate(cert[1] ?? '').fingerprint256, 'an ECDSA-only client gets the ECDSA certificate')
  t.equal(rsa.peer.fingerprint256, new X509Certificate(cert[0] ?? '').fingerprint256, 'an RSA-only client gets the RSA certificate')
  t.equal(rsa.peer.subject.CN, 'localhost', 'CN=localhost')
})
