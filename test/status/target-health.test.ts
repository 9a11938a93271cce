import t from 'tap'
import type { BalancerStatus } from '../../src/node/state.js'
import { addressesHealth, addressHealth, targetAddressHealth } from '../../src/status/target-health.js'

t.test('an address is healthy or unhealthy only under a healthchecker and with a weight', async (t) => {
  const cases: [string, boolean, number, boolean, string][] = [
    ['healthchecker, weighted, available', true, 100, true, 'HEALTHY'],
    ['healthchecker, weighted, unavailable', true, 100, false, 'UNHEALTHY'],
    ['healthchecker, weight 0', true, 0, false, 'HEALTHCHECKS_OFF'],
    ['no healthchecker, available', false, 100, true, 'HEALTHCHECKS_OFF'],
    ['no healthchecker, unavailable', false, 100, false, 'HEALTHCHECKS_OFF'],
  ]
  for (const [what, checked, weight, healthy, expected] of cases) t.equal(addressHealth(checked, weight, healthy), expected, what)
})

const weight = { total: 0, unavailable: 0, available: 0 }
const REPORT: BalancerStatus = {
  healthy: true,
  weight,
  hosts: [
    {
      host: 'a.test',
      port: 80,
      dns: 'A',
      nodeWeight: 10,
      weight,
      addresses: [
        { ip: '10.0.0.1', port: 80, weight: 10, healthy: true },
        { ip: '10.0.0.2', port: 80, weight: 10, healthy: false },
      ],
    },
    { host: '[::1]', port: 81, dns: 'AAAA', nodeWeight: 0, weight, addresses: [{ ip: '::1', port: 81, weight: 0, healthy: true }] },
    { host: 'gone.test', port: 80, dns: 'dns server error: 3 name error', nodeWeight: 10, weight, addresses: [] },
  ],
}

t.test('a report becomes one entry per address, and one dns_error entry per target without an address', async (t) => {
  t.same(targetAddressHealth(REPORT, true), [
    { target: 'a.test:80', address: '10.0.0.1:80', state: 'healthy' },
    { target: 'a.test:80', address: '10.0.0.2:80', state: 'unhealthy' },
    { target: '[::1]:81', address: '[::1]:81', state: 'healthchecks_off' },
    { target: 'gone.test:80', address: '', state: 'dns_error' },
  ], 'under a healthchecker; a target of weight 0 has its healthchecks off')
  t.same(
    targetAddressHealth(REPORT, false).map((h) => h.state),
    ['healthchecks_off', 'healthchecks_off', 'healthchecks_off', 'dns_error'],
    'without a healthchecker',
  )
  t.same(targetAddressHealth({ healthy: false, weight, hosts: [] }, true), [], 'an upstream without targets')
})

t.test("/health's addresses and the metric's states come from the same reading", async (t) => {
  for (const checked of [true, false]) {
    const perAddress = REPORT.hosts.flatMap((host) => addressesHealth(host, checked).map((a) => a.health.toLowerCase()))
    const labelled = targetAddressHealth(REPORT, checked).flatMap((h) => (h.state === 'dns_error' ? [] : [h.state]))
    t.same(perAddress, labelled, `checked: ${checked}`)
  }
  t.same(addressesHealth(REPORT.hosts[0], true), [
    { ip: '10.0.0.1', port: 80, weight: 10, health: 'HEALTHY' },
    { ip: '10.0.0.2', port: 80, weight: 10, health: 'UNHEALTHY' },
  ], "each address with its ip, port, weight and Kong's health")
})
