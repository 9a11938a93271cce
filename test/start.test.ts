import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import t from 'tap'
import { CLI, runBin } from './helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'kong-dbless-start-'))

interface Started {
  readonly child: ChildProcess
  readonly ports: Record<string, number>
  readonly lines: Record<string, unknown>[]
}

/** Starts the node on free ports and waits until both listeners report their port. */
function startNode(config: string): Promise<Started> {
  const child = spawn(process.execPath, [CLI, 'start'], {
    cwd: dir,
    env: { ...process.env, KONG_DECLARATIVE_CONFIG: config, KONG_PROXY_LISTEN: '127.0.0.1:0', KONG_STATUS_LISTEN: '127.0.0.1:0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: Record<string, unknown>[] = []
  const ports: Record<string, number> = {}
  return new Promise((resolve, reject) => {
    const onLine = (line: string): void => {
      const entry = JSON.parse(line) as Record<string, unknown>
      lines.push(entry)
      if (typeof entry.listener === 'string') ports[entry.listener] = entry.port as number
      if (ports.proxy && ports.status) resolve({ child, ports, lines })
    }
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', onLine)
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', onLine)
    child.on('exit', (code) => reject(new Error(`node exited early with ${code}`)))
  })
}

function stop(node: Started): Promise<number | null> {
  return new Promise((resolve) => {
    node.child.removeAllListeners('exit')
    node.child.on('exit', (code) => resolve(code))
    node.child.kill('SIGTERM')
  })
}

t.test('a started node reports the same hash as `config hash`, and is ready', async (t) => {
  writeFileSync(join(dir, 'kong.yml'), '_format_version: "3.0"\nservices:\n- name: s\n  url: http://127.0.0.1:9\n  routes:\n  - name: r\n    paths: [/]\n')
  const node = await startNode('kong.yml')
  const expected = (await runBin(['config', 'hash', 'kong.yml'], dir)).stdout.trim()
  const status = await fetch(`http://127.0.0.1:${node.ports.status}/status`)
  t.equal(status.status, 200)
  t.same(await status.json(), { database: { reachable: true }, configuration_hash: expected })
  const ready = await fetch(`http://127.0.0.1:${node.ports.status}/status/ready`)
  t.equal(ready.status, 200)
  const proxied = await fetch(`http://127.0.0.1:${node.ports.proxy}/anything`)
  t.equal(proxied.status, 404)
  t.same(await proxied.json(), { message: 'no Route matched with those values' })
  t.match(node.lines, [{ level: 'info', msg: 'configuration loaded', configuration_hash: expected }], 'logs the load as JSON')
  t.equal(await stop(node), 0, 'SIGTERM exits 0')
})

t.test('an invalid config does not stop the node: all-zeros hash, not ready, errors logged with lines', async (t) => {
  writeFileSync(join(dir, 'bad.yml'), '_format_version: "3.0"\nservices:\n- name: s\n  port: 99999\n')
  const node = await startNode('bad.yml')
  const status = await fetch(`http://127.0.0.1:${node.ports.status}/status`)
  t.match(await status.json(), { configuration_hash: '00000000000000000000000000000000' })
  const ready = await fetch(`http://127.0.0.1:${node.ports.status}/status/ready`)
  t.equal(ready.status, 503)
  t.match(await ready.json(), { message: 'declarative config bad.yml is invalid' })
  t.match(node.lines, [{ level: 'error', errors: [{ source: 'bad.yml', line: 3, path: 'services[0].host' }, { line: 4, path: 'services[0].port' }] }])
  t.equal(await stop(node), 0)
})
