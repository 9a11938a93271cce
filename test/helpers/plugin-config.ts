/** Loads one-plugin documents, for the bundled plugins' schema tests. */
import t from 'tap'
import { load, loadError, yml } from './load.js'

/** Extra plugin entity fields (`protocols`, `consumer`), or YAML text appended to the document. */
export type Extra = Record<string, unknown> | string

/** Kong's typedefs.queue defaults, as every log plugin's config gets them. */
export const QUEUE = {
  max_batch_size: 1,
  max_coalescing_delay: 1,
  max_entries: 10000,
  max_bytes: null,
  max_retry_time: 60,
  initial_retry_delay: 0.01,
  max_retry_delay: 60,
  concurrency_limit: 1,
}

/** One table row: a plugin's config and what loading it must give. */
export interface Row {
  readonly desc: string
  readonly config: Record<string, unknown>
  /** Extra plugin entity fields (`protocols`, `consumer`). */
  readonly entity?: Record<string, unknown>
  readonly expect: unknown
}

/** A document holding one global plugin (JSON is valid YAML flow). */
export function pluginDoc(name: string, config: unknown, extra: Extra = {}): string {
  const tail = typeof extra === 'string' ? extra : Object.entries(extra).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}\n`).join('')
  return yml(`plugins:\n- name: ${name}\n  config: ${JSON.stringify(config)}\n${tail}`)
}

/** The stored plugin entity of a valid one-plugin document. */
export async function loadedPlugin(name: string, config: unknown, extra?: Extra): Promise<Record<string, unknown> | undefined> {
  const s = await load(pluginDoc(name, config, extra))
  return s.entities.plugins?.[0]
}

/** The normalized config of the one plugin `name` loads with. */
export async function configOf(name: string, config: unknown): Promise<unknown> {
  return (await loadedPlugin(name, config))?.config
}

/** The error tree Kong would give for the plugin of an invalid one-plugin document. */
export async function refusal(name: string, config: unknown, extra?: Extra): Promise<unknown> {
  const fields = (await loadError(pluginDoc(name, config, extra))).fields() as { plugins?: unknown[] }
  return fields.plugins?.[0]
}

/** A config Kong accepts, and (part of) what it becomes. */
export interface Accepted {
  readonly desc: string
  readonly config: unknown
  /** Compared with t.same when `full`, else with t.match. */
  readonly expect: Record<string, unknown>
  readonly full?: boolean
}

/** A config Kong refuses, and the errors of its plugin entity. */
export interface Refused {
  readonly desc: string
  readonly config: unknown
  readonly errors: unknown
}

/** Runs accepted and refused cases of one plugin as subtests. */
export function checkPlugin(name: string, accepted: readonly Accepted[], refused: readonly Refused[]): void {
  t.test(`${name}: accepted configs and the defaults they get`, async (t) => {
    for (const c of accepted) {
      const got = await configOf(name, c.config)
      if (c.full) t.same(got, c.expect, c.desc)
      else t.match(got, c.expect, c.desc)
    }
  })
  t.test(`${name}: refused configs and Kong's messages`, async (t) => {
    for (const c of refused) t.same(await refusal(name, c.config), c.errors, c.desc)
  })
}
