// The access log writes one JSON line per entry under the prefix, is silent when off, and never
// throws when its file cannot be written.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { openAccessLog, type AccessEntry } from '../../src/runloop/access-log.js'

const entry: AccessEntry = {
  method: 'GET',
  path: '/a?b=1',
  status: 200,
  client_ip: '127.0.0.1',
  request_id: 'f'.repeat(32),
  route_id: 'r1',
  service_id: 's1',
  latencies: { request: 3, kong: 1, proxy: 2 },
  upstream: '127.0.0.1:8080',
  tries: 1,
}

t.test('lines go to a file under the prefix, one JSON object each', async (t) => {
  const prefix = mkdtempSync(join(tmpdir(), 'kong-dbless-access-'))
  const log = await openAccessLog('logs/access.log', prefix)
  log.write(entry)
  log.write({ ...entry, status: 404, route_id: undefined, service_id: undefined, path: '/q"uote\\back\u0001' })
  log.write({ ...entry, path: '/caf\u00e9\u007f' })
  await log.close()
  const lines = readFileSync(join(prefix, 'logs', 'access.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  t.equal(lines.length, 3)
  t.match(lines[0], { method: 'GET', path: '/a?b=1', status: 200, route_id: 'r1', latencies: { request: 3, kong: 1, proxy: 2 }, time: /^\d{4}-\d\d-\d\dT/ })
  t.match(lines[1], { status: 404, path: '/q"uote\\back\u0001' }, 'a path with quotes, backslashes and control characters stays valid JSON')
  t.match(lines[2], { path: '/caf\u00e9\u007f' }, 'and one with non-ASCII characters and DEL')
  t.notOk('route_id' in (lines[1] ?? {}), 'absent ids are left out')
  t.equal(log.dropped, 0)
})

t.test('off writes nothing; a path that cannot be opened drops lines without throwing', async (t) => {
  const off = await openAccessLog(undefined, '/nonexistent')
  off.write(entry)
  t.equal(off.dropped, 0)
  const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-access-'))
  writeFileSync(join(dir, 'file'), '')
  // A path below a regular file can never be created.
  const broken = await openAccessLog(join(dir, 'file', 'access.log'), dir)
  t.match(broken.problem, /file\/access.log: E(NOTDIR|EXIST)/, 'the reason is known, with the path')
  t.doesNotThrow(() => broken.write(entry))
  t.equal(broken.dropped, 1, 'the line is counted as lost')
  await broken.close()
})

t.test('with light traffic a line reaches the file without waiting for more', async (t) => {
  const prefix = mkdtempSync(join(tmpdir(), 'kong-dbless-access-'))
  const log = await openAccessLog('access.log', prefix)
  t.teardown(() => log.close())
  log.write(entry)
  const path = join(prefix, 'access.log')
  const deadline = Date.now() + 5000
  while (Date.now() < deadline && readFileSync(path, 'utf8') === '') await new Promise((resolve) => setTimeout(resolve, 50))
  t.match(readFileSync(path, 'utf8'), /"request_id":"f{32}"/, 'flushed within the flush interval')
})
