/** Kong's `env` vault: secrets are environment variables of the node's process. */

/** The environment a load reads (process.env by default). */
export type Environment = Readonly<Record<string, string | undefined>>

/**
 * The variable a resource names: the vault's `prefix` prepended, dashes turned to underscores,
 * upper-cased, and `_PREVIOUS` appended for version 2, as Kong's env vault does.
 */
export function envVariableName(resource: string, prefix: unknown, version?: number): string {
  const name = (typeof prefix === 'string' ? prefix + resource : resource).replace(/-/g, '_').toUpperCase()
  return version === 2 ? `${name}_PREVIOUS` : name
}

/** The secret, or undefined when the variable is not set. */
export function readEnvVault(env: Environment, resource: string, config: Readonly<Record<string, unknown>>, version?: number): { readonly name: string; readonly value: string | undefined } {
  const name = envVariableName(resource, config.prefix, version)
  return { name, value: Object.hasOwn(env, name) ? env[name] : undefined }
}
