/**
 * The node-level metrics of Kong's Prometheus exporter, in Prometheus' text format: the ones it
 * reports without per-request work (connections, requests, timers, memory, node info,
 * datastore, upstream target health), with Kong's names, help texts, label order and sample order, plus the
 * configuration hash as a number (ours: Kong reports none in DB-less mode).
 */
import { Counter, Gauge, Registry } from 'prom-client'
import type { ConnectionStats } from '../http/connection-counters.js'
import type { ZoneSize } from '../stores/zones.js'
import type { TargetAddressHealth } from './target-health.js'

/** The content type of the exposition (Prometheus text format 0.0.4). */
export const METRICS_CONTENT_TYPE: string = Registry.PROMETHEUS_CONTENT_TYPE

/** Every metric carries Kong's prefix. */
const PREFIX = 'kong_'

/** The subsystem label: this node serves HTTP only (no stream listeners). */
const SUBSYSTEM = 'http'

/** What one scrape reports, gathered from the node's state at scrape time. */
export interface NodeMetrics {
  readonly nodeId: string
  /** The Kong version reported to tools (`kong_node_info`'s `version`). */
  readonly version: string
  /** Connection counters summed over every process, as `/status` reports them. */
  readonly connections: ConnectionStats
  /** Heap bytes of each worker that answered. */
  readonly workers: readonly { readonly pid: number; readonly heapUsed: number }[]
  /** Kong's shared dicts with their capacity and allocated bytes, as `/status` reports them. */
  readonly zones: readonly (readonly [string, ZoneSize])[]
  /** The live configuration hash (32 hex; all zeros when none is loaded). */
  readonly configHash: string
  /**
   * Whether the live config enables a prometheus plugin. Kong shows the metrics its plugin keeps
   * in `prometheus_metrics` (here only `kong_nginx_metric_errors_total`) only then.
   */
  readonly pluginEnabled: boolean
  /**
   * Each upstream's targets' address states, for `kong_upstream_target_health`: empty unless a
   * prometheus plugin sets `upstream_health_metrics`, as Kong's exporter does.
   */
  readonly targetHealth: readonly UpstreamTargetHealth[]
  /** role = data_plane: whether the control plane is connected, and when cluster_cert expires (epoch seconds). */
  readonly dataPlane?: { readonly connected: boolean; readonly certExpiry: number }
  /** role = control_plane: the data planes it knows. */
  readonly dataPlanes?: readonly ListedDataPlane[]
}

/** A data plane as a control plane's metrics label it. */
export interface ListedDataPlane {
  readonly id: string
  readonly hostname: string
  readonly ip: string
  readonly version: string
  readonly config_hash: string
  readonly last_seen: number
  readonly sync_status: string
}

/** One address of a target of a named upstream, with its state. */
export interface UpstreamTargetHealth extends TargetAddressHealth {
  /** The upstream's name. */
  readonly upstream: string
}

type Labels = Readonly<Record<string, string>>

/** One sample: its labels, in the order Kong declares them, and its value. */
interface Sample {
  readonly labels: Labels
  readonly value: number
}

/** One metric family as Kong registers it (without the prefix). */
interface Family {
  readonly name: string
  readonly help: string
  readonly type: 'gauge' | 'counter'
  readonly labels: readonly string[]
}

const FAMILIES = {
  datastoreReachable: { name: 'datastore_reachable', help: 'Datastore reachable from Kong, 0 is unreachable', type: 'gauge', labels: [] },
  sharedDictBytes: { name: 'memory_lua_shared_dict_bytes', help: 'Allocated slabs in bytes in a shared_dict', type: 'gauge', labels: ['node_id', 'shared_dict', 'kong_subsystem'] },
  sharedDictTotal: { name: 'memory_lua_shared_dict_total_bytes', help: 'Total capacity in bytes of a shared_dict', type: 'gauge', labels: ['node_id', 'shared_dict', 'kong_subsystem'] },
  workerVms: { name: 'memory_workers_lua_vms_bytes', help: 'Allocated bytes in worker Lua VM', type: 'gauge', labels: ['node_id', 'pid', 'kong_subsystem'] },
  connections: { name: 'nginx_connections_total', help: 'Number of connections by subsystem', type: 'gauge', labels: ['node_id', 'subsystem', 'state'] },
  metricErrors: { name: 'nginx_metric_errors_total', help: 'Number of nginx-lua-prometheus errors', type: 'counter', labels: [] },
  requests: { name: 'nginx_requests_total', help: 'Number of requests total', type: 'gauge', labels: ['node_id', 'subsystem'] },
  timers: { name: 'nginx_timers', help: 'Number of nginx timers', type: 'gauge', labels: ['state'] },
  configHash: { name: 'node_config_hash', help: 'Config hash numeric value of this node, 0 is no configuration loaded', type: 'gauge', labels: ['node_id'] },
  nodeInfo: { name: 'node_info', help: 'Kong Node metadata information', type: 'gauge', labels: ['node_id', 'version'] },
  controlPlaneConnected: { name: 'control_plane_connected', help: 'Kong connected to control plane, 0 is unconnected', type: 'gauge', labels: [] },
  certExpiry: { name: 'data_plane_cluster_cert_expiry_timestamp', help: "Unix timestamp of Data Plane's cluster_cert expiry time", type: 'gauge', labels: [] },
  dataPlaneLastSeen: { name: 'data_plane_last_seen', help: 'Last time data plane contacted control plane', type: 'gauge', labels: ['node_id', 'hostname', 'ip'] },
  dataPlaneConfigHash: { name: 'data_plane_config_hash', help: 'Config hash numeric value of the data plane', type: 'gauge', labels: ['node_id', 'hostname', 'ip'] },
  dataPlaneCompatible: {
    name: 'data_plane_version_compatible',
    help: 'Version compatible status of the data plane, 0 is incompatible',
    type: 'gauge',
    labels: ['node_id', 'hostname', 'ip', 'kong_version'],
  },
  targetHealth: {
    name: 'upstream_target_health',
    help: 'Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.',
    type: 'gauge',
    labels: ['upstream', 'target', 'address', 'state', 'subsystem'],
  },
} as const satisfies Record<string, Family>

/** Kong's connection states and the counter each one reports. */
const CONNECTION_STATES: readonly (readonly [string, keyof ConnectionStats])[] = [
  ['accepted', 'accepted'],
  ['handled', 'handled'],
  ['total', 'requests'],
  ['active', 'active'],
  ['reading', 'reading'],
  ['writing', 'writing'],
  ['waiting', 'waiting'],
]

/** Kong's exporter writes every state of an address, 1 for the one it is in and 0 for the others. */
const TARGET_STATES: readonly TargetAddressHealth['state'][] = ['healthchecks_off', 'healthy', 'unhealthy', 'dns_error']

/**
 * A 32-hex configuration hash as a number, as Kong's control plane reports a data plane's hash
 * (the nearest double: equal hashes give equal values, and all zeros gives 0).
 */
export function configHashValue(hash: string): number {
  return /^[0-9a-f]+$/i.test(hash) ? parseInt(hash, 16) : 0
}

/** Every family's samples for one scrape. */
function samplesOf(m: NodeMetrics): Map<Family, Sample[]> {
  const node = m.nodeId
  const out = new Map<Family, Sample[]>()
  out.set(
    FAMILIES.connections,
    CONNECTION_STATES.map(([state, counter]) => ({ labels: { node_id: node, subsystem: SUBSYSTEM, state }, value: m.connections[counter] })),
  )
  out.set(FAMILIES.requests, [{ labels: { node_id: node, subsystem: SUBSYSTEM }, value: m.connections.requests }])
  // Kong's timers are background Lua jobs; this node runs none, so both counts are truly 0 (as `GET /` says).
  out.set(FAMILIES.timers, [
    { labels: { state: 'running' }, value: 0 },
    { labels: { state: 'pending' }, value: 0 },
  ])
  // DB-less: Kong's "off" connector always connects.
  out.set(FAMILIES.datastoreReachable, [{ labels: {}, value: 1 }])
  out.set(FAMILIES.nodeInfo, [{ labels: { node_id: node, version: m.version }, value: 1 }])
  out.set(
    FAMILIES.sharedDictBytes,
    m.zones.map(([name, zone]) => ({ labels: { node_id: node, shared_dict: name, kong_subsystem: SUBSYSTEM }, value: zone.allocated })),
  )
  out.set(
    FAMILIES.sharedDictTotal,
    m.zones.map(([name, zone]) => ({ labels: { node_id: node, shared_dict: name, kong_subsystem: SUBSYSTEM }, value: zone.capacity })),
  )
  out.set(
    FAMILIES.workerVms,
    m.workers.map((w) => ({ labels: { node_id: node, pid: String(w.pid), kong_subsystem: SUBSYSTEM }, value: w.heapUsed })),
  )
  out.set(FAMILIES.configHash, [{ labels: { node_id: node }, value: configHashValue(m.configHash) }])
  if (m.pluginEnabled) out.set(FAMILIES.metricErrors, [{ labels: {}, value: 0 }])
  out.set(
    FAMILIES.targetHealth,
    m.targetHealth.flatMap((h) =>
      TARGET_STATES.map((state) => ({
        labels: { upstream: h.upstream, target: h.target, address: h.address, state, subsystem: SUBSYSTEM },
        value: h.state === state ? 1 : 0,
      })),
    ),
  )
  if (m.dataPlane) {
    out.set(FAMILIES.controlPlaneConnected, [{ labels: {}, value: m.dataPlane.connected ? 1 : 0 }])
    out.set(FAMILIES.certExpiry, [{ labels: {}, value: m.dataPlane.certExpiry }])
  }
  if (m.dataPlanes) {
    const labels = (d: ListedDataPlane): Labels => ({ node_id: d.id, hostname: d.hostname, ip: d.ip })
    out.set(FAMILIES.dataPlaneLastSeen, m.dataPlanes.map((d) => ({ labels: labels(d), value: d.last_seen })))
    out.set(FAMILIES.dataPlaneConfigHash, m.dataPlanes.map((d) => ({ labels: labels(d), value: configHashValue(d.config_hash) })))
    out.set(
      FAMILIES.dataPlaneCompatible,
      m.dataPlanes.map((d) => ({ labels: { ...labels(d), kong_version: d.version }, value: INCOMPATIBLE.has(d.sync_status) ? 0 : 1 })),
    )
  }
  return out
}

/** The sync states Kong's exporter reports as incompatible. */
const INCOMPATIBLE: ReadonlySet<string> = new Set(['kong_version_incompatible', 'plugin_set_incompatible', 'plugin_version_incompatible'])

/** A sample's full name as Kong keeps it (`name{k="v",...}`): Kong exposes samples sorted by it. */
function sampleKey(family: Family, sample: Sample): string {
  const labels = family.labels.map((k) => `${k}="${sample.labels[k] ?? ''}"`).join(',')
  return labels === '' ? family.name : `${family.name}{${labels}}`
}

/**
 * The exposition of one scrape. Families and samples come in the order Kong's exporter writes
 * them (sorted by full sample name); a family without samples is left out, as Kong does.
 */
export async function renderMetrics(m: NodeMetrics): Promise<string> {
  const registry = new Registry()
  const families = [...samplesOf(m)].filter(([, samples]) => samples.length > 0).sort(([a], [b]) => compare(a.name, b.name))
  for (const [family, samples] of families) {
    const config = { name: PREFIX + family.name, help: family.help, labelNames: [...family.labels], registers: [registry] }
    if (family.type === 'counter') {
      // A counter without labels starts at 0, which is every value it reports here.
      new Counter(config)
      continue
    }
    const gauge = new Gauge(config)
    const sorted = samples.map((s) => [sampleKey(family, s), s] as const).sort(([a], [b]) => compare(a, b))
    for (const [, sample] of sorted) gauge.set({ ...ordered(family, sample.labels) }, sample.value)
  }
  return registry.metrics()
}

/** Labels in the order the family declares them (prom-client writes them in insertion order). */
function ordered(family: Family, labels: Labels): Record<string, string> {
  const out: Record<string, string> = {}
  for (const k of family.labels) out[k] = labels[k] ?? ''
  return out
}

/** Byte-wise order of two ASCII names, as Lua's table.sort compares strings. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
