/**
 * Certificates that are expired or not yet valid load (Kong accepts them) with a warning that
 * says where they are: in the snapshot, in `config parse`, and in the node's log.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadDeclarative, loadDeclarativeObject } from '../../src/declarative/load.js'
import { bundledPluginSchema } from '../../src/plugins/registry.js'
import { generateSelfSigned, type PemPair } from '../../src/tls/self-signed.js'
import { runBin } from '../helpers/cli.js'
import { eventually, http, startNode } from '../helpers/node.js'
import { selfSigned } from '../helpers/tls.js'

const made = (type: 'rsa' | 'ec', from: string, to: string): Promise<PemPair> =>
  generateSelfSigned({ key: type === 'rsa' ? { type: 'rsa', bits: 2048 } : { type: 'ec', curve: 'P-256' }, subject: `CN=${type}-${from}`, notBefore: new Date(from), notAfter: new Date(to), extendedKeyUsage: [] })

const pem = {
  expired: await made('ec', '2001-01-01T00:00:00Z', '2002-01-01T00:00:00Z'),
  future: await made('rsa', '2090-01-01T00:00:00Z', '2091-01-01T00:00:00Z'),
  good: selfSigned('ec', ['good.test']),
  goodRsa: selfSigned('rsa', ['good.test']),
}

/** A YAML block scalar of `text` at `indent` spaces. */
const block = (text: string, indent: number): string => `|\n${text.trim().split('\n').map((l) => `${' '.repeat(indent)}${l}`).join('\n')}\n`

/** A kong.yml with the given certificate entries; each entry's lines are returned for checking positions. */
function yaml(entries: { cert: string; key: string; cert_alt?: string; key_alt?: string; sni: string }[]): string {
  let out = '_format_version: "3.0"\ncertificates:\n'
  for (const e of entries) {
    out += `- cert: ${block(e.cert, 4)}  key: ${block(e.key, 4)}`
    if (e.cert_alt && e.key_alt) out += `  cert_alt: ${block(e.cert_alt, 4)}  key_alt: ${block(e.key_alt, 4)}`
    out += `  snis:\n  - name: ${e.sni}\n`
  }
  return out
}
const lineOf = (text: string, needle: string, nth = 0): number => {
  let at = -1
  for (let i = 0; i <= nth; i++) at = text.indexOf(needle, at + 1)
  return text.slice(0, at).split('\n').length
}

t.test('expired and not-yet-valid certificates load, each with a located warning', async (t) => {
  const text = yaml([
    { cert: pem.good.cert, key: pem.good.key, sni: 'good.test' },
    { cert: pem.expired.cert, key: pem.expired.key, cert_alt: pem.future.cert, key_alt: pem.future.key, sni: 'old.test' },
    { cert: pem.good.cert + pem.expired.cert, key: pem.good.key, sni: 'chain.test' },
  ])
  const snapshot = await loadDeclarative(text, { source: 'kong.yml', format: 'yaml', pluginSchemas: bundledPluginSchema })
  t.equal(snapshot.entities.certificates?.length, 3, 'every certificate is loaded')
  t.same(snapshot.warnings, [
    { source: 'kong.yml', line: lineOf(text, '- cert:', 1), column: 3, path: 'certificates[1].cert', message: 'the certificate expired at 2002-01-01T00:00:00Z; clients will refuse it' },
    {
      source: 'kong.yml',
      line: lineOf(text, 'cert_alt:'),
      column: 3,
      path: 'certificates[1].cert_alt',
      message: 'the certificate is not valid before 2090-01-01T00:00:00Z; clients will refuse it until then',
    },
    { source: 'kong.yml', line: lineOf(text, '- cert:', 2), column: 3, path: 'certificates[2].cert', message: 'certificate 2 of the chain expired at 2002-01-01T00:00:00Z; clients will refuse it' },
  ], 'the entity path, line and column of each, in document order')

  const clean = await loadDeclarative(yaml([{ cert: pem.good.cert, key: pem.good.key, cert_alt: pem.goodRsa.cert, key_alt: pem.goodRsa.key, sni: 'good.test' }]), { source: 'kong.yml', format: 'yaml', pluginSchemas: bundledPluginSchema })
  t.same(clean.warnings, [], 'valid certificates: no warning')
  const garbled = `${pem.good.cert}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`
  const unread = await loadDeclarative(yaml([{ cert: garbled, key: pem.good.key, sni: 'good.test' }]), { source: 'kong.yml', format: 'yaml', pluginSchemas: bundledPluginSchema })
  t.same(unread.warnings, [], 'a chain block that does not parse is left to OpenSSL, not warned about')
  const later = await loadDeclarative(text, { source: 'kong.yml', format: 'yaml', pluginSchemas: bundledPluginSchema, now: () => Date.parse('2090-06-01T00:00:00Z') })
  t.same(later.warnings.map((w) => w.path), ['certificates[0].cert', 'certificates[1].cert', 'certificates[2].cert', 'certificates[2].cert'], "judged by the load's clock")
  const body = await loadDeclarativeObject({ _format_version: '3.0', certificates: [{ cert: pem.expired.cert, key: pem.expired.key }] }, { source: 'POST /config', pluginSchemas: bundledPluginSchema })
  t.same(body.warnings, [{ source: 'POST /config', path: 'certificates[0].cert', message: 'the certificate expired at 2002-01-01T00:00:00Z; clients will refuse it' }], 'a parsed body: the path without a line')
})

t.test('config parse prints the warnings and succeeds', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-cert-warnings-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const text = yaml([{ cert: pem.expired.cert, key: pem.expired.key, sni: 'old.test' }])
  writeFileSync(join(dir, 'kong.yml'), text)
  const r = await runBin(['config', 'parse', 'kong.yml'], dir)
  t.equal(r.code, 0, 'exit status 0')
  t.equal(r.stdout, 'parse successful\n', 'parse successful')
  t.equal(r.stderr, 'kong.yml:3:3: warning: certificates[0].cert: the certificate expired at 2002-01-01T00:00:00Z; clients will refuse it\n', 'the warning on stderr, located')
})

t.test('a node logs the warnings of each config it loads', async (t) => {
  const text = yaml([{ cert: pem.expired.cert, key: pem.expired.key, sni: 'old.test' }])
  const node = await startNode({ config: text, workers: 1 })
  t.teardown(() => node.stop())
  const warnings = (): Record<string, unknown>[] => node.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('configuration warning: '))
  t.ok(await eventually(async () => warnings().length === 1), 'one warning logged at start')
  t.match(warnings()[0], { level: 'warn', source: 'kong.yml', line: 3, column: 3, path: 'certificates[0].cert', msg: 'configuration warning: the certificate expired at 2002-01-01T00:00:00Z; clients will refuse it' }, 'with where it is')
  const posted = await http(`${node.admin}/config`, { method: 'POST', headers: { 'content-type': 'text/yaml' }, body: yaml([{ cert: pem.future.cert, key: pem.future.key, sni: 'new.test' }]) })
  t.equal(posted.status, 201, 'POST /config accepts it')
  t.ok(await eventually(async () => warnings().length === 2), 'and the node logs its warning')
  t.match(warnings()[1], { source: 'POST /config', path: 'certificates[0].cert', msg: /not valid before 2090-01-01T00:00:00Z/ }, 'naming the posted config')
})
