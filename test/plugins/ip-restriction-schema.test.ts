/** The ip-restriction plugin's config schema: IPv4/IPv6 addresses and CIDR ranges, allow or deny. */
import t from 'tap'
import { load, loadError, yml } from '../helpers/load.js'

/** A document with one global ip-restriction plugin whose config is `config` (JSON is valid YAML flow). */
const ipr = (config: Record<string, unknown>): string => yml(`plugins:\n- name: ip-restriction\n  config: ${JSON.stringify(config)}\n`)

const bad = (v: string): string => `invalid ip or cidr range: '${v}'`

t.test('valid addresses and ranges of both families are kept', async (t) => {
  const cases: { desc: string; config: Record<string, unknown> }[] = [
    { desc: 'IPv4 address', config: { allow: ['127.0.0.1'] } },
    { desc: 'IPv4 /32 ranges (Kong spec)', config: { allow: ['127.0.0.1/32', '127.0.0.2/32'] } },
    { desc: 'IPv4 range with host bits set', config: { allow: ['127.0.0.1/8'] } },
    { desc: 'IPv4 prefix bounds 0 and 32', config: { deny: ['0.0.0.0/0', '10.1.2.3/32'] } },
    { desc: 'IPv6 address', config: { allow: ['::1', '2001:db8::8a2e:370:7334'] } },
    { desc: 'IPv6 prefix bounds 0, 1 and 128 (Kong spec)', config: { allow: ['::/0', '::/1', '::/128'] } },
    { desc: 'IPv6 documentation range', config: { deny: ['2001:db8::/32'] } },
    { desc: 'IPv4-mapped IPv6 address', config: { allow: ['::ffff:10.0.0.1'] } },
    { desc: 'allow and deny together, with status and message', config: { allow: ['10.0.0.0/8'], deny: ['10.0.0.1'], status: 401, message: 'go away' } },
    { desc: 'deny alone with an empty allow', config: { allow: [], deny: ['192.168.0.0/16'] } },
  ]
  for (const c of cases) {
    const s = await load(ipr(c.config))
    t.same(s.entities.plugins?.[0]?.config, { allow: null, deny: null, status: null, message: null, ...c.config }, c.desc)
  }
  const s = await load(ipr({ allow: ['::1'] }))
  t.same(s.entities.plugins?.[0]?.protocols, ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls'], 'ip-restriction defaults to stream protocols too')
})

t.test('invalid addresses and ranges are refused at their index', async (t) => {
  const cases: { desc: string; field: 'allow' | 'deny'; values: unknown[]; errors: (string | null)[] }[] = [
    { desc: 'hostname (Kong spec)', field: 'allow', values: ['hello'], errors: [bad('hello')] },
    { desc: 'hostname after two good ones (Kong spec)', field: 'deny', values: ['127.0.0.1/32', '127.0.0.2/32', 'hello'], errors: [null, null, bad('hello')] },
    { desc: 'IPv4 octet out of range', field: 'allow', values: ['256.0.0.1'], errors: [bad('256.0.0.1')] },
    { desc: 'IPv4 with too few octets', field: 'allow', values: ['10.0.0'], errors: [bad('10.0.0')] },
    { desc: 'IPv4 prefix 33', field: 'allow', values: ['0.0.0.0/33'], errors: [bad('0.0.0.0/33')] },
    { desc: 'IPv4 prefix -1 and a letter (Kong spec)', field: 'allow', values: ['0.0.0.0/a', '0.0.0.0/-1', '0.0.0.0/33'], errors: [bad('0.0.0.0/a'), bad('0.0.0.0/-1'), bad('0.0.0.0/33')] },
    { desc: 'IPv4 empty prefix', field: 'deny', values: ['10.0.0.0/'], errors: [bad('10.0.0.0/')] },
    { desc: 'IPv6 prefix 129', field: 'allow', values: ['::/129', '2001:db8::/129'], errors: [bad('::/129'), bad('2001:db8::/129')] },
    {
      desc: 'IPv6 prefixes -1 and letters (Kong spec)',
      field: 'allow',
      values: ['::/a', '::/-1', '::/129', '::1/a', '::1/-1', '::1/129'],
      errors: [bad('::/a'), bad('::/-1'), bad('::/129'), bad('::1/a'), bad('::1/-1'), bad('::1/129')],
    },
    { desc: 'IPv6 with two double colons', field: 'deny', values: ['2001::db8::1'], errors: [bad('2001::db8::1')] },
    { desc: 'bracketed IPv6', field: 'deny', values: ['[::1]'], errors: [bad('[::1]')] },
    { desc: 'CIDR without an address', field: 'allow', values: ['/8'], errors: [bad('/8')] },
    { desc: 'empty string (Kong’s implicit len_min = 1 comes first)', field: 'allow', values: [''], errors: ['length must be at least 1'] },
    { desc: 'valid and invalid mixed', field: 'allow', values: ['10.0.0.0/8', 'nope/8', '::1', '10.0.0.0/40'], errors: [null, bad('nope/8'), null, bad('10.0.0.0/40')] },
    { desc: 'non-string entry', field: 'deny', values: [10], errors: ['expected a string'] },
  ]
  for (const c of cases) {
    const err = await loadError(ipr({ [c.field]: c.values }))
    t.same(err.fields(), { plugins: [{ config: { [c.field]: c.errors } }] }, `${c.desc}: fields`)
    t.same(
      err.located().map(({ path, message }) => ({ path, message })),
      c.errors.flatMap((message, i) => (message === null ? [] : [{ path: `plugins[0].config.${c.field}[${i}]`, message }])),
      `${c.desc}: located`,
    )
  }
  const notArray = await loadError(ipr({ allow: 12 }))
  t.same(notArray.fields(), { plugins: [{ config: { allow: 'expected an array' } }] }, 'allow must be an array (Kong spec)')
})

t.test('at least one of allow and deny must be non-empty', async (t) => {
  const message = "at least one of these fields must be non-empty: 'config.allow', 'config.deny'"
  const cases: { desc: string; config: Record<string, unknown> }[] = [
    { desc: 'no config at all', config: {} },
    { desc: 'both empty (Kong spec)', config: { allow: [], deny: [] } },
    { desc: 'both null', config: { allow: null, deny: null } },
    { desc: 'only status and message', config: { status: 403, message: 'no' } },
  ]
  for (const c of cases) {
    const err = await loadError(ipr(c.config))
    t.same(err.fields(), { plugins: [{ config: { '@entity': [message] } }] }, `${c.desc}: fields`)
    t.same(err.located().map(({ path, message }) => ({ path, message })), [{ path: 'plugins[0].config', message }], `${c.desc}: located`)
  }
  const withBad = await loadError(ipr({ allow: ['nope'] }))
  t.same(withBad.fields(), { plugins: [{ config: { allow: [bad('nope')] } }] }, 'a field error suppresses the entity check')
})
