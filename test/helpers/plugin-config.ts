/** Loads one global plugin with a given config: its normalized config, or its config errors. */
import t from 'tap'
import { load, loadError, yml } from './load.js'

/** A document with one global plugin whose config is `config` (JSON is valid YAML flow). */
export const pluginDoc = (name: string, config: unknown, extra = ''): string => yml(`plugins:\n- name: ${name}\n  config: ${JSON.stringify(config)}\n${extra}`)

/** The normalized config of the one plugin `name` loads with. */
export async function configOf(name: string, config: unknown): Promise<unknown> {
  return (await load(pluginDoc(name, config))).entities.plugins?.[0]?.config
}

/** The error tree of the one plugin `name` is refused with (under `plugins[0]`). */
export async function refusalOf(name: string, config: unknown, extra = ''): Promise<unknown> {
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
    for (const c of refused) t.same(await refusalOf(name, c.config), c.errors, c.desc)
  })
}
