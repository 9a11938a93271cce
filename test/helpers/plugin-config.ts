/** Loads one-plugin documents, for the bundled plugins' schema tests. */
import { load, loadError, yml } from './load.js'

/** One table row: a plugin's config and what loading it must give. */
export interface Row {
  readonly desc: string
  readonly config: Record<string, unknown>
  /** Extra plugin entity fields (`protocols`, `consumer`). */
  readonly entity?: Record<string, unknown>
  readonly expect: unknown
}

/** A document holding one global plugin (JSON is valid YAML flow). */
export function pluginDoc(name: string, config: Record<string, unknown>, entity: Record<string, unknown> = {}): string {
  const extra = Object.entries(entity).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}\n`)
  return yml(`plugins:\n- name: ${name}\n  config: ${JSON.stringify(config)}\n${extra.join('')}`)
}

/** The stored plugin entity of a valid one-plugin document. */
export async function loadedPlugin(name: string, config: Record<string, unknown>, entity?: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
  const s = await load(pluginDoc(name, config, entity))
  return s.entities.plugins?.[0]
}

/** The error tree Kong would give for the plugin of an invalid one-plugin document. */
export async function refusal(name: string, config: Record<string, unknown>, entity?: Record<string, unknown>): Promise<unknown> {
  const fields = (await loadError(pluginDoc(name, config, entity))).fields() as { plugins?: unknown[] }
  return fields.plugins?.[0]
}
