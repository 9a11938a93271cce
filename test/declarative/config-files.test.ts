// Reading what declarative_config names: files and directories in order, within one bound, and
// every path that cannot be read as one message naming it.
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigReadError, configPaths, readConfigFiles } from '../../src/declarative/config-files.js'
import { ConfigParseError } from '../../src/declarative/errors.js'
import { DEFAULT_LIMITS } from '../../src/declarative/parse.js'

const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-config-files-'))
const DOC = '_format_version: "3.0"\n'
mkdirSync(join(dir, 'd', 'sub.yml'), { recursive: true })
for (const name of ['b.yaml', 'a.yml', 'c.json', '.hidden.yml', 'notes.txt', 'yml', '10-x.yml']) writeFileSync(join(dir, 'd', name), name.endsWith('.json') ? '{}' : DOC)
mkdirSync(join(dir, 'empty'))
writeFileSync(join(dir, 'top.yml'), DOC)
// As a Kubernetes ConfigMap is mounted: a link to a file in a hidden directory.
mkdirSync(join(dir, 'd', '..data'))
writeFileSync(join(dir, 'd', '..data', 'link.yml'), DOC)
symlinkSync(join('..data', 'link.yml'), join(dir, 'd', 'link.yml'))
writeFileSync(join(dir, 'kong.txt'), DOC)

const read = (value: string, limits = DEFAULT_LIMITS): Promise<unknown> => readConfigFiles(configPaths(value, dir), limits).catch((e: unknown) => e)

t.test('a directory gives its config files by name; files and directories keep their order', async (t) => {
  const texts = (await read('top.yml, d')) as { source: string; format: string }[]
  t.same(
    texts.map((x) => [x.source, x.format]),
    [
      ['top.yml', 'yaml'],
      ['d/10-x.yml', 'yaml'],
      ['d/a.yml', 'yaml'],
      ['d/b.yaml', 'yaml'],
      ['d/c.json', 'json'],
      ['d/link.yml', 'yaml'],
    ],
    'links are followed; hidden files, other extensions and subdirectories are left alone',
  )
})

t.test('what cannot be read is one error naming it, in words', async (t) => {
  const cases: { value: string; message: string }[] = [
    { value: 'missing.yml', message: 'cannot read missing.yml: ENOENT: no such file or directory' },
    { value: 'top.yml/x.yml', message: 'cannot read top.yml/x.yml: ENOTDIR: a part of the path is not a directory' },
    { value: 'empty', message: 'cannot read empty: it is a directory with no .yml, .yaml or .json file' },
    { value: '  ,  ', message: 'no declarative configuration file named' },
  ]
  for (const c of cases) {
    const err = await read(c.value)
    t.type(err, ConfigReadError, c.value)
    t.equal((err as ConfigReadError).reason, c.message, c.value)
  }
  const type = await read('kong.txt')
  t.type(type, ConfigParseError)
  t.match(type, { reason: /unknown file type: kong\.txt/ }, "a file's type is Kong's rule")
  if (process.getuid?.() !== 0) {
    writeFileSync(join(dir, 'locked.yml'), DOC)
    chmodSync(join(dir, 'locked.yml'), 0)
    t.match(await read('locked.yml'), { reason: 'cannot read locked.yml: EACCES: permission denied' })
  }
})

t.test('the files together stay within one config bound', async (t) => {
  const limits = { ...DEFAULT_LIMITS, maxBytes: DOC.length * 2 + 1 }
  t.equal(((await read('top.yml, d/a.yml', limits)) as unknown[]).length, 2, 'two files within the bound')
  t.match(await read('top.yml, d/a.yml, d/b.yaml', limits), { source: 'd/b.yaml', reason: `cannot read d/b.yaml: it brings the files over the limit of ${limits.maxBytes} bytes in all` })
})

t.test('a file reached twice is one error naming both names, not a duplicate of every entity in it', async (t) => {
  mkdirSync(join(dir, 'twice'))
  writeFileSync(join(dir, 'twice', 'a.yml'), DOC)
  mkdirSync(join(dir, 'aliased'))
  writeFileSync(join(dir, 'aliased', 'a.yml'), DOC)
  symlinkSync('a.yml', join(dir, 'aliased', 'b.yml'))
  const cases: { value: string; message: string }[] = [
    { value: 'top.yml, top.yml', message: 'cannot read top.yml: it was already read as top.yml (name each file once)' },
    { value: 'twice, twice', message: 'cannot read twice/a.yml: it was already read as twice/a.yml (name each file once)' },
    { value: 'twice/a.yml, twice', message: 'cannot read twice/a.yml: it was already read as twice/a.yml (name each file once)' },
    { value: 'twice, ./twice', message: 'cannot read twice/a.yml: it was already read as twice/a.yml (name each file once)' },
    { value: 'aliased', message: 'cannot read aliased/b.yml: it was already read as aliased/a.yml (name each file once)' },
  ]
  for (const c of cases) {
    const err = await read(c.value)
    t.type(err, ConfigReadError, c.value)
    t.equal((err as ConfigReadError).reason, c.message, c.value)
  }
})

t.test('a link to a directory inside a directory is left alone, as a subdirectory is', async (t) => {
  mkdirSync(join(dir, 'linked', 'real.yml'), { recursive: true })
  writeFileSync(join(dir, 'linked', 'a.yml'), DOC)
  symlinkSync('real.yml', join(dir, 'linked', 'to-dir.yml'))
  symlinkSync('nowhere.yml', join(dir, 'linked', 'dangling.yml'))
  t.match(await read('linked'), { reason: 'cannot read linked/dangling.yml: ENOENT: no such file or directory' }, 'a dangling link is still an error naming it')
  unlinkSync(join(dir, 'linked', 'dangling.yml'))
  t.same(((await read('linked')) as { source: string }[]).map((x) => x.source), ['linked/a.yml'])
})
