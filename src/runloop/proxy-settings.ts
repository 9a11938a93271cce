/**
 * The settings the proxy reads, compiled once: which of Kong's headers it sends, and whose
 * forwarding headers it trusts. The primary compiles them at start to refuse bad ones before
 * anything runs; every worker compiles them again from the settings it is given.
 */
import type { NodeConf } from '../conf/settings.js'
import { ClientAddressSettingsError, compileClientAddress, type ClientAddressSettings } from '../proxy/client-address.js'
import { HeaderSettingsError, parseHeaderSettings, type HeaderSettings } from '../proxy/header-settings.js'
import { KONG_COMPAT_VERSION, PRODUCT, VERSION } from '../version.js'

/** The product token Kong puts in Via; tools that read Via expect Kong's. */
const VIA_TOKEN = `kong/${KONG_COMPAT_VERSION}`

export interface ProxySettings {
  readonly headers: HeaderSettings
  readonly clientAddress: ClientAddressSettings
}

/** Compiles the proxy's settings; throws an Error listing every problem. */
export function compileProxySettings(conf: NodeConf): ProxySettings {
  const problems: string[] = []
  let headers: HeaderSettings | undefined
  let clientAddress: ClientAddressSettings | undefined
  try {
    headers = parseHeaderSettings(conf.headers, conf.headers_upstream, { server: `${PRODUCT}/${VERSION}`, via: VIA_TOKEN })
  } catch (err) {
    if (!(err instanceof HeaderSettingsError)) throw err
    problems.push(...err.problems)
  }
  try {
    clientAddress = compileClientAddress(conf.trusted_ips, conf.real_ip_header, conf.real_ip_recursive)
  } catch (err) {
    if (!(err instanceof ClientAddressSettingsError)) throw err
    problems.push(err.message)
  }
  if (headers === undefined || clientAddress === undefined) throw new Error(problems.join('\n'))
  return { headers, clientAddress }
}
