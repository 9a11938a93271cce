/**
 * Kong's hybrid-mode compatibility checks (kong/clustering/compat/init.lua): whether a data
 * plane's Kong version may connect to a control plane, and whether the plugins a control plane
 * has configured can be pushed to it. Pure: results carry Kong's own log messages and sync statuses.
 */
import { luaNumberToString } from './kong-hash.js'
import { type PluginVersion } from './protocol.js'

/** The numeric parts of a Kong version; suffixes such as `-enterprise-version` are ignored. */
export interface KongVersion {
  readonly major: number
  readonly minor: number
  readonly patch: number
}

const VERSION = /^(\d+)\.(\d+)\.(\d+)/

/** Reads `major.minor.patch` from the start of a version text, as Kong's pattern does; undefined if it does not start so. */
export function parseKongVersion(text: unknown): KongVersion | undefined {
  if (typeof text !== 'string') return undefined
  const m = VERSION.exec(text)
  if (!m) return undefined
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) }
}

/** The outcome of the Kong version check; `note` is Kong's info-level log line for an older data plane minor. */
export type KongVersionCheck =
  | { readonly ok: true; readonly note?: string }
  | { readonly ok: false; readonly status: 'kong_version_incompatible'; readonly message: string }

/**
 * Kong's `check_kong_version_compatibility`: the majors must be equal and the data plane's minor
 * no newer than the control plane's; patch versions never matter.
 */
export function checkKongVersion(cpVersion: string, dpVersion: string): KongVersionCheck {
  const cp = parseKongVersion(cpVersion)
  const dp = parseKongVersion(dpVersion)
  const refuse = (message: string): KongVersionCheck => ({ ok: false, status: 'kong_version_incompatible', message })
  if (!cp) return refuse(`data plane version ${dpVersion} is incompatible with control plane version`)
  const accepted = `(${luaNumberToString(cp.major)}.x.y are accepted)`
  if (!dp) return refuse(`data plane version is incompatible with control plane version ${cpVersion} ${accepted}`)
  if (cp.major !== dp.major) return refuse(`data plane version ${dpVersion} is incompatible with control plane version ${cpVersion} ${accepted}`)
  if (cp.minor < dp.minor) return refuse(`data plane version ${dpVersion} is incompatible with older control plane version ${cpVersion}`)
  if (cp.minor !== dp.minor) return { ok: true, note: `data plane minor version ${dpVersion} is different to control plane minor version ${cpVersion}` }
  return { ok: true }
}

/** A plugin's version as Kong keeps it; null when it does not parse (Kong: unspecified). */
interface PluginEntry {
  readonly version: string
  readonly major: number
  readonly minor: number
}

/** Kong's `plugins_list_to_map`: by name, the last entry of a name winning. */
function pluginMap(plugins: readonly PluginVersion[]): Map<string, PluginEntry | null> {
  const map = new Map<string, PluginEntry | null>()
  for (const p of plugins) {
    const v = parseKongVersion(p.version)
    map.set(p.name, v ? { version: p.version, major: v.major, minor: v.minor } : null)
  }
  return map
}

/** The outcome of the check before a push. */
export type PluginCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 'plugin_set_incompatible' | 'plugin_version_incompatible'; readonly message: string }

/**
 * Kong's `check_configuration_compatibility` for plugins: each plugin the control plane has
 * configured (name and the control plane's version of it) must run on the data plane with the
 * same major and a minor no newer than the control plane's. The first failure is returned.
 */
export function checkConfiguredPlugins(configured: readonly PluginVersion[], dpPlugins: readonly PluginVersion[]): PluginCheck {
  const dpMap = pluginMap(dpPlugins)
  for (const [name, cp] of pluginMap(configured)) {
    const dp = dpMap.get(name)
    if (dp === undefined) {
      const message = cp ? `configured ${name} plugin ${cp.version} is missing from data plane` : `configured ${name} plugin is missing from data plane`
      return { ok: false, status: 'plugin_set_incompatible', message }
    }
    if (!cp || !dp) continue
    // opentelemetry shipped as 0.1.0 and kept that number for releases; Kong accepts it as any version.
    if (name === 'opentelemetry' && dp.major === 0 && dp.minor === 1) continue
    if (cp.major !== dp.major || cp.minor < dp.minor) {
      return {
        ok: false,
        status: 'plugin_version_incompatible',
        message: `configured data plane ${name} plugin version ${dp.version} is different to control plane plugin version ${cp.version}`,
      }
    }
  }
  return { ok: true }
}

/** A line Kong logs about a data plane's plugins at handshake, with Kong's level. */
export interface CompatNote {
  readonly level: 'warn' | 'notice' | 'info'
  readonly message: string
}

/**
 * The plugin half of Kong's `check_version_compatibility` at handshake: it never refuses a data
 * plane, it only logs. For every plugin the control plane runs: missing on the data plane or a
 * different major is a warning, a different minor is info, a version known on one side only a notice.
 */
export function checkHandshakePlugins(cpPlugins: readonly PluginVersion[], dpPlugins: readonly PluginVersion[]): CompatNote[] {
  const dpMap = pluginMap(dpPlugins)
  const notes: CompatNote[] = []
  for (const [name, cp] of pluginMap(cpPlugins)) {
    const dp = dpMap.get(name)
    if (dp === undefined) {
      const message = cp ? `${name} plugin ${cp.version} is missing from data plane` : `${name} plugin is missing from data plane`
      notes.push({ level: 'warn', message })
    } else if (cp && dp) {
      const message = `data plane ${name} plugin version ${dp.version} is different to control plane plugin version ${cp.version}`
      if (cp.major !== dp.major) notes.push({ level: 'warn', message })
      else if (cp.minor !== dp.minor) notes.push({ level: 'info', message })
    } else if (dp) {
      notes.push({ level: 'notice', message: `data plane ${name} plugin version ${dp.version} has unspecified version on control plane` })
    } else if (cp) {
      notes.push({ level: 'notice', message: `data plane ${name} plugin version is unspecified, and is different to control plane plugin version ${cp.version}` })
    }
  }
  return notes
}
