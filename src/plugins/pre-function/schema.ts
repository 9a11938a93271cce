/** pre-function: run Lua code before the other plugins, per phase. */
import { functionsSchema } from '../functions-schema.js'

/** Kong's execution priority: higher runs first. */
export const priority = 1000000

export const schema = functionsSchema('pre-function')
