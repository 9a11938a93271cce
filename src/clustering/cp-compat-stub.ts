/**
 * A stand-in for compat.ts (Kong's `kong/clustering/compat/init.lua` checks), written by another
 * branch: the same signatures, so the control plane swaps one import when both are merged.
 * Versions are read as Kong reads them: `^(\d+)\.(\d+)\.\d+`, any suffix allowed.
 */
import type { PluginVersion } from './protocol.js'

const MAJOR_MINOR = /^(\d+)\.(\d+)\.\d+/

/** Major and minor of a version, or undefined when it does not read as one. */
function majorMinor(version: string): { major: number; minor: number } | undefined {
  const m = MAJOR_MINOR.exec(version)
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined
}

/** Whether a data plane of version `dp` may be served by a control plane of version `cp`; `note` is Kong's info line for an older minor. */
export function checkKongVersion(cp: string, dp: string): { ok: true; note?: string } | { ok: false; status: 'kong_version_incompatible'; message: string } {
  const c = majorMinor(cp)
  const d = majorMinor(dp)
  if (!c) return { ok: false, status: 'kong_version_incompatible', message: `data plane version ${dp} is incompatible with control plane version` }
  if (!d) return { ok: false, status: 'kong_version_incompatible', message: `data plane version is incompatible with control plane version ${cp} (${c.major}.x.y are accepted)` }
  if (c.major !== d.major) {
    return { ok: false, status: 'kong_version_incompatible', message: `data plane version ${dp} is incompatible with control plane version ${cp} (${c.major}.x.y are accepted)` }
  }
  if (c.minor < d.minor) return { ok: false, status: 'kong_version_incompatible', message: `data plane version ${dp} is incompatible with older control plane version ${cp}` }
  if (c.minor !== d.minor) return { ok: true, note: `data plane minor version ${dp} is different to control plane minor version ${cp}` }
  return { ok: true }
}

/** Whether a data plane runs every plugin the control plane's config uses, in a version that can take its config. */
export function checkConfiguredPlugins(
  configured: readonly PluginVersion[],
  dp: readonly PluginVersion[],
): { ok: true } | { ok: false; status: 'plugin_set_incompatible' | 'plugin_version_incompatible'; message: string } {
  const onDp = new Map(dp.map((p) => [p.name, p.version]))
  for (const plugin of configured) {
    const version = onDp.get(plugin.name)
    if (version === undefined) return { ok: false, status: 'plugin_set_incompatible', message: `configured ${plugin.name} plugin ${plugin.version} is missing from data plane` }
    const c = majorMinor(plugin.version)
    const d = majorMinor(version)
    // Kong's one exception: opentelemetry 0.1.x took any config its successors take.
    if (plugin.name === 'opentelemetry' && d?.major === 0 && d.minor === 1) continue
    if (c && d && (c.major !== d.major || c.minor < d.minor)) {
      return { ok: false, status: 'plugin_version_incompatible', message: `configured data plane ${plugin.name} plugin version ${version} is different to control plane plugin version ${plugin.version}` }
    }
  }
  return { ok: true }
}

/** What Kong logs at the handshake about the data plane's plugins: never a refusal. */
export function checkHandshakePlugins(cp: readonly PluginVersion[], dp: readonly PluginVersion[]): { level: 'info' | 'warn'; message: string }[] {
  const onDp = new Map(dp.map((p) => [p.name, p.version]))
  const notes: { level: 'info' | 'warn'; message: string }[] = []
  for (const plugin of cp) {
    const version = onDp.get(plugin.name)
    if (version === undefined) {
      notes.push({ level: 'info', message: `${plugin.name} plugin ${plugin.version} is missing from data plane` })
      continue
    }
    const c = majorMinor(plugin.version)
    const d = majorMinor(version)
    if (!c || !d || (c.major === d.major && c.minor === d.minor)) continue
    notes.push({ level: c.major !== d.major ? 'warn' : 'info', message: `data plane ${plugin.name} plugin version ${version} is different to control plane plugin version ${plugin.version}` })
  }
  return notes
}
