/**
 * certificates, snis and ca_certificates with real TLS material: keys from node:crypto,
 * self-signed certificates from the `openssl` CLI, written to a temporary directory.
 */
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DeclarativeConfigError } from '../../src/declarative/errors.js'
import { certificates } from '../../src/declarative/schema/entities/certificates.js'
import { load, loadError } from '../helpers/load.js'

interface Pair {
  cert: string
  key: string
}

/** Filled by `t.before`: RSA and ECDSA leaves (two of each), a CA, and a cert without basicConstraints. */
const pem = {} as {
  rsa: Pair
  rsa2: Pair
  ec: Pair
  ec2: Pair
  ca: Pair
  plain: Pair
  /** `openssl x509 -fingerprint -sha256` of the CA, as lower-case hex without colons. */
  caDigest: string
}

const OPENSSL_CNF = `[req]
distinguished_name = dn
[dn]
[leaf]
basicConstraints = critical,CA:FALSE
[ca]
basicConstraints = critical,CA:TRUE
[plain]
subjectKeyIdentifier = hash
`

t.before(() => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-certs-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const cnf = join(dir, 'openssl.cnf')
  writeFileSync(cnf, OPENSSL_CNF)
  const selfSigned = (name: string, kind: 'rsa' | 'ec', extensions: 'leaf' | 'ca' | 'plain'): Pair => {
    const { privateKey } = kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    const key = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
    const keyFile = join(dir, `${name}.key`)
    const certFile = join(dir, `${name}.crt`)
    writeFileSync(keyFile, key, { mode: 0o600 })
    execFileSync('openssl', ['req', '-x509', '-key', keyFile, '-out', certFile, '-subj', `/CN=${name}.example.test`, '-days', '30', '-config', cnf, '-extensions', extensions], { stdio: ['ignore', 'ignore', 'pipe'] })
    return { cert: readFileSync(certFile, 'utf8'), key }
  }
  pem.rsa = selfSigned('rsa', 'rsa', 'leaf')
  pem.rsa2 = selfSigned('rsa2', 'rsa', 'leaf')
  pem.ec = selfSigned('ec', 'ec', 'leaf')
  pem.ec2 = selfSigned('ec2', 'ec', 'leaf')
  pem.ca = selfSigned('ca', 'rsa', 'ca')
  pem.plain = selfSigned('plain', 'ec', 'plain')
  const fp = execFileSync('openssl', ['x509', '-in', join(dir, 'ca.crt'), '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' })
  pem.caDigest = (/=([0-9A-F:]+)/.exec(fp)?.[1] ?? '').replaceAll(':', '').toLowerCase()
})

/** A 3.0 document as pretty JSON (PEM newlines survive, and errors get distinct lines). */
const doc = (body: Record<string, unknown>): string => JSON.stringify({ _format_version: '3.0', ...body }, null, 2)

const loadDoc = (body: Record<string, unknown>) => load(doc(body), 'kong.json')

const loadDocError = (body: Record<string, unknown>): Promise<DeclarativeConfigError> => loadError(doc(body), 'kong.json')

/** The message a parser throws for `input`, as the field checks quote it after their prefix. */
const thrown = (parse: () => unknown): string => {
  try {
    parse()
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('expected the input not to parse')
}
const certError = (v: string): string => `invalid certificate: ${thrown(() => new X509Certificate(v))}`
const keyError = (v: string): string => `invalid key: ${thrown(() => createPrivateKey(v))}`

const SAME_TYPE =
  'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type'
const NOT_A_CA = 'certificate does not appear to be a CA because it is missing the "CA" basic constraint'
const BAD_PEM_BODY = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'

t.test('the generated material is what the cases assume', async (t) => {
  t.equal(new X509Certificate(pem.rsa.cert).publicKey.asymmetricKeyType, 'rsa', 'rsa leaf has an RSA key')
  t.equal(new X509Certificate(pem.ec.cert).publicKey.asymmetricKeyType, 'ec', 'ec leaf has an EC key')
  t.ok(new X509Certificate(pem.rsa.cert).checkPrivateKey(createPrivateKey(pem.rsa.key)), 'rsa pair matches')
  t.notOk(new X509Certificate(pem.rsa.cert).checkPrivateKey(createPrivateKey(pem.rsa2.key)), 'rsa cert does not match the other rsa key')
  t.notOk(new X509Certificate(pem.ec.cert).checkPrivateKey(createPrivateKey(pem.ec2.key)), 'ec cert does not match the other ec key')
  t.equal(new X509Certificate(pem.ca.cert).ca, true, 'the CA has CA:TRUE')
  t.equal(new X509Certificate(pem.rsa.cert).ca, false, 'a leaf has CA:FALSE')
  t.equal(new X509Certificate(pem.plain.cert).ca, false, 'the plain cert has no CA flag')
  t.match(pem.caDigest, /^[0-9a-f]{64}$/, 'openssl gave a sha256 fingerprint')
})

t.test('valid certificates keep their PEM fields; the alternate pair is optional', async (t) => {
  const pkcs1 = createPrivateKey(pem.rsa.key).export({ type: 'pkcs1', format: 'pem' }) as string
  const cases: { desc: string; input: () => Record<string, unknown>; expect: () => Record<string, unknown> }[] = [
    { desc: 'RSA pair alone', input: () => ({ ...pem.rsa }), expect: () => ({ ...pem.rsa, cert_alt: null, key_alt: null, tags: null }) },
    { desc: 'ECDSA pair alone', input: () => ({ ...pem.ec }), expect: () => ({ ...pem.ec, cert_alt: null, key_alt: null }) },
    { desc: 'RSA key in PKCS#1 form', input: () => ({ cert: pem.rsa.cert, key: pkcs1 }), expect: () => ({ cert: pem.rsa.cert, key: pkcs1 }) },
    {
      desc: 'RSA with an ECDSA alternate',
      input: () => ({ ...pem.rsa, cert_alt: pem.ec.cert, key_alt: pem.ec.key, tags: ['t1'] }),
      expect: () => ({ ...pem.rsa, cert_alt: pem.ec.cert, key_alt: pem.ec.key, tags: ['t1'] }),
    },
    {
      desc: 'ECDSA with an RSA alternate',
      input: () => ({ ...pem.ec, cert_alt: pem.rsa.cert, key_alt: pem.rsa.key }),
      expect: () => ({ ...pem.ec, cert_alt: pem.rsa.cert, key_alt: pem.rsa.key }),
    },
  ]
  for (const c of cases) {
    const s = await loadDoc({ certificates: [c.input()] })
    t.equal(s.entities.certificates?.length, 1, `${c.desc}: one certificate`)
    t.match(s.entities.certificates?.[0], { id: /^[0-9a-f-]{36}$/, ...c.expect() }, `${c.desc}: stored as given`)
    t.notOk('snis' in (s.entities.certificates?.[0] ?? {}), `${c.desc}: no transient snis field stored`)
  }
})

t.test('invalid certificates are refused with Kong\'s messages', async (t) => {
  const cases: { desc: string; input: () => Record<string, unknown>; fields: () => Record<string, unknown> }[] = [
    { desc: 'cert and key missing', input: () => ({}), fields: () => ({ cert: 'required field missing', key: 'required field missing' }) },
    { desc: 'cert that is not PEM', input: () => ({ cert: 'nope', key: pem.rsa.key }), fields: () => ({ cert: certError('nope') }) },
    { desc: 'cert with a PEM armour around garbage', input: () => ({ cert: BAD_PEM_BODY, key: pem.rsa.key }), fields: () => ({ cert: certError(BAD_PEM_BODY) }) },
    { desc: 'private key given as the cert', input: () => ({ cert: pem.rsa.key, key: pem.rsa.key }), fields: () => ({ cert: certError(pem.rsa.key) }) },
    { desc: 'key that is not PEM', input: () => ({ cert: pem.rsa.cert, key: 'nope' }), fields: () => ({ key: keyError('nope') }) },
    { desc: 'certificate given as the key', input: () => ({ cert: pem.rsa.cert, key: pem.rsa.cert }), fields: () => ({ key: keyError(pem.rsa.cert) }) },
    {
      desc: 'both unparsable: field messages only, no entity check',
      input: () => ({ cert: 'nope', key: 'nope' }),
      fields: () => ({ cert: certError('nope'), key: keyError('nope') }),
    },
    { desc: 'cert and key of different RSA pairs', input: () => ({ cert: pem.rsa.cert, key: pem.rsa2.key }), fields: () => ({ '@entity': ['certificate does not match key'] }) },
    { desc: 'RSA cert with an ECDSA key', input: () => ({ cert: pem.rsa.cert, key: pem.ec.key }), fields: () => ({ '@entity': ['certificate does not match key'] }) },
    {
      desc: 'cert_alt without key_alt',
      input: () => ({ ...pem.rsa, cert_alt: pem.ec.cert }),
      fields: () => ({ '@entity': ["all or none of these fields must be set: 'cert_alt', 'key_alt'"] }),
    },
    {
      desc: 'key_alt without cert_alt',
      input: () => ({ ...pem.rsa, key_alt: pem.ec.key }),
      fields: () => ({ '@entity': ["all or none of these fields must be set: 'cert_alt', 'key_alt'"] }),
    },
    {
      desc: 'alternate pair that does not match',
      input: () => ({ ...pem.rsa, cert_alt: pem.ec.cert, key_alt: pem.ec2.key }),
      fields: () => ({ '@entity': ['alternative certificate does not match key'] }),
    },
    {
      desc: 'alternate key of the other type',
      input: () => ({ ...pem.rsa, cert_alt: pem.ec.cert, key_alt: pem.rsa.key }),
      fields: () => ({ '@entity': ['alternative certificate does not match key'] }),
    },
    {
      desc: 'both pairs mismatched: both entity messages, main first',
      input: () => ({ cert: pem.rsa.cert, key: pem.rsa2.key, cert_alt: pem.ec.cert, key_alt: pem.ec2.key }),
      fields: () => ({ '@entity': ['certificate does not match key', 'alternative certificate does not match key'] }),
    },
    { desc: 'two RSA certificates', input: () => ({ ...pem.rsa, cert_alt: pem.rsa2.cert, key_alt: pem.rsa2.key }), fields: () => ({ '@entity': [SAME_TYPE] }) },
    { desc: 'two ECDSA certificates', input: () => ({ ...pem.ec, cert_alt: pem.ec2.cert, key_alt: pem.ec2.key }), fields: () => ({ '@entity': [SAME_TYPE] }) },
    { desc: 'cert_alt that is not PEM', input: () => ({ ...pem.rsa, cert_alt: 'nope', key_alt: pem.ec.key }), fields: () => ({ cert_alt: certError('nope') }) },
    { desc: 'key_alt that is not PEM', input: () => ({ ...pem.rsa, cert_alt: pem.ec.cert, key_alt: 'nope' }), fields: () => ({ key_alt: keyError('nope') }) },
    { desc: 'unknown field', input: () => ({ ...pem.rsa, name: 'x' }), fields: () => ({ name: 'unknown field' }) },
  ]
  for (const c of cases) {
    const err = await loadDocError({ certificates: [c.input()] })
    t.same(err.fields(), { certificates: [c.fields()] }, c.desc)
  }
})

t.test('certificate errors are located at the entity or the field', async (t) => {
  const body = { certificates: [{ ...pem.rsa }, { ...pem.rsa, cert_alt: pem.ec.cert, key_alt: 'nope' }, { cert: pem.rsa.cert, key: pem.rsa2.key }] }
  const err = await loadDocError(body)
  const lines = doc(body).split('\n')
  const entityLines = lines.flatMap((l, i) => (l === '    {' ? [i + 1] : []))
  t.equal(entityLines.length, 3, 'three entity openings in the pretty JSON')
  t.same(
    err.located().map(({ path, message, line }) => ({ path, message, line })),
    [
      { path: 'certificates[1].key_alt', message: keyError('nope'), line: lines.findIndex((l) => l.includes('"key_alt"')) + 1 },
      { path: 'certificates[2]', message: 'certificate does not match key', line: entityLines[2] },
    ],
    'field error at the field, entity error at the entity, in document order',
  )
})

t.test('entity checks leave unparsable PEM to the field checks', async (t) => {
  // The record reaches the entity checks only when its fields are valid; called directly, the
  // pair and type checks must still not report (or throw on) what the field checks own.
  t.equal(certificates.entityChecks?.length, 4, 'four entity checks: all-or-none, pair, alternate pair, key types')
  const [allOrNone, pair, altPair, altType] = certificates.entityChecks ?? []
  if (!allOrNone || !pair || !altPair || !altType) throw new Error('missing entity checks')
  t.same(allOrNone({ cert_alt: null, key_alt: null }), undefined, 'no alternate at all is fine')
  t.same(pair({ cert: 'nope', key: pem.rsa2.key }), undefined, 'bad cert: the pair check is silent')
  t.same(pair({ cert: pem.rsa.cert, key: 'nope' }), undefined, 'bad key: the pair check is silent')
  t.same(pair({ cert: pem.rsa.cert, key: pem.rsa2.key }), { entity: ['certificate does not match key'] }, 'the pair check does report a real mismatch')
  t.same(altPair({ cert_alt: null, key_alt: null }), undefined, 'no alternate: nothing to match')
  t.same(altPair({ cert_alt: pem.ec.cert, key_alt: pem.ec2.key }), { entity: ['alternative certificate does not match key'] }, "alternate mismatch, in Kong's words")
  t.same(altType({ cert: pem.rsa.cert, cert_alt: null }), undefined, 'no alternate: no type to compare')
  t.same(altType({ cert: 'nope', cert_alt: pem.rsa2.cert }), undefined, 'bad cert: the type check is silent')
  t.same(altType({ cert: pem.rsa.cert, cert_alt: 'nope' }), undefined, 'bad cert_alt: the type check is silent')
  t.same(altType({ cert: pem.rsa.cert, cert_alt: pem.rsa2.cert }), { entity: [SAME_TYPE] }, 'the type check does report two RSA certs')
})

t.test('snis nested under a certificate belong to it', async (t) => {
  const s = await loadDoc({
    certificates: [
      { ...pem.rsa, snis: [{ name: 'a.example.com' }, { name: '*.b.example.com', tags: ['w'] }, { name: 'c.example.*' }] },
      { ...pem.ec, snis: [{ name: 'd.example.com' }] },
    ],
  })
  t.equal(s.entities.certificates?.length, 2, 'two certificates')
  const rsa = s.entities.certificates?.find((c) => c.cert === pem.rsa.cert)
  const ec = s.entities.certificates?.find((c) => c.cert === pem.ec.cert)
  t.ok(rsa?.id && ec?.id && rsa.id !== ec.id, 'each certificate is found by its PEM, with its own id')
  const byName = Object.fromEntries((s.entities.snis ?? []).map((x) => [x.name, x]))
  t.same(Object.keys(byName).sort(), ['*.b.example.com', 'a.example.com', 'c.example.*', 'd.example.com'], 'every nested sni is loaded, wildcards included')
  for (const n of ['a.example.com', '*.b.example.com', 'c.example.*']) t.same(byName[n]?.certificate, { id: rsa?.id }, `${n} points at the RSA certificate`)
  t.same(byName['d.example.com']?.certificate, { id: ec?.id }, 'd.example.com points at the ECDSA certificate')
  t.same(byName['*.b.example.com']?.tags, ['w'], 'nested sni keeps its tags')
  t.match(byName['a.example.com'], { id: /^[0-9a-f-]{36}$/, tags: null }, 'nested sni gets an id and defaults')
})

t.test('top-level snis reference a certificate by id', async (t) => {
  const id = '5e1c2d3a-1111-4111-8111-111111111111'
  const s = await loadDoc({ certificates: [{ id, ...pem.rsa }], snis: [{ name: 'a.example.com', certificate: id }, { name: 'b.example.com', certificate: { id } }] })
  t.same(
    s.entities.snis?.map((x) => [x.name, x.certificate]).sort(),
    [
      ['a.example.com', { id }],
      ['b.example.com', { id }],
    ],
    'both reference forms resolve',
  )
  const missing = await loadDocError({ snis: [{ name: 'a.example.com', certificate: id }] })
  t.same(missing.fields(), { snis: { 'a.example.com': [`invalid reference 'certificate: ${id}' (no such entry in 'certificates')`] } }, 'unknown certificate, keyed by sni name')
  t.same(missing.located().map((l) => l.path), ['snis[0].certificate'], 'located at the reference')
  const bare = await loadDocError({ snis: [{ name: 'a.example.com' }] })
  t.same(bare.fields(), { snis: [{ certificate: 'required field missing' }] }, 'a top-level sni needs its certificate')
})

t.test('sni names: no IPs, no ports, one wildcard at either end, and the catch-all `*`', async (t) => {
  // `*` alone is the catch-all SNI; Kong's wildcard_host takes a `*` glued to a label too.
  const valid = ['example.com', '*.example.com', 'example.*', 'a-b.c_d.example', '*', '*example.com']
  const s = await loadDoc({ certificates: [{ ...pem.rsa, snis: valid.map((name) => ({ name })) }] })
  t.same(s.entities.snis?.map((x) => x.name).sort(), [...valid].sort(), 'plain and wildcard names are accepted')

  const invalid: { desc: string; name: unknown; message: string }[] = [
    { desc: 'IPv4 address', name: '10.0.0.1', message: 'must not be an IP' },
    { desc: 'IPv6 address', name: '2001:db8::1', message: 'must not be an IP' },
    { desc: 'IPv6 loopback', name: '::1', message: 'must not be an IP' },
    { desc: 'name with a port', name: 'example.com:443', message: 'must not have a port' },
    { desc: 'name with a non-numeric port', name: 'example.com:abc', message: 'must not have a port' },
    { desc: 'wildcard with a port', name: '*.example.com:8443', message: 'must not have a port' },
    { desc: 'two wildcards', name: '*.*.example.com', message: 'only one wildcard must be specified' },
    { desc: 'wildcard in the middle', name: 'a.*.example.com', message: 'wildcard must be leftmost or rightmost character' },
    { desc: 'empty label', name: 'a..example.com', message: 'invalid value: a..example.com' },
    { desc: 'not a string', name: 5, message: 'expected a string' },
  ]
  for (const c of invalid) {
    const err = await loadDocError({ certificates: [{ ...pem.rsa, snis: [{ name: 'ok.example.com' }, { name: c.name }] }] })
    t.same(err.located().map(({ path, message }) => ({ path, message })), [{ path: 'certificates[0].snis[1].name', message: c.message }], `${c.desc}: located`)
    t.same(err.fields(), { certificates: [{ snis: [null, { name: c.message }] }] }, `${c.desc}: fields`)
  }
  const top = await loadDocError({ certificates: [{ id: '5e1c2d3a-1111-4111-8111-111111111111', ...pem.rsa }], snis: [{ name: '10.0.0.1', certificate: '5e1c2d3a-1111-4111-8111-111111111111' }] })
  t.same(top.fields(), { snis: [{ name: 'must not be an IP' }] }, 'the same rules apply to top-level snis')
})

t.test('sni names are unique across certificates', async (t) => {
  const err = await loadDocError({ certificates: [{ ...pem.rsa, snis: [{ name: 'a.example.com' }] }, { ...pem.ec, snis: [{ name: 'a.example.com' }] }] })
  const message = "uniqueness violation: 'snis' entity with name set to 'a.example.com' already declared"
  t.same(err.located().map(({ path, message }) => ({ path, message })), [{ path: 'certificates[1].snis[0].name', message }], 'the second one is refused')
  t.same(err.fields(), { certificates: [null, { snis: [message] }] }, 'fields tree')
  const plain = await loadDocError({ certificates: [{ ...pem.rsa, snis: ['a.example.com'] }] })
  t.same(plain.fields(), { certificates: [{ snis: ['expected a record'] }] }, 'nested snis are records, not bare names')
})

t.test('ca_certificates: CA basic constraint and cert_digest', async (t) => {
  const s = await loadDoc({ ca_certificates: [{ cert: pem.ca.cert }] })
  t.match(s.entities.ca_certificates?.[0], { cert: pem.ca.cert, cert_digest: pem.caDigest, tags: null }, 'cert_digest is the sha256 of the DER, as openssl prints it')
  const given = 'my-own-digest'
  const kept = await loadDoc({ ca_certificates: [{ cert: pem.ca.cert, cert_digest: given, tags: ['ca'] }] })
  t.match(kept.entities.ca_certificates?.[0], { cert_digest: given, tags: ['ca'] }, 'a given cert_digest is kept')

  const invalid: { desc: string; cert: () => unknown; message: () => string }[] = [
    { desc: 'leaf with CA:FALSE', cert: () => pem.rsa.cert, message: () => NOT_A_CA },
    { desc: 'cert without basicConstraints', cert: () => pem.plain.cert, message: () => NOT_A_CA },
    { desc: 'not PEM', cert: () => 'nope', message: () => certError('nope') },
    { desc: 'PEM armour around garbage', cert: () => BAD_PEM_BODY, message: () => certError(BAD_PEM_BODY) },
    { desc: 'not a string', cert: () => 5, message: () => 'expected a string' },
  ]
  for (const c of invalid) {
    const err = await loadDocError({ ca_certificates: [{ cert: pem.ca.cert }, { cert: c.cert() }] })
    t.same(err.fields(), { ca_certificates: [null, { cert: c.message() }] }, `${c.desc}: fields`)
    t.same(err.located().map((l) => l.path), ['ca_certificates[1].cert'], `${c.desc}: located`)
  }
  const missing = await loadDocError({ ca_certificates: [{ cert_digest: 'x' }] })
  t.same(missing.fields(), { ca_certificates: [{ cert: 'required field missing' }] }, 'cert is required')
  const dup = await loadDocError({ ca_certificates: [{ cert: pem.ca.cert, cert_digest: 'd' }, { cert: pem.ca.cert, cert_digest: 'd' }] })
  const unique = "uniqueness violation: 'ca_certificates' entity with cert_digest set to 'd' already declared"
  t.same(dup.located().map(({ path, message }) => ({ path, message })), [{ path: 'ca_certificates[1].cert_digest', message: unique }], 'cert_digest is unique')
  const tree = dup.fields() as { ca_certificates: Record<string, unknown> }
  t.same(Object.values(tree.ca_certificates), [unique], 'one uniqueness error in the fields tree')
  t.match(Object.keys(tree.ca_certificates), [/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/], 'keyed by id (ca_certificates have no endpoint key)')
  const twice = await loadDocError({ ca_certificates: [{ cert: pem.ca.cert }, { cert: pem.ca.cert, tags: ['again'] }] })
  t.same(
    twice.located().map(({ path, message }) => ({ path, message })),
    [{ path: 'ca_certificates[1].cert_digest', message: `uniqueness violation: 'ca_certificates' entity with cert_digest set to '${pem.caDigest}' already declared` }],
    'the same CA twice collides on its computed digest',
  )
})
