/**
 * The hosts file as Kong's DNS client reads it: once, at start, answering before any DNS query.
 */
import { isIP } from 'node:net'
import { FileReadError, readRegularFile } from '../util/files.js'

/** The addresses a hosts file gives one name: the first of each family wins, as in Kong. */
export interface HostsEntry {
  readonly ipv4?: string
  /** Without brackets. */
  readonly ipv6?: string
}

/** Names (lower case) to their addresses. */
export type HostsTable = ReadonlyMap<string, HostsEntry>

/** Larger than any real hosts file; a bound so a wrong path cannot fill memory. */
const MAX_HOSTS_BYTES = 16 * 1024 * 1024

/** Parses hosts-file text: `ip name [alias...]` lines, `#` comments, names lower-cased; `localhost` always defined. */
export function parseHosts(text: string): HostsTable {
  const table = new Map<string, { ipv4?: string; ipv6?: string }>()
  for (const raw of text.split('\n')) {
    const [ip, ...names] = raw.replace(/#.*/, '').trim().toLowerCase().split(/\s+/)
    const family = isIP(ip ?? '')
    if (family === 0 || names.length === 0) continue
    for (const name of names) {
      let entry = table.get(name)
      if (!entry) table.set(name, (entry = {}))
      if (family === 4) entry.ipv4 ??= ip
      else entry.ipv6 ??= ip
    }
  }
  // RFC 6761 section 6.3: Kong defines localhost even when the file does not.
  if (!table.has('localhost')) table.set('localhost', { ipv4: '127.0.0.1', ipv6: '::1' })
  return table
}

/** Reads and parses a hosts file; a missing one gives only `localhost`, as Kong warns and goes on. */
export async function readHostsFile(path = '/etc/hosts'): Promise<HostsTable> {
  try {
    return parseHosts((await readRegularFile(path, MAX_HOSTS_BYTES)).toString('utf8'))
  } catch (err) {
    if (err instanceof FileReadError && err.code === 'ENOENT') return parseHosts('')
    throw err
  }
}
