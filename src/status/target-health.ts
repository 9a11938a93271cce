/**
 * Kong's health of a target's addresses, read from a worker's balancer report the way Kong's
 * `healthcheckers.get_upstream_health` reads its balancer: shared by `/upstreams/{u}/health`
 * and the `kong_upstream_target_health` metric, so both always agree.
 */
import { isIP } from 'node:net'
import type { BalancerStatus } from '../node/state.js'

/** The health Kong gives one address of a target. */
export type AddressHealth = 'HEALTHY' | 'UNHEALTHY' | 'HEALTHCHECKS_OFF'

/**
 * An address is HEALTHY or UNHEALTHY only when its upstream has a healthchecker and its target
 * a weight; otherwise its health is HEALTHCHECKS_OFF, whatever the balancer thinks of it.
 */
export function addressHealth(checked: boolean, nodeWeight: number, healthy: boolean): AddressHealth {
  if (!checked || nodeWeight <= 0) return 'HEALTHCHECKS_OFF'
  return healthy ? 'HEALTHY' : 'UNHEALTHY'
}

/** One target of a balancer report, as the worker sent it. */
export type ReportedTarget = BalancerStatus['hosts'][number]

/** One address of a target with the health Kong gives it. */
export interface ReportedAddressHealth {
  readonly ip: string
  readonly port: number
  readonly weight: number
  readonly health: AddressHealth
}

/** Every address of a reported target with its health, in the balancer's order. */
export function addressesHealth(host: ReportedTarget, checked: boolean): ReportedAddressHealth[] {
  return host.addresses.map((a) => ({ ip: a.ip, port: a.port, weight: a.weight, health: addressHealth(checked, host.nodeWeight, a.healthy) }))
}

/** The state of one address of a target as Kong's exporter labels it, or a target without an address. */
export interface TargetAddressHealth {
  /** The target as Kong's balancer names it: `host:port`, an IPv6 host in brackets. */
  readonly target: string
  /** `ip:port` of the address (an IPv6 one in brackets, as Kong's DNS client gives it); empty for a target the balancer has no address for. */
  readonly address: string
  readonly state: 'healthchecks_off' | 'healthy' | 'unhealthy' | 'dns_error'
}

/** Kong's exporter writes an address's health in lower case. */
const STATE_LABELS: Readonly<Record<AddressHealth, TargetAddressHealth['state']>> = {
  HEALTHY: 'healthy',
  UNHEALTHY: 'unhealthy',
  HEALTHCHECKS_OFF: 'healthchecks_off',
}

/**
 * Every address of every target of a balancer report, with its state; a target without
 * addresses (its name did not resolve) is one `dns_error` entry with an empty address, as in
 * Kong's exporter.
 */
export function targetAddressHealth(report: BalancerStatus, checked: boolean): TargetAddressHealth[] {
  return report.hosts.flatMap((host): TargetAddressHealth[] => {
    const target = `${host.host}:${host.port}`
    if (host.addresses.length === 0) return [{ target, address: '', state: 'dns_error' }]
    return addressesHealth(host, checked).map((a) => ({
      target,
      address: `${isIP(a.ip) === 6 ? `[${a.ip}]` : a.ip}:${a.port}`,
      state: STATE_LABELS[a.health],
    }))
  })
}
