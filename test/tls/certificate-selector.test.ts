/**
 * SNI certificate selection (Kong's `certificate.lua` order) and the secure contexts behind it:
 * made lazily, kept across snapshots while a certificate is unchanged, dropped when it goes.
 * Handshakes are real: a node:tls server whose SNICallback asks the selector.
 */
import { X509Certificate } from 'node:crypto'
import type { ConnectionOptions } from 'node:tls'
import t from 'tap'
import type { Certificate, Sni } from '../../src/declarative/schema/entities/certificates.js'
import { buildCertificateSelector, candidateNames, SecureContextCache, type CertificateSelector } from '../../src/tls/certificate-selector.js'
import { handshakeOn } from '../helpers/handshake.js'
import { selfSigned, type Pem } from '../helpers/tls.js'

/** A certificate entity as a snapshot holds it. */
function certificate(id: string, main: Pem, alt?: Pem): Certificate {
  return Object.freeze({ id, cert: main.cert, key: main.key, cert_alt: alt?.cert ?? null, key_alt: alt?.key ?? null, tags: null, created_at: 1, updated_at: 1 })
}
let sniCount = 0
const sni = (name: string, cert: Certificate): Sni => Object.freeze({ id: `sni-${++sniCount}`, name, certificate: { id: cert.id }, tags: null, created_at: 1, updated_at: 1 })

const pems = {
  exact: selfSigned('rsa', ['exact.test']),
  prefix: selfSigned('ec', ['*.b.test']),
  suffix: selfSigned('ec', ['a.suffix.example']),
  catchAll: selfSigned('ec', ['catch.all']),
  rsa: selfSigned('rsa', ['pair.test']),
  ec: selfSigned('ec', ['pair.test']),
}
const certs = {
  exact: certificate('00000000-0000-4000-8000-000000000001', pems.exact),
  prefix: certificate('00000000-0000-4000-8000-000000000002', pems.prefix),
  suffix: certificate('00000000-0000-4000-8000-000000000003', pems.suffix),
  catchAll: certificate('00000000-0000-4000-8000-000000000004', pems.catchAll),
  pair: certificate('00000000-0000-4000-8000-000000000005', pems.rsa, pems.ec),
}

t.test("the names looked up, in Kong's order", async (t) => {
  const cases: [string, string[]][] = [
    ['a.b.com', ['a.b.com', '*.b.com', 'a.b.*', '*']],
    ['x.a.b.com', ['x.a.b.com', '*.a.b.com', 'x.a.b.*', '*']],
    ['b.com', ['b.com', 'b.*', '*']],
    ['localhost', ['localhost', '*']],
    ['A.B.Com.', ['a.b.com', '*.b.com', 'a.b.*', '*']],
    ['*.b.com', ['*.b.com', '*.b.com', '*']],
    ['a.*', ['a.*', 'a.*', '*']],
  ]
  for (const [name, want] of cases) t.same(candidateNames(name), want, name)
})

t.test('exact name, then prefix wildcard, then suffix wildcard, then the `*` SNI, else the default', async (t) => {
  const contexts = new SecureContextCache({})
  const snis = [sni('exact.test', certs.exact), sni('*.b.test', certs.prefix), sni('a.*', certs.suffix), sni('a.b.test', certs.exact)]
  const selector = buildCertificateSelector(Object.values(certs), snis, contexts)
  t.equal(contexts.size, 0, 'no context is made before a handshake needs it')
  const expect = (name: string, cert: Certificate | undefined, desc: string): void => {
    t.equal(selector.select(name), cert ? contexts.get(cert) : undefined, `${name}: ${desc}`)
  }
  expect('exact.test', certs.exact, 'exact')
  expect('a.b.test', certs.exact, 'an exact name beats a matching wildcard')
  expect('c.b.test', certs.prefix, 'prefix wildcard')
  expect('x.c.b.test', undefined, 'a prefix wildcard covers one label only')
  expect('b.test', undefined, 'nor the bare parent')
  expect('a.example', certs.suffix, 'suffix wildcard: the last label')
  expect('a.b.example', undefined, 'a suffix wildcard replaces only the last label')
  expect('EXACT.Test', certs.exact, 'names are matched case-insensitively')
  expect('exact.test.', certs.exact, 'a trailing dot is ignored')
  expect('nothing.test', undefined, 'no match: the listener\'s default')
  const withCatchAll = buildCertificateSelector(Object.values(certs), [...snis, sni('*', certs.catchAll)], contexts)
  t.equal(withCatchAll.select('nothing.test'), contexts.get(certs.catchAll), 'the `*` SNI catches the rest')
  t.equal(withCatchAll.select('c.b.test'), contexts.get(certs.prefix), 'after every wildcard')
  const empty = buildCertificateSelector([], [], new SecureContextCache({}))
  t.equal(empty.select('exact.test'), undefined, 'a config without SNIs always serves the default')
})

t.test('SNIs that differ only in case: the lower-case one wins', async (t) => {
  const contexts = new SecureContextCache({})
  for (const order of [[sni('Mixed.Test', certs.exact), sni('mixed.test', certs.prefix)], [sni('mixed.test', certs.prefix), sni('Mixed.Test', certs.exact)]]) {
    t.equal(buildCertificateSelector(Object.values(certs), order, contexts).select('mixed.test'), contexts.get(certs.prefix), `order ${order.map((s) => s.name).join(', ')}`)
  }
  t.equal(buildCertificateSelector(Object.values(certs), [sni('Only.Mixed', certs.exact)], contexts).select('only.mixed'), contexts.get(certs.exact), 'a mixed-case name alone still matches')
  t.equal(buildCertificateSelector(Object.values(certs), [sni('x.test', { id: 'gone' } as Certificate)], contexts).select('x.test'), undefined, 'an SNI whose certificate is not in the snapshot is skipped')
})

t.test('contexts live as long as their certificate: kept across snapshots, made anew on change, dropped when gone', async (t) => {
  const contexts = new SecureContextCache({})
  const first = buildCertificateSelector([certs.exact, certs.prefix], [sni('exact.test', certs.exact), sni('p.test', certs.prefix)], contexts)
  const a = first.select('exact.test')
  t.ok(a, 'a context')
  t.equal(first.select('exact.test'), a, 'the same context for every handshake')
  t.equal(contexts.size, 1, 'one context made, for the certificate asked for')

  // The next snapshot holds equal but distinct entity objects, as a decoded snapshot file does.
  const again = { ...certs.exact }
  const second = buildCertificateSelector([again, certs.prefix], [sni('exact.test', again)], contexts)
  t.equal(second.select('exact.test'), a, 'an unchanged certificate keeps its context across a swap')

  const changed = certificate(certs.exact.id, pems.suffix)
  const third = buildCertificateSelector([changed], [sni('exact.test', changed)], contexts)
  const c = third.select('exact.test')
  t.not(c, a, 'a changed certificate under the same id gets a new context')
  t.equal(contexts.size, 1, 'the certificate the snapshot dropped has no context left')

  for (let i = 0; i < 50; i++) {
    const cert = certificate(`10000000-0000-4000-8000-${String(i).padStart(12, '0')}`, i % 2 === 0 ? pems.rsa : pems.ec)
    buildCertificateSelector([cert], [sni('swap.test', cert)], contexts).select('swap.test')
  }
  t.equal(contexts.size, 1, 'many swaps leave one context per live certificate')
})

/** A certificate entity OpenSSL refuses to serve (its key is another certificate's; a config load would refuse it). */
const unservable = certificate('00000000-0000-4000-8000-0000000000ff', { cert: pems.exact.cert, key: pems.rsa.key })

t.test('a certificate OpenSSL refuses fails its handshakes, once made', async (t) => {
  const selector: CertificateSelector = buildCertificateSelector([unservable], [sni('exact.test', unservable)], new SecureContextCache({}))
  t.throws(() => selector.select('exact.test'), new RegExp(`^certificate ${unservable.id} cannot be served: .*key values mismatch`), 'the error names the certificate and why')
  t.throws(() => selector.select('exact.test'), /cannot be served/, 'and stays, without making the context again')
})

const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256

t.test("real handshakes on the selected context: an RSA and ECDSA pair served by the client's ciphers", async (t) => {
  const selector = buildCertificateSelector(Object.values(certs), [sni('pair.test', certs.pair)], new SecureContextCache({}))
  const peer = async (client: ConnectionOptions): Promise<string> => {
    const r = await handshakeOn((name, ecdsa) => selector.select(name, ecdsa), client)
    if ('error' in r) throw new Error(`handshake failed: ${r.error}`)
    return r.peer.fingerprint256
  }
  const tls12 = { maxVersion: 'TLSv1.2' as const, servername: 'pair.test' }
  t.equal(await peer({ ...tls12, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }), fingerprint(pems.ec.cert), 'an ECDSA-only client gets cert_alt (ECDSA)')
  t.equal(await peer({ ...tls12, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }), fingerprint(pems.rsa.cert), 'an RSA-only client gets cert (RSA)')
  t.equal(await peer({ servername: 'pair.test', sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256' }), fingerprint(pems.rsa.cert), 'a TLS 1.3 client that signs only with RSA gets cert')
  const unservableSelector = buildCertificateSelector([unservable], [sni('exact.test', unservable)], new SecureContextCache({}))
  t.throws(() => unservableSelector.select('exact.test'), /cannot be served/, 'a certificate that cannot be served has no context to listen with')
})
