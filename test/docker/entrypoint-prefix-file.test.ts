// The entrypoint reads KONG_PREFIX_FILE itself (to ready the prefix) before the node does: a
// FIFO named by mistake must not block it, so the node can refuse it with its one line.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import t from 'tap'
import { ENTRYPOINT, imageRoot, run } from '../helpers/image.js'

t.test('kong docker-start with KONG_PREFIX_FILE naming a FIFO: one line and exit 1, no hang', async (t) => {
  const image = await imageRoot()
  const fifo = join(image.dir, 'prefix-fifo')
  spawnSync('mkfifo', [fifo])
  const { KONG_PREFIX: _, ...env } = image.env
  const res = await Promise.race([
    run(ENTRYPOINT, ['kong', 'docker-start'], { ...env, KONG_PREFIX_FILE: fifo }),
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000).unref()),
  ])
  if (res === 'hung') {
    // Unblock the reader so the test process can end.
    spawnSync('sh', ['-c', `: > '${fifo}'`])
    t.fail('the entrypoint blocked on the FIFO')
    return
  }
  t.equal(res.code, 1)
  t.equal(res.stderr, `Error: KONG_PREFIX_FILE: cannot read ${fifo}: not a regular file (a FIFO)\n`)
})
