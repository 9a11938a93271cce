/** The cors plugin's config schema: origins (`*`, literals, regexes) and the methods it allows. */
import t from 'tap'
import type { Snapshot } from '../../src/declarative/snapshot.js'
import { load, loadError, yml } from '../helpers/load.js'

/** The config of the single plugin a snapshot holds. */
const configOf = (s: Snapshot): Record<string, unknown> | undefined => s.entities.plugins?.[0]?.config as Record<string, unknown> | undefined

/** A document with one global cors plugin whose config is `config` (JSON is valid YAML flow). */
const cors = (config: Record<string, unknown>): string => yml(`plugins:\n- name: cors\n  config: ${JSON.stringify(config)}\n`)

const METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']
const ONE_OF = `expected one of: ${METHODS.join(', ')}`

t.test('defaults fill every config field', async (t) => {
  const s = await load(cors({}))
  t.same(
    s.entities.plugins?.[0]?.config,
    {
      origins: null,
      headers: null,
      exposed_headers: null,
      methods: METHODS,
      max_age: null,
      credentials: false,
      private_network: false,
      preflight_continue: false,
      allow_origin_absent: true,
    },
    'all nine methods by default, booleans defaulted, the rest null',
  )
  t.same(s.entities.plugins?.[0]?.protocols, ['grpc', 'grpcs', 'http', 'https'], 'default protocols')
})

t.test('accepted origins are kept as written', async (t) => {
  const cases: { desc: string; origins: string[] }[] = [
    { desc: 'asterisk', origins: ['*'] },
    { desc: 'bare domain', origins: ['example.com'] },
    { desc: 'literal origin with scheme and port', origins: ['https://example.com:8443'] },
    { desc: 'regex with a non-capturing group (Kong spec example)', origins: ['.*\\.example(?:-foo)?\\.com'] },
    { desc: 'regex with an alternation and anchors', origins: ['^https?://(a|b)\\.example\\.com$'] },
    { desc: 'regex that is also a literal (dots match anything)', origins: ['.*.example.com'] },
    { desc: 'mixed list', origins: ['*', 'http://x.test', 'https://[a-z]+\\.example\\.org'] },
  ]
  for (const c of cases) {
    const s = await load(cors({ origins: c.origins }))
    t.same(configOf(s)?.origins, c.origins, c.desc)
  }
})

t.test('invalid origins are refused at their index', async (t) => {
  const cases: { desc: string; origins: unknown[]; errors: (string | null)[] }[] = [
    { desc: 'Kong spec example: doubled quantifier', origins: ['.*.example.com', 'invalid_**regex'], errors: [null, "'invalid_**regex' is not a valid regex"] },
    { desc: 'unclosed group', origins: ['https://(a|b.example.com'], errors: ["'https://(a|b.example.com' is not a valid regex"] },
    { desc: 'unclosed class', origins: ['*', 'http://[a-z.example.com'], errors: [null, "'http://[a-z.example.com' is not a valid regex"] },
    { desc: 'leading quantifier', origins: ['+example.com'], errors: ["'+example.com' is not a valid regex"] },
    { desc: 'two asterisks are a regex, and an invalid one', origins: ['**'], errors: ["'**' is not a valid regex"] },
    { desc: 'non-string origin', origins: ['*', 5], errors: [null, 'expected a string'] },
  ]
  for (const c of cases) {
    const err = await loadError(cors({ origins: c.origins }))
    t.same(err.fields(), { plugins: [{ config: { origins: c.errors } }] }, `${c.desc}: fields`)
    t.same(
      err.located().map(({ path, message }) => ({ path, message })),
      c.errors.flatMap((message, i) => (message === null ? [] : [{ path: `plugins[0].config.origins[${i}]`, message }])),
      `${c.desc}: located`,
    )
  }
  const notArray = await loadError(cors({ origins: '*' }))
  t.same(notArray.fields(), { plugins: [{ config: { origins: 'expected an array' } }] }, 'origins must be an array')
})

t.test('methods must be among the nine Kong allows', async (t) => {
  for (const m of METHODS) {
    const s = await load(cors({ methods: [m] }))
    t.same(configOf(s)?.methods, [m], `${m} accepted alone`)
  }
  const cases: { desc: string; methods: unknown[]; errors: (string | null)[] }[] = [
    { desc: 'Kong spec example', methods: ['FAKE'], errors: [ONE_OF] },
    { desc: 'lower-case method', methods: ['GET', 'get'], errors: [null, ONE_OF] },
    { desc: 'unknown among known', methods: ['GET', 'PROPFIND', 'POST', 'LINK'], errors: [null, ONE_OF, null, ONE_OF] },
    { desc: 'non-string method', methods: [1], errors: ['expected a string'] },
  ]
  for (const c of cases) {
    const err = await loadError(cors({ methods: c.methods }))
    t.same(err.fields(), { plugins: [{ config: { methods: c.errors } }] }, `${c.desc}: fields`)
    t.same(
      err.located().map((l) => l.path),
      c.errors.flatMap((message, i) => (message === null ? [] : [`plugins[0].config.methods[${i}]`])),
      `${c.desc}: located`,
    )
  }
})

t.test('cors cannot be scoped to a consumer', async (t) => {
  const err = await loadError(yml('consumers:\n- username: u\n  plugins:\n  - name: cors\n'))
  t.same(err.fields(), { consumers: [{ plugins: [{ consumer: 'value must be null' }] }] }, 'nested under a consumer')
  t.same(err.located().map((l) => l.path), ['consumers[0].plugins[0].consumer'], 'located at the consumer key')
})
