/** Loads config text with the bundled plugins, returning the snapshot or the config error. */
import { DeclarativeConfigError } from '../../src/declarative/errors.js'
import { loadDeclarative } from '../../src/declarative/load.js'
import type { Snapshot } from '../../src/declarative/snapshot.js'
import { bundledPluginSchema } from '../../src/plugins/registry.js'

/** Loads YAML (or JSON) text as a file named kong.yml would be. */
export function load(text: string, source = 'kong.yml'): Promise<Snapshot> {
  return loadDeclarative(text, { source, pluginSchemas: bundledPluginSchema, format: source.endsWith('.json') ? 'json' : 'yaml' })
}

/** Awaits a load that must fail validation and returns its error; any other outcome throws. */
export async function configError(loading: Promise<unknown>, what = 'the config'): Promise<DeclarativeConfigError> {
  try {
    await loading
  } catch (err) {
    if (err instanceof DeclarativeConfigError) return err
    throw err
  }
  throw new Error(`expected ${what} to be invalid`)
}

/** Loads text that must be invalid and returns its error. */
export function loadError(text: string, source = 'kong.yml'): Promise<DeclarativeConfigError> {
  return configError(load(text, source))
}

/** Builds a 3.0 document from YAML lines under `_format_version`. */
export const yml = (body: string): string => `_format_version: "3.0"\n${body}`
