// config diff on a file that does not load: its errors are printed, but a secret Kong's
// uniqueness message quotes (a duplicated key-auth key) is masked there too, text and --json.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { configCommand } from '../../src/cli/config-commands.js'

const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-diff-errors-'))
writeFileSync(join(dir, 'good.yml'), '_format_version: "3.0"\nconsumers:\n- username: bob\n')
writeFileSync(
  join(dir, 'dup.yml'),
  '_format_version: "3.0"\nconsumers:\n- username: bob\n  keyauth_credentials:\n  - key: TOPSECRET-1\n  - key: TOPSECRET-1\n- username: bob\n',
)

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await configCommand(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: dir })
  return { code, stdout, stderr }
}

t.test('a duplicated secret is masked in the errors of a file that does not load', async (t) => {
  for (const json of [false, true]) {
    const res = await run('diff', 'good.yml', 'dup.yml', ...(json ? ['--json'] : []))
    const out = res.stdout + res.stderr
    t.equal(res.code, 2, `exit 2${json ? ' (--json)' : ''}`)
    t.notMatch(out, 'TOPSECRET', `the key is not printed${json ? ' (--json)' : ''}`)
    t.match(out, "'keyauth_credentials' entity with key set to '******' already declared", 'the error is still there, masked')
    t.match(out, "'consumers' entity with username set to 'bob' already declared", 'a value that is no secret is shown')
  }
  // config parse prints Kong's message as Kong does: only the diff promises no secret.
  t.match((await run('parse', 'dup.yml')).stderr, 'TOPSECRET-1')
})

t.test('a file that does not load, given as both A and B, has its errors printed once', async (t) => {
  const text = await run('diff', 'dup.yml', 'dup.yml')
  t.equal(text.code, 2)
  t.equal(text.stderr.split("'consumers' entity with username set to 'bob'").length - 1, 2, 'once in the located lines, once in the tree')
  const json = await run('diff', 'dup.yml', './dup.yml', '--json')
  t.equal((JSON.parse(json.stdout) as { errors: unknown[] }).errors.length, 2, 'two errors, not four')
})
