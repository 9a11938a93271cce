// `hybrid gen_cert`: the files it writes are read back with node:crypto and used for a real
// mutual-TLS handshake, as a control plane and a data plane sharing them would; the argument
// rules and messages are Kong's (kong/cmd/hybrid.lua, spec/02-integration/02-cmd/12-hybrid_spec.lua).
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, createServer, type TLSSocket } from 'node:tls'
import t from 'tap'
import { CLI, runBin, runInProcess, runProcess } from '../helpers/cli.js'

const DAY_MS = 86_400_000

/** A fresh empty directory to run the verb in. */
function freshDir(): string {
  return mkdtempSync(join(tmpdir(), 'kong-dbless-hybrid-'))
}

/** The validity of a certificate file, in milliseconds, with its start. */
function validity(certFile: string): { notBefore: number; lengthMs: number; cert: X509Certificate } {
  const cert = new X509Certificate(readFileSync(certFile))
  const notBefore = Date.parse(cert.validFrom)
  return { notBefore, lengthMs: Date.parse(cert.validTo) - notBefore, cert }
}

t.test('with no names it writes ./cluster.crt and ./cluster.key: P-384, CN kong_clustering, 3 years, the pair matching', async (t) => {
  const dir = freshDir()
  const before = Math.floor(Date.now() / 1000) * 1000
  const run = await runInProcess(['hybrid', 'gen_cert'], dir)
  t.equal(run.code, 0, run.stderr)
  const certFile = join(dir, 'cluster.crt')
  const keyFile = join(dir, 'cluster.key')
  t.equal(run.stdout, `Successfully generated certificate/key pairs, they have been written to: '${certFile}' and '${keyFile}'.\n`, "Kong's message, absolute paths")
  t.equal(run.stderr, '')
  const { notBefore, lengthMs, cert } = validity(certFile)
  t.equal(lengthMs, 3 * 365 * DAY_MS, 'valid exactly 1095 days')
  t.ok(notBefore >= before && notBefore <= Date.now(), 'valid from now')
  t.equal(cert.subject, 'CN=kong_clustering')
  t.equal(cert.issuer, 'CN=kong_clustering', 'self-signed')
  t.ok(cert.verify(cert.publicKey), 'signed by its own key')
  t.equal(cert.publicKey.asymmetricKeyType, 'ec')
  t.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1')
  const keyPem = readFileSync(keyFile, 'utf8')
  t.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/, 'PKCS#8, as Kong writes it')
  t.ok(cert.checkPrivateKey(createPrivateKey(keyPem)), 'the key is the certificate’s')
  t.match(readFileSync(certFile, 'utf8'), /^-----BEGIN CERTIFICATE-----\n[^]*\n-----END CERTIFICATE-----\n$/)
})

t.test('given names are written where they point, relative to the current directory', async (t) => {
  const dir = freshDir()
  mkdirSync(join(dir, 'pki'))
  const run = await runInProcess(['hybrid', 'gen_cert', 'pki/cp.crt', join(dir, 'cp.key')], dir)
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stdout, `Successfully generated certificate/key pairs, they have been written to: '${join(dir, 'pki', 'cp.crt')}' and '${join(dir, 'cp.key')}'.\n`)
  t.ok(validity(join(dir, 'pki', 'cp.crt')).cert.checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'cp.key')))))
  t.notOk(existsSync(join(dir, 'cluster.crt')), 'no default file besides')
})

t.test('-d and --days set the validity in days, from now', async (t) => {
  const cases = [
    { desc: '-d 1', args: ['-d', '1'], ms: DAY_MS },
    { desc: '--days 2', args: ['--days', '2'], ms: 2 * DAY_MS },
    { desc: '--days=30', args: ['--days=30'], ms: 30 * DAY_MS },
    { desc: '-d3650, after the names', args: ['c', 'k', '-d3650'], ms: 3650 * DAY_MS },
    { desc: 'a fraction of a day, as Lua numbers take it', args: ['-d', '1.5'], ms: 1.5 * DAY_MS },
  ]
  for (const c of cases) {
    const dir = freshDir()
    const run = await runInProcess(['hybrid', 'gen_cert', ...c.args], dir)
    t.equal(run.code, 0, `${c.desc}: ${run.stderr}`)
    const certFile = join(dir, c.args.includes('c') ? 'c' : 'cluster.crt')
    const { notBefore, lengthMs } = validity(certFile)
    t.equal(lengthMs, c.ms, c.desc)
    t.ok(Math.abs(notBefore - Date.now()) < 60_000, `${c.desc}: starts now`)
  }
})

t.test('refuses to overwrite either file, writing nothing', async (t) => {
  const cases = [
    { desc: 'the certificate exists', existing: 'cluster.crt' },
    { desc: 'the key exists', existing: 'cluster.key' },
  ]
  for (const c of cases) {
    const dir = freshDir()
    writeFileSync(join(dir, c.existing), 'foo')
    const run = await runInProcess(['hybrid', 'gen_cert'], dir)
    t.equal(run.code, 1, c.desc)
    t.equal(run.stderr, `Error: ${join(dir, c.existing)} already exists.\nWill not overwrite it.\n`, `${c.desc}: Kong's message`)
    t.equal(run.stdout, '')
    t.equal(readFileSync(join(dir, c.existing), 'utf8'), 'foo', `${c.desc}: left as it was`)
    t.equal(existsSync(join(dir, 'cluster.crt')) && existsSync(join(dir, 'cluster.key')), false, `${c.desc}: no new pair`)
  }
  const dir = freshDir()
  symlinkSync(join(dir, 'elsewhere.key'), join(dir, 'cluster.key'))
  const dangling = await runInProcess(['hybrid', 'gen_cert'], dir)
  t.equal(dangling.code, 1, 'a dangling symlink counts as a file')
  t.notOk(existsSync(join(dir, 'elsewhere.key')), 'nothing written through the link')
})

t.test('a file that cannot be written fails the command and takes back the other', async (t) => {
  const dir = freshDir()
  const run = await runInProcess(['hybrid', 'gen_cert', 'c.crt', 'missing/c.key'], dir)
  t.equal(run.code, 1)
  t.match(run.stderr, `Error: could not write ${join(dir, 'missing', 'c.key')}: ENOENT`)
  t.equal(run.stdout, '')
  t.notOk(existsSync(join(dir, 'c.crt')), 'no half pair left behind')
})

t.test('bad arguments: Kong’s messages, exit 1, nothing written', async (t) => {
  const cases = [
    { desc: 'one name', args: ['gen_cert', 'only.crt'], stderr: 'Error: both cert and key path needs to be provided\n' },
    { desc: 'three names', args: ['gen_cert', 'a', 'b', 'c'], stderr: 'Error: both cert and key path needs to be provided\n' },
    { desc: 'days not a number', args: ['gen_cert', '-d', 'abc'], stderr: 'Error: unable to convert to number: abc\n' },
    { desc: 'days infinite', args: ['gen_cert', '--days=Infinity'], stderr: 'Error: unable to convert to number: Infinity\n' },
    { desc: 'days empty', args: ['gen_cert', '--days='], stderr: 'Error: unable to convert to number: \n' },
    { desc: 'zero days', args: ['gen_cert', '-d', '0'], stderr: 'Error: --days must be a positive number of days, got 0\n' },
    { desc: 'negative days', args: ['gen_cert', '--days=-5'], stderr: 'Error: --days must be a positive number of days, got -5\n' },
    { desc: 'past the year 9999', args: ['gen_cert', '-d', '3000000'], stderr: 'Error: --days 3000000 ends the validity after the year 9999\n' },
    { desc: 'days without a value', args: ['gen_cert', '-d'], stderr: /^Error: Option '-d, --days <value>' argument missing\n$/ },
    { desc: 'an unknown option', args: ['gen_cert', '--bits', '4096'], stderr: /^Error: Unknown option '--bits'/ },
    { desc: 'an unknown sub-command', args: ['gen_key'], stderr: /^Error: No such command for hybrid: gen_key\n\nUsage: kong-dbless hybrid COMMAND/ },
    { desc: 'no sub-command', args: [], stderr: /^Usage: kong-dbless hybrid COMMAND \[OPTIONS\]\n[^]*gen_cert \[<cert> <key>\][^]*-d,--days/ },
  ]
  for (const c of cases) {
    const dir = freshDir()
    const run = await runInProcess(['hybrid', ...c.args], dir)
    t.equal(run.code, 1, c.desc)
    t.match(run.stderr, c.stderr, c.desc)
    t.equal(run.stdout, '', `${c.desc}: nothing on stdout`)
    t.notOk(existsSync(join(dir, 'cluster.crt')), `${c.desc}: nothing written`)
  }
})

t.test('--help prints the usage and does nothing else', async (t) => {
  const dir = freshDir()
  for (const args of [['hybrid', '--help'], ['hybrid', 'gen_cert', '-h']]) {
    const run = await runInProcess(args, dir)
    t.equal(run.code, 0, args.join(' '))
    t.match(run.stderr, /^Usage: kong-dbless hybrid COMMAND/)
  }
  t.notOk(existsSync(join(dir, 'cluster.crt')))
  t.match((await runInProcess(['--help'], dir)).stderr, /\n {2}hybrid gen_cert \[-d DAYS\] \[CERT KEY\]\n/, 'listed among the commands')
})

t.test('the binary writes the key 0600 and the certificate 0644 whatever the umask', async (t) => {
  for (const umask of ['077', '000']) {
    const dir = freshDir()
    // A shell sets the umask the real process inherits.
    const run = await runProcess('/bin/sh', ['-c', `umask ${umask} && exec "$0" "$@"`, process.execPath, CLI, 'hybrid', 'gen_cert', 'c.crt', 'c.key'], dir, process.env)
    t.equal(run.code, 0, run.stderr)
    t.equal(statSync(join(dir, 'c.key')).mode & 0o777, 0o600, `umask ${umask}: key -rw-------`)
    t.equal(statSync(join(dir, 'c.crt')).mode & 0o777, 0o644, `umask ${umask}: certificate -rw-r--r--`)
  }
  const dir = freshDir()
  writeFileSync(join(dir, 'cluster.crt'), 'foo')
  const refused = await runBin(['hybrid', 'gen_cert'], dir)
  t.equal(refused.code, 1, 'the refusal is exit status 1 of the process')
  t.match(refused.stderr, 'already exists.\nWill not overwrite it.')
})

t.test('one pair serves both ends of a mutual-TLS connection named kong_clustering', async (t) => {
  const dir = freshDir()
  t.equal((await runInProcess(['hybrid', 'gen_cert'], dir)).code, 0)
  const cert = readFileSync(join(dir, 'cluster.crt'))
  const key = readFileSync(join(dir, 'cluster.key'))
  // As in Kong's shared mode: each end presents the pair and trusts only that certificate.
  const server = createServer({ cert, key, ca: cert, requestCert: true, rejectUnauthorized: true }, (socket) => {
    socket.end(socket.authorized ? 'client trusted' : 'client not trusted')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const { port } = server.address() as AddressInfo
  const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername: 'kong_clustering', cert, key, ca: cert })
  const answer = await new Promise<string>((resolve, reject) => {
    let text = ''
    socket.on('data', (d: Buffer) => (text += d.toString()))
    socket.on('end', () => resolve(text))
    socket.on('error', reject)
  })
  t.equal(answer, 'client trusted', 'the server accepts the client certificate')
  t.equal(socket.authorized, true, `the client verifies the server as kong_clustering: ${String(socket.authorizationError)}`)
})
