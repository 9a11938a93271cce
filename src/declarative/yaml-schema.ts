/**
 * The YAML schema kong.yml is read with: YAML 1.2 core plus merge keys and the YAML 1.1
 * booleans Kong's loader (libyaml) accepts, so files written for Kong read the same here.
 */
import { CORE_SCHEMA, NOT_RESOLVED, defineScalarTag, mergeTag } from 'js-yaml'

const TRUE = ['true', 'True', 'TRUE', 'yes', 'Yes', 'YES', 'on', 'On', 'ON']
const FALSE = ['false', 'False', 'FALSE', 'no', 'No', 'NO', 'off', 'Off', 'OFF']

const kongBool = defineScalarTag<boolean>('tag:yaml.org,2002:bool', {
  implicit: true,
  implicitFirstChars: ['t', 'T', 'f', 'F', 'y', 'Y', 'n', 'N', 'o', 'O'],
  resolve: (source) => (TRUE.includes(source) ? true : FALSE.includes(source) ? false : NOT_RESOLVED),
  identify: (data) => typeof data === 'boolean',
})

/** Core schema + `<<` merges + yes/no/on/off booleans (but not y/n). */
export const KONG_YAML_SCHEMA = CORE_SCHEMA.withTags(mergeTag, kongBool)
