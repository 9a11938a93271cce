/** The usage text of every verb, printed on stderr for `--help` as Kong's commands print theirs. */
import { PRODUCT } from '../version.js'

/** The whole command list: `kong-dbless --help`. */
export const MAIN_USAGE = `Usage: ${PRODUCT} COMMAND [OPTIONS]

Commands:
  start [-c CONF] [-p PREFIX]   run the node (KONG_* env > -c kong.conf > defaults)
  quit [-p PREFIX] [-t SECS]    stop gracefully (SIGQUIT), then SIGTERM after the timeout
  reload [-p PREFIX]            re-read declarative_config (SIGHUP)
  health [-p PREFIX]            exit 0 when the node in the prefix is running
  drain [-c CONF]               make /status/ready answer 503 from now on
  config parse FILE... [--json]
                         validate a declarative config; exit 1 with every error and where it is
  config hash FILE... [--expect HASH] [--json]
                         print the configuration_hash a node started on FILE reports;
                         with --expect, exit 1 unless it is HASH (drift checks in CI)
  config diff A B [--json]
                         what changed from A to B, by entity; exit 0 same, 1 different, 2 trouble
  config init [FILE]     write a starter kong.yml (default ./kong.yml)
  config schema [FILE]   print (or write) the JSON Schema of kong.yml, for editors and linters
  hybrid gen_cert [-d DAYS] [CERT KEY]
                         write a certificate and key for hybrid mode (default ./cluster.crt
                         and ./cluster.key, valid 3 years); never overwrites
  version                print the version

Run '${PRODUCT} COMMAND --help' for a command's options.
`

/** `config` and its sub-verbs. */
export const CONFIG_USAGE = `Usage: ${PRODUCT} config COMMAND

Use declarative configuration files with ${PRODUCT}.

The available commands are:
  parse FILE... [--json]
                  validate FILE (.yml, .yaml or .json); prints "parse successful" or every error
  hash FILE... [--expect HASH] [--json]
                  print the configuration_hash of FILE; with --expect, exit 1 unless it is HASH
  diff A B [--json]
                  what changed from A to B: entities added, removed and changed (with the
                  fields, secrets masked), both hashes and a summary; exit 0 when the
                  configuration hashes are equal, 1 when they differ, 2 when a file does not
                  load; --json prints { equal, from, to, collections } instead
  init [FILE]     write a starter config (default ./kong.yml)
  schema [FILE]   the JSON Schema of kong.yml

  Several FILEs, or a directory (its .yml, .yaml and .json files by name), are merged
  into one config as declarative_config merges them.

  --json with parse or hash prints one JSON document on stdout instead: valid,
  configuration_hash, warnings (and hashes, expected, matches for hash), or valid: false
  with every error.

  db_import and db_export need a database, which ${PRODUCT} never has:
  load a file with POST /config on the admin API (or declarative_config and reload),
  and read the running one with GET /config.
`

/** \`hybrid\` and its sub-verb, in Kong's words. */
export const HYBRID_USAGE = `Usage: ${PRODUCT} hybrid COMMAND [OPTIONS]

Hybrid mode utilities.

The available commands are:
  gen_cert [<cert> <key>]           Generate a certificate/key pair that is suitable
                                    for use in hybrid mode deployment.
                                    Cert and key will be written to
                                    './cluster.crt' and './cluster.key' inside
                                    the current directory unless filenames are given.

Options:
 -d,--days        (optional number) Override certificate validity duration.
                                    Default: 1095 days (3 years)
`

const OPTION_CONF = ' -c,--conf        (optional string)   Configuration file.\n'
const OPTION_PREFIX = ' -p,--prefix      (optional string)   Override prefix directory.\n'

/** Each verb's usage, Kong's wording where Kong has the verb. */
const VERB_USAGE: ReadonlyMap<string, string> = new Map(Object.entries({
  config: CONFIG_USAGE,
  hybrid: HYBRID_USAGE,
  start: `Usage: ${PRODUCT} start [OPTIONS]

Start the node in the foreground. Settings come from KONG_* environment
variables, then the -c file, then the defaults.

Options:
${OPTION_CONF}${OPTION_PREFIX}`,
  quit: `Usage: ${PRODUCT} quit [OPTIONS]

Gracefully quit a running node (SIGQUIT): it stops accepting connections
and finishes the requests in flight. After the timeout it is stopped now (SIGTERM).

Options:
${OPTION_PREFIX} -t,--timeout     (default 10)        Timeout before forced shutdown, in seconds.
 -w,--wait        (default 0)         Wait time before initiating the shutdown, in seconds.
${OPTION_CONF}`,
  reload: `Usage: ${PRODUCT} reload [OPTIONS]

Reload a running node: it re-reads declarative_config (SIGHUP).

Options:
${OPTION_CONF}${OPTION_PREFIX}`,
  health: `Usage: ${PRODUCT} health [OPTIONS]

Check that the node in the prefix is running (a pid check, no HTTP).

Options:
${OPTION_PREFIX}${OPTION_CONF}`,
  drain: `Usage: ${PRODUCT} drain [OPTIONS]

Make the status API's /status/ready answer 503 from now on, so that a load
balancer takes the node out before it is stopped.

Options:
${OPTION_CONF}${OPTION_PREFIX}`,
  version: `Usage: ${PRODUCT} version

Print the version.
`,
}))

/** True when the arguments ask for help (`--help` or `-h` anywhere), as Kong's option parser treats them. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.some((a) => a === '--help' || a === '-h')
}

/** The usage of a verb that has one; undefined for anything else. */
export function usageOf(verb: string): string | undefined {
  return VERB_USAGE.get(verb)
}
