/** post-function: run Lua code after the other plugins, per phase. */
import { functionsSchema } from '../functions-schema.js'

/** Kong's execution priority: higher runs first. */
export const priority = -1000

export const schema = functionsSchema('post-function')
