/** The product's name and version, read once from package.json. */
import { readFileSync } from 'node:fs'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string }

export const PRODUCT = pkg.name
export const VERSION = pkg.version
/** The Kong version whose behaviour this node follows (reported to Kong tooling). */
export const KONG_COMPAT_VERSION = '3.10.0'
