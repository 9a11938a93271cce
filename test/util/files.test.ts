import { execFileSync } from 'node:child_process'
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { FileReadError, readRegularFile } from '../../src/util/files.js'

const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-files-'))

t.test('only regular files are read, and never more than the bound', async (t) => {
  writeFileSync(join(dir, 'ok.yml'), 'hello')
  t.equal((await readRegularFile(join(dir, 'ok.yml'), 5)).toString(), 'hello', 'a file at the bound')
  await t.rejects(readRegularFile(join(dir, 'ok.yml'), 4), new FileReadError(join(dir, 'ok.yml'), 'it is 5 bytes, over the limit of 4'))
  symlinkSync('/dev/zero', join(dir, 'zero.yml'))
  await t.rejects(readRegularFile(join(dir, 'zero.yml'), 1024), new FileReadError(join(dir, 'zero.yml'), 'it is a character device, not a regular file'), 'a symlink to /dev/zero')
  await t.rejects(readRegularFile(dir, 1024), new FileReadError(dir, 'it is a directory, not a regular file'))
  await t.rejects(readRegularFile(join(dir, 'missing.yml'), 1024), new FileReadError(join(dir, 'missing.yml'), 'ENOENT', 'ENOENT'))
})

t.test('a FIFO is refused at once instead of waiting for a writer', async (t) => {
  const fifo = join(dir, 'pipe.yml')
  try {
    execFileSync('mkfifo', [fifo])
  } catch {
    t.skip('mkfifo is not available here', () => undefined)
    return
  }
  await t.rejects(readRegularFile(fifo, 1024), new FileReadError(fifo, 'it is a FIFO, not a regular file'))
})
