/** Reading files that may be hostile: only regular files, and never more than a bound. */
import { constants, type Stats } from 'node:fs'
import { open } from 'node:fs/promises'

/** A file that was not read, with why in words. */
export class FileReadError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly code?: string,
  ) {
    super(`cannot read ${path}: ${reason}`)
    this.name = 'FileReadError'
  }
}

/** The kinds of file that are not regular files, in words (`a FIFO`), with their test. */
export const KINDS: readonly [string, (s: Stats) => boolean][] = [
  ['a directory', (s) => s.isDirectory()],
  ['a FIFO', (s) => s.isFIFO()],
  ['a character device', (s) => s.isCharacterDevice()],
  ['a block device', (s) => s.isBlockDevice()],
  ['a socket', (s) => s.isSocket()],
]

/**
 * Reads a regular file of at most `maxBytes`. Opened non-blocking so a FIFO cannot hang the
 * reader; a device (`/dev/zero` behind a symlink) or a file larger than the bound is refused
 * after reading at most `maxBytes + 1` bytes.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Buffer> {
  let handle
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw new FileReadError(path, e.code ?? e.message, e.code)
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) {
      const kind = KINDS.find(([, test]) => test(stat))?.[0] ?? 'not a regular file'
      throw new FileReadError(path, `it is ${kind}, not a regular file`)
    }
    if (stat.size > maxBytes) throw new FileReadError(path, `it is ${stat.size} bytes, over the limit of ${maxBytes}`)
    // One byte more than the file holds tells whether it grew while being read.
    const buffer = Buffer.alloc(Math.min(maxBytes, stat.size) + 1)
    let length = 0
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length)
      if (bytesRead === 0) break
      length += bytesRead
    }
    if (length > maxBytes) throw new FileReadError(path, `it is over the limit of ${maxBytes} bytes`)
    if (length > stat.size) throw new FileReadError(path, 'it changed while being read')
    return buffer.subarray(0, length)
  } finally {
    await handle.close()
  }
}
