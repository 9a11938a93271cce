// Vault references taken apart as Kong's kong.vault.parse_reference does, and the env vault's
// variable names.
import t from 'tap'
import { envVariableName } from '../../../src/declarative/vault/env-vault.js'
import { isReference, parseReference } from '../../../src/declarative/vault/reference.js'

t.test('references parse into name, resource, key, config and version', async (t) => {
  const cases: { desc: string; ref: string; want: unknown }[] = [
    { desc: 'env by type name', ref: '{vault://env/my-secret}', want: { name: 'env', resource: 'my-secret', config: {} } },
    { desc: 'a subkey', ref: '{vault://env/creds/password}', want: { name: 'env', resource: 'creds', key: 'password', config: {} } },
    { desc: 'a deeper path: the last part is the key', ref: '{vault://my-vault/a/b/c}', want: { name: 'my-vault', resource: 'a/b', key: 'c', config: {} } },
    { desc: 'a trailing slash reads a directory', ref: '{vault://env/a/b/}', want: { name: 'env', resource: 'a/b', config: {} } },
    { desc: 'escapes are decoded', ref: '{vault://env/a%20b}', want: { name: 'env', resource: 'a b' } },
    { desc: 'query config', ref: '{vault://env/x?prefix=app_}', want: { resource: 'x', config: { prefix: 'app_' } } },
    { desc: 'a version', ref: '{vault://env/x#2}', want: { resource: 'x', version: 2 } },
  ]
  for (const c of cases) t.match(parseReference(c.ref), c.want, c.desc)
  t.notOk('key' in (parseReference('{vault://env/x}') as object), 'no key for a single part')
})

t.test("what is not a reference, or a broken one, says why in Kong's words", async (t) => {
  const cases: { desc: string; ref: string; want: RegExp }[] = [
    { desc: 'not braced', ref: 'vault://env/x', want: /^not a reference/ },
    { desc: 'no path', ref: '{vault://env}', want: /^reference url has empty path/ },
    { desc: 'empty path', ref: '{vault://env/}', want: /^reference url has empty path/ },
    { desc: 'no host', ref: '{vault:///x}', want: /^reference url is missing host/ },
    { desc: 'bad version', ref: '{vault://env/x#two}', want: /^reference url has invalid version/ },
    { desc: 'bad escape', ref: '{vault://env/%zz}', want: /^reference url has invalid path/ },
  ]
  for (const c of cases) t.match(parseReference(c.ref), c.want, c.desc)
  t.equal(isReference('{vault://env/x}'), true, 'a reference')
  t.equal(isReference('{vault://env/x'), false, 'unterminated')
  t.equal(isReference(42), false, 'not a string')
})

t.test("the env vault's variable: prefix, dashes to underscores, upper case, _PREVIOUS for version 2", async (t) => {
  t.equal(envVariableName('my-secret', undefined), 'MY_SECRET')
  t.equal(envVariableName('secret', 'app-'), 'APP_SECRET')
  t.equal(envVariableName('secret', null), 'SECRET', 'a null prefix is no prefix')
  t.equal(envVariableName('secret', undefined, 2), 'SECRET_PREVIOUS')
  t.equal(envVariableName('secret', undefined, 1), 'SECRET', 'other versions read the current value')
})
