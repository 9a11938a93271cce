import t from 'tap'
import { checkConfiguredPlugins, checkHandshakePlugins, checkKongVersion, parseKongVersion } from '../../src/clustering/compat.js'

t.test('parseKongVersion reads major.minor.patch from the start, as Kong pattern does', async (t) => {
  const cases: { text: unknown; want: ReturnType<typeof parseKongVersion> }[] = [
    { text: '3.10.0', want: { major: 3, minor: 10, patch: 0 } },
    { text: '3.10.0-enterprise-version', want: { major: 3, minor: 10, patch: 0 } },
    { text: '3.0.0.1', want: { major: 3, minor: 0, patch: 0 } },
    { text: '333.333.333', want: { major: 333, minor: 333, patch: 333 } },
    { text: '3.10', want: undefined },
    { text: 'v3.1.0', want: undefined },
    { text: '', want: undefined },
    { text: undefined, want: undefined },
    { text: 3, want: undefined },
  ]
  for (const c of cases) t.same(parseKongVersion(c.text), c.want, String(c.text))
})

t.test("checkKongVersion: the cases of Kong's compat spec", async (t) => {
  // spec/01-unit/19-hybrid/03-compat_spec.lua, check_kong_version_compatibility()
  const cases: { desc: string; cp: string; dp: string; ok: boolean }[] = [
    { desc: 'permits matching major and minor versions', cp: '1.1.2', dp: '1.1.2', ok: true },
    { desc: 'permits matching major and minor versions', cp: '1.1.999', dp: '1.1.2222', ok: true },
    { desc: 'permits the DP minor version to be less than the CP', cp: '1.2.0', dp: '1.1.0', ok: true },
    { desc: 'permits the DP minor version to be less than the CP', cp: '1.9999.0', dp: '1.1.33', ok: true },
    { desc: 'forbids mismatching major versions', cp: '1.0.0', dp: '2.0.0', ok: false },
    { desc: 'forbids mismatching major versions', cp: '2.0.0', dp: '1.0.0', ok: false },
    { desc: 'forbids a DP minor version higher than the CP minor version', cp: '1.0.0', dp: '1.1.0', ok: false },
    // spec/02-integration/09-hybrid_mode/01-sync_spec.lua, with a 3.10.2 control plane
    { desc: 'CP and DP minor version mismatches (older dp)', cp: '3.10.2', dp: '3.0.2', ok: true },
    { desc: 'CP and DP patch version mismatches (older dp)', cp: '3.10.2', dp: '3.10.0', ok: true },
    { desc: 'CP and DP patch version mismatches (newer dp)', cp: '3.10.2', dp: '3.10.1000', ok: true },
    { desc: 'CP and DP suffix mismatches', cp: '3.10.2', dp: '3.10.2-enterprise-version', ok: true },
    { desc: 'CP and DP major version mismatches', cp: '3.10.2', dp: '1.0.0', ok: false },
    { desc: 'CP and DP minor version mismatches (newer dp)', cp: '3.10.2', dp: '3.1000.2', ok: false },
  ]
  for (const c of cases) {
    const r = checkKongVersion(c.cp, c.dp)
    t.equal(r.ok, c.ok, `${c.desc}: cp ${c.cp}, dp ${c.dp}`)
    if (!r.ok) t.equal(r.status, 'kong_version_incompatible', `${c.desc}: status`)
  }
})

t.test("checkKongVersion gives Kong's messages", async (t) => {
  t.same(checkKongVersion('3.10.0', '2.8.1'), {
    ok: false,
    status: 'kong_version_incompatible',
    message: 'data plane version 2.8.1 is incompatible with control plane version 3.10.0 (3.x.y are accepted)',
  })
  t.same(checkKongVersion('3.10.0', '3.11.0'), {
    ok: false,
    status: 'kong_version_incompatible',
    message: 'data plane version 3.11.0 is incompatible with older control plane version 3.10.0',
  })
  t.same(checkKongVersion('3.10.0', 'nonsense'), {
    ok: false,
    status: 'kong_version_incompatible',
    message: 'data plane version is incompatible with control plane version 3.10.0 (3.x.y are accepted)',
  })
  t.same(checkKongVersion('dev', '3.10.0'), {
    ok: false,
    status: 'kong_version_incompatible',
    message: 'data plane version 3.10.0 is incompatible with control plane version',
  })
  t.same(checkKongVersion('3.10.0', '3.9.1'), { ok: true, note: 'data plane minor version 3.9.1 is different to control plane minor version 3.10.0' }, 'an older minor is logged')
  t.same(checkKongVersion('3.10.0', '3.10.7'), { ok: true }, 'a patch difference is not even logged')
})

t.test("checkConfiguredPlugins: the plugin cases of Kong's sync spec", async (t) => {
  // spec/02-integration/09-hybrid_mode/01-sync_spec.lua: key-auth configured on a 3.10.2 control plane.
  const configured = [{ name: 'key-auth', version: '3.10.2' }]
  const cases: { desc: string; dp: { name: string; version: string }[]; status?: string }[] = [
    { desc: 'CP configured plugins list matches DP enabled plugins list', dp: [{ name: 'key-auth', version: '3.10.2' }] },
    { desc: 'matches DP enabled plugins major version (older dp plugin)', dp: [{ name: 'key-auth', version: '3.0.0' }] },
    { desc: 'CP has configured plugin with older patch version than in DP', dp: [{ name: 'key-auth', version: '3.10.1000' }] },
    { desc: 'DP plugin set is a superset of CP', dp: [{ name: 'banana', version: '1.1.1' }, { name: 'key-auth', version: '3.10.2' }, { name: 'pineapple', version: '1.1.2' }] },
    { desc: 'CP configured plugin list mismatches DP enabled plugins list', dp: [{ name: 'banana-plugin', version: '1.0.0' }], status: 'plugin_set_incompatible' },
    { desc: 'CP has configured plugin with older major version than in DP', dp: [{ name: 'key-auth', version: '1.0.0' }], status: 'plugin_version_incompatible' },
    { desc: 'CP has configured plugin with newer minor version than in DP enabled plugins newer', dp: [{ name: 'key-auth', version: '1000.0.0' }], status: 'plugin_version_incompatible' },
    { desc: 'CP has configured plugin with older minor version than in DP', dp: [{ name: 'key-auth', version: '3.1000.0' }], status: 'plugin_version_incompatible' },
  ]
  for (const c of cases) {
    const r = checkConfiguredPlugins(configured, c.dp)
    if (c.status === undefined) t.same(r, { ok: true }, c.desc)
    else t.match(r, { ok: false, status: c.status }, c.desc)
  }
})

t.test("checkConfiguredPlugins gives Kong's messages and its exceptions", async (t) => {
  const cases: { desc: string; cp: { name: string; version: string }[]; dp: { name: string; version: string }[]; want: unknown }[] = [
    {
      desc: 'missing, with a version',
      cp: [{ name: 'acl', version: '3.10.0' }],
      dp: [],
      want: { ok: false, status: 'plugin_set_incompatible', message: 'configured acl plugin 3.10.0 is missing from data plane' },
    },
    {
      desc: 'missing, the control plane version unparsable',
      cp: [{ name: 'acl', version: '' }],
      dp: [],
      want: { ok: false, status: 'plugin_set_incompatible', message: 'configured acl plugin is missing from data plane' },
    },
    {
      desc: 'a newer minor on the data plane',
      cp: [{ name: 'acl', version: '3.9.0' }],
      dp: [{ name: 'acl', version: '3.10.0' }],
      want: { ok: false, status: 'plugin_version_incompatible', message: 'configured data plane acl plugin version 3.10.0 is different to control plane plugin version 3.9.0' },
    },
    {
      desc: 'the first failing plugin is reported',
      cp: [{ name: 'acl', version: '3.10.0' }, { name: 'cors', version: '3.10.0' }, { name: 'jwt', version: '3.10.0' }],
      dp: [{ name: 'acl', version: '3.10.0' }, { name: 'jwt', version: '2.0.0' }],
      want: { ok: false, status: 'plugin_set_incompatible', message: 'configured cors plugin 3.10.0 is missing from data plane' },
    },
    { desc: 'opentelemetry 0.1.x is accepted whatever the control plane runs', cp: [{ name: 'opentelemetry', version: '3.10.0' }], dp: [{ name: 'opentelemetry', version: '0.1.0' }], want: { ok: true } },
    {
      desc: 'the exception is for opentelemetry only',
      cp: [{ name: 'zipkin', version: '3.10.0' }],
      dp: [{ name: 'zipkin', version: '0.1.0' }],
      want: { ok: false, status: 'plugin_version_incompatible', message: 'configured data plane zipkin plugin version 0.1.0 is different to control plane plugin version 3.10.0' },
    },
    { desc: 'an unparsable version on the data plane is not compared', cp: [{ name: 'acl', version: '3.10.0' }], dp: [{ name: 'acl', version: 'custom' }], want: { ok: true } },
    { desc: 'nothing configured', cp: [], dp: [], want: { ok: true } },
  ]
  for (const c of cases) t.same(checkConfiguredPlugins(c.cp, c.dp), c.want, c.desc)
})

t.test('checkHandshakePlugins only logs, at the levels Kong uses', async (t) => {
  const cp = [
    { name: 'acl', version: '3.10.0' },
    { name: 'cors', version: '3.10.0' },
    { name: 'jwt', version: '3.10.0' },
    { name: 'key-auth', version: '3.10.0' },
    { name: 'my-plugin', version: '' },
    { name: 'other', version: '1.0.0' },
    { name: 'same', version: '3.10.0' },
    { name: 'unnamed', version: 'x' },
  ]
  const dp = [
    { name: 'acl', version: '2.10.0' },
    { name: 'jwt', version: '3.9.0' },
    { name: 'key-auth', version: '3.10.5' },
    { name: 'my-plugin', version: '0.2.0' },
    { name: 'other', version: '' },
    { name: 'same', version: '3.10.0' },
    { name: 'extra', version: '1.0.0' },
  ]
  t.same(checkHandshakePlugins(cp, dp), [
    { level: 'warn', message: 'data plane acl plugin version 2.10.0 is different to control plane plugin version 3.10.0' },
    { level: 'warn', message: 'cors plugin 3.10.0 is missing from data plane' },
    { level: 'info', message: 'data plane jwt plugin version 3.9.0 is different to control plane plugin version 3.10.0' },
    { level: 'notice', message: 'data plane my-plugin plugin version 0.2.0 has unspecified version on control plane' },
    { level: 'notice', message: 'data plane other plugin version is unspecified, and is different to control plane plugin version 1.0.0' },
    { level: 'warn', message: 'unnamed plugin is missing from data plane' },
  ])
})
