// The image's PID 1: tini, then the entrypoint, started as PID 1 of a new PID namespace (root only).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { eventually } from '../helpers/node.js'
import { CONFIG_A, ENTRYPOINT, imageRoot, startImage, statusHash } from '../helpers/image.js'

const root = process.getuid?.() === 0
const has = (command: string): boolean => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0
const pid1Skip = !root ? 'needs root (a new PID namespace)' : !has('unshare') ? 'needs unshare (util-linux)' : !has('tini') ? 'needs tini (apt-get install tini)' : false

/** Host pids of a process's children, from /proc (the field after the command name is the state, then the parent). */
function childrenOf(pid: number): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) out.push(Number(name))
    } catch {
      // gone meanwhile
    }
  }
  return out.sort((a, b) => a - b)
}

/** A process's State letter and its pid inside the innermost PID namespace. */
function procStatus(pid: number): { state: string; nspid: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return { state: /^State:\s+(\S)/m.exec(status)?.[1] ?? '', nspid: Number(/^NSpid:.*\s(\d+)$/m.exec(status)?.[1]) }
  } catch {
    return undefined
  }
}

/** Waits for the single process `unshare --fork` starts: the new namespace's PID 1. */
async function namespaceInit(unshare: ChildProcess): Promise<number> {
  let init: number | undefined
  await eventually(async () => (init = childrenOf(unshare.pid ?? -1)[0]) !== undefined)
  if (init === undefined) throw new Error('no process in the new namespace')
  return init
}

t.test('PID 1: tini forwards docker stop\'s signal to the node, which exits 0', { skip: pid1Skip }, async (t) => {
  for (const signal of ['SIGQUIT', 'SIGTERM'] as const) {
    const image = await imageRoot()
    const file = join(image.dir, 'kong.yml')
    writeFileSync(file, CONFIG_A)
    const unshare = await startImage('unshare', ['--pid', '--fork', '--mount-proc', 'tini', '--', ENTRYPOINT, 'kong', 'docker-start'], { ...image.env, KONG_DECLARATIVE_CONFIG: file })
    t.teardown(() => unshare.child.kill('SIGKILL'))
    const tini = await namespaceInit(unshare.child)
    t.equal(procStatus(tini)?.nspid, 1, 'tini is PID 1')
    const [node] = childrenOf(tini)
    t.equal(readFileSync(`/proc/${node}/comm`, 'utf8').trim(), 'node', 'the node is tini\'s child (the entrypoint exec\'d it)')
    t.ok(await statusHash(image.status), 'the node answers')
    process.kill(tini, signal)
    t.equal(await unshare.exit, 0, `${signal} to PID 1: the node stops and the container exits 0`)
    t.ok(unshare.logs.some((l) => l.signal === signal), `the node received ${signal}`)
  }
})

t.test('PID 1: an orphaned process is reaped under tini, and left a zombie without it', { skip: pid1Skip }, async (t) => {
  const image = await imageRoot()
  // The subshell exits at once, so `sleep 2` is orphaned to the namespace's PID 1; `exec "$@"` runs it.
  const orphanMaker = [ENTRYPOINT, 'sh', '-c', '(sleep 2 &); exec sleep 30']
  for (const withTini of [true, false]) {
    const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', ...(withTini ? ['tini', '--'] : []), ...orphanMaker], { env: image.env, stdio: 'ignore' })
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    t.teardown(() => child.kill('SIGKILL'))
    const init = await namespaceInit(child)
    // Under tini its first child runs the command; without it, PID 1 itself does.
    let main: number | undefined = init
    if (withTini) await eventually(async () => (main = childrenOf(init)[0]) !== undefined)
    let orphan: number | undefined
    t.ok(await eventually(async () => (orphan = childrenOf(init).find((pid) => pid !== main)) !== undefined), 'the orphan is PID 1\'s child')
    const orphanPid = orphan ?? -1
    if (withTini) {
      t.ok(await eventually(async () => procStatus(orphanPid) === undefined, 10_000), 'tini reaps it once it exits')
      process.kill(init, 'SIGTERM')
      t.equal(await exit, 128 + 15, 'tini exits 128 + the signal that ended its child')
    } else {
      t.ok(await eventually(async () => procStatus(orphanPid)?.state === 'Z', 10_000), 'a command as PID 1 leaves it a zombie (why the image runs tini)')
      process.kill(init, 'SIGKILL')
      await exit
    }
  }
})
