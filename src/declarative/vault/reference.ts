/** Kong's vault references, `{vault://<name-or-prefix>/<resource>[/<key>][?config][#version]}`: recognized and parsed. */

/** A reference taken apart, as Kong's kong.vault.parse_reference returns it. */
export interface ParsedReference {
  /** The vault type (`env`) or a vault entity's prefix. */
  readonly name: string
  /** What to fetch from the vault (an environment variable's name, before the vault's prefix). */
  readonly resource: string
  /** A key inside the fetched value, read as a flat JSON object. */
  readonly key?: string
  /** Vault config given in the query string, overriding the vault's own. */
  readonly config: Readonly<Record<string, string>>
  /** The secret's version from the fragment; 2 means the previous one. */
  readonly version?: number
}

/** Kong's is_reference: `{vault://` at the start and `}` at the end. */
export function isReference(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('{vault://') && value.endsWith('}')
}

/** Parses a reference; a string is Kong's message for why it is not one. */
export function parseReference(reference: string): ParsedReference | string {
  if (!isReference(reference)) return `not a reference [${String(reference)}]`
  let url: URL
  try {
    url = new URL(reference.slice(1, -1))
  } catch (err) {
    return `reference is not url (${(err as Error).message}) [${reference}]`
  }
  const name = url.hostname
  if (name === '') return `reference url is missing host [${reference}]`
  const path = url.pathname
  if (path === '' || path === '/') return `reference url has empty path [${reference}]`
  let version: number | undefined
  if (url.hash !== '') {
    const text = url.hash.slice(1)
    version = /^\d+$/.test(text) ? Number(text) : NaN
    if (Number.isNaN(version)) return `reference url has invalid version [${reference}]`
  }
  const parts = path.slice(1).split('/').filter((p) => p !== '')
  if (parts.length === 0) return `reference url has invalid path [${reference}]`
  let decoded: string[]
  try {
    decoded = parts.map((p) => decodeURIComponent(p))
  } catch {
    return `reference url has invalid path [${reference}]`
  }
  const directory = path.endsWith('/')
  const single = decoded.length === 1 || directory
  const config: Record<string, string> = {}
  for (const [k, v] of url.searchParams) config[k] = v
  return {
    name,
    resource: single ? decoded.join('/') : decoded.slice(0, -1).join('/'),
    ...(single ? {} : { key: decoded[decoded.length - 1] }),
    config,
    ...(version === undefined ? {} : { version }),
  }
}
