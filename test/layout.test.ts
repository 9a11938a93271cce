// The README's layout map, enforced: each folder of src/ imports only what the map allows, the
// composition root (server/) is imported by nothing but the entry point, and the README lists
// every folder.
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SRC = join(ROOT, 'src')

/** What each part of src/ may import (besides itself); a part is a folder or a file at the top. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  'util': [],
  'log.ts': [],
  'version.ts': [],
  'declarative': ['util'],
  'plugins': ['declarative'],
  'stores': ['util'],
  'balancer': ['declarative', 'util'],
  'runtime': ['balancer', 'declarative', 'router', 'tls'],
  'router': ['declarative', 'util'],
  'conf': ['log.ts', 'util'],
  'tls': ['conf', 'declarative', 'log.ts', 'util'],
  'http': ['conf', 'declarative', 'log.ts', 'tls', 'version.ts'],
  'node': ['balancer', 'conf', 'declarative', 'http', 'log.ts', 'stores'],
  'loader': ['clustering', 'declarative', 'http', 'log.ts', 'plugins', 'util'],
  'clustering': ['conf', 'declarative', 'http', 'log.ts', 'node', 'plugins', 'tls', 'util', 'version.ts'],
  'proxy': ['http', 'util'],
  'status': ['declarative', 'http', 'node', 'stores', 'version.ts'],
  'admin': ['declarative', 'http', 'loader', 'node', 'plugins', 'status', 'util', 'version.ts'],
  'runloop': ['balancer', 'conf', 'declarative', 'http', 'log.ts', 'proxy', 'router', 'runtime', 'util', 'version.ts'],
  'workers': ['balancer', 'conf', 'declarative', 'http', 'log.ts', 'node', 'proxy', 'runloop', 'runtime', 'stores', 'tls', 'util', 'version.ts'],
  'cli': ['conf', 'declarative', 'node', 'plugins', 'tls', 'util', 'version.ts'],
  'server': ['admin', 'clustering', 'conf', 'declarative', 'http', 'loader', 'log.ts', 'node', 'plugins', 'runloop', 'runtime', 'status', 'stores', 'tls', 'util', 'version.ts', 'workers'],
  'cli.ts': ['cli', 'server'],
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

/** The top-level part of src/ a path lies in (an import's `.js` names the `.ts` source). */
function partOf(path: string): string {
  const [first = ''] = relative(SRC, path).split('/')
  return first.replace(/\.js$/, '.ts')
}

/** Relative specifiers a source imports, statically or dynamically (type-only imports count). */
function importsOf(text: string): string[] {
  const found: string[] = []
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)'(\.[^']+)'/gm)) found.push(m[1])
  return found
}

const edges: { from: string; to: string; file: string }[] = []
for (const file of sources(SRC)) {
  for (const spec of importsOf(readFileSync(file, 'utf8'))) {
    const to = partOf(resolve(dirname(file), spec))
    const from = partOf(file)
    if (to !== from) edges.push({ from, to, file: relative(ROOT, file) })
  }
}

t.test('every part of src/ is in the map', async (t) => {
  const parts = readdirSync(SRC)
  t.same(parts.filter((p) => !(p in MAY_IMPORT)), [], 'parts the map does not know')
  t.same(Object.keys(MAY_IMPORT).filter((p) => !parts.includes(p)), [], 'map entries with no part')
})

t.test('imports point the way the map says', async (t) => {
  t.ok(edges.length > 50, 'the scan finds the imports')
  const wrong = edges.filter((e) => !(MAY_IMPORT[e.from] ?? []).includes(e.to)).map((e) => `${e.file} imports ${e.to}`)
  t.same(wrong, [])
})

t.test('nothing but the entry point imports the composition root', async (t) => {
  t.same(
    edges.filter((e) => e.to === 'server' && e.from !== 'cli.ts').map((e) => e.file),
    [],
  )
})

t.test("the README's layout map names every folder", async (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const layout = readme.slice(readme.indexOf('### Layout'))
  for (const part of Object.keys(MAY_IMPORT)) {
    if (part.endsWith('.ts')) continue
    t.match(layout, `\`src/${part}/\``, `src/${part}/`)
  }
})

t.test('the README lists every setting', async (t) => {
  const { describeSettings } = await import('../src/conf/settings.js')
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  for (const { name } of describeSettings()) t.match(readme, `| \`${name}\` |`, name)
})
