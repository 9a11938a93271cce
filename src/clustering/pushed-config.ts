/**
 * What a data plane makes of a control plane's config_table before and after it validates it:
 * Kong's export carries collections this node does not keep (the `default` workspace, the
 * cluster's `parameters`), and the hash it reports is the one the control plane sent, once that
 * hash is known to describe the content.
 */
import { kongConfigHash } from './kong-hash.js'

/** Collections a Kong control plane exports that a data plane of this node accepts and does not keep. */
const DROPPED = ['workspaces', 'parameters'] as const

/**
 * The declarative document a config_table loads as: `workspaces` (only `default`, OSS Kong's
 * one workspace) and `parameters` (the cluster id) left out, and plugins' `ordering` and
 * `consumer_group` when null; a problem when the table asks for what this node cannot serve.
 */
export function dataPlaneDocument(table: Readonly<Record<string, unknown>>): { readonly doc: Record<string, unknown> } | { readonly problem: string } {
  const workspaces = table.workspaces
  if (workspaces !== undefined && workspaces !== null) {
    if (!Array.isArray(workspaces)) return { problem: 'config_table.workspaces: expected an array' }
    const nameOf = (w: unknown): unknown => (w !== null && typeof w === 'object' ? (w as { name?: unknown }).name : w)
    const other: unknown = (workspaces as unknown[]).find((w) => nameOf(w) !== 'default')
    if (other !== undefined) return { problem: `config_table.workspaces: only the 'default' workspace is served, got ${JSON.stringify(nameOf(other) ?? null)}` }
  }
  const doc: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(table)) if (!(DROPPED as readonly string[]).includes(key)) doc[key] = value
  if (Array.isArray(doc.plugins)) {
    const plugins: unknown[] = []
    for (const [i, plugin] of (doc.plugins as unknown[]).entries()) {
      if (plugin === null || typeof plugin !== 'object' || Array.isArray(plugin)) {
        plugins.push(plugin)
        continue
      }
      const record = { ...(plugin as Record<string, unknown>) }
      for (const field of UNSERVED_PLUGIN_FIELDS) {
        if (record[field] === null || record[field] === undefined) delete record[field]
        else return { problem: `config_table.plugins[${i}].${field}: set on plugin '${String(record.name)}', but this node does not serve ${field === 'ordering' ? 'dynamic plugin ordering' : 'consumer groups'}` }
      }
      plugins.push(record)
    }
    doc.plugins = plugins
  }
  return { doc }
}

/** Plugin fields Kong's export always writes (null unless set) that name features this node does not run. */
const UNSERVED_PLUGIN_FIELDS = ['ordering', 'consumer_group'] as const

/**
 * The hash a pushed config runs under. A hash sent by the control plane must describe the
 * content, by either algorithm a control plane uses: this node's content hash (what our control
 * plane sends: every node then reports what `config hash` prints for the control plane's file)
 * or Kong's hybrid hash of config_table (what Kong's control plane sends). Without one, the
 * content hash. With `verify` off, a hash that describes neither is taken as sent, with a warning:
 * a Kong control plane newer than this node's Kong version adapts config_table to it after
 * hashing, so its hash describes the table before that.
 */
export function pushedHash(
  sent: string | undefined,
  contentHash: string,
  table: Readonly<Record<string, unknown>>,
  verify: boolean,
): { readonly hash: string; readonly warning?: string } | { readonly problem: string } {
  if (sent === undefined || sent === contentHash) return { hash: contentHash }
  const kong = kongConfigHash(table).config
  if (sent === kong) return { hash: sent }
  const mismatch = `config_hash ${sent} does not match the configuration sent (its content hash is ${contentHash}, its Kong hybrid hash ${kong})`
  if (!verify) return { hash: sent, warning: `${mismatch}; taken as sent (cluster_verify_config_hash = off)` }
  return { problem: `${mismatch}; a Kong control plane newer than this node's Kong version sends the hash of the configuration before adapting it to this node: set cluster_verify_config_hash = off to take such pushes` }
}
