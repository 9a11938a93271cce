/**
 * What a worker builds from a snapshot: one immutable object holding everything a request
 * needs (the router, each service's balancer and forwarding plan). A worker builds it fully,
 * swaps it whole, and only then acknowledges the config; a request keeps the runtime it started
 * with. Plugin chains join it as the proxy grows.
 */
import { buildBalancers, type Balancers } from '../balancer/balancers.js'
import type { DnsCache } from '../balancer/dns.js'
import type { HealthLookup } from '../balancer/health.js'
import type { Service } from '../declarative/schema/entities/index.js'
import type { Snapshot } from '../declarative/snapshot.js'
import { indexEntities, type SnapshotIndex } from '../declarative/snapshot-index.js'
import { compileRouter, type Router } from '../router/router.js'
import { buildCertificateSelector, type CertificateSelector, type SecureContextCache } from '../tls/certificate-selector.js'
import { buildServicePlans, type ServicePlan } from './service-plans.js'

/** What a worker serves one config with: built whole from a snapshot, then swapped in whole. */
export interface Runtime {
  /** The config version the primary numbered this snapshot with. */
  readonly version: number
  readonly snapshot: Snapshot
  /** Entities by id, by endpoint key, and by parent. */
  readonly index: SnapshotIndex
  readonly router: Router
  /** Where each service's requests go. */
  readonly balancers: Balancers
  /** How each http, https, grpc or grpcs service is forwarded to, by service id. */
  readonly plans: ReadonlyMap<string, ServicePlan>
  /** The certificate each TLS handshake's server name selects. */
  readonly certificates: CertificateSelector
}

/** What building a runtime needs besides the snapshot. */
export interface RuntimeDeps {
  /** The process's DNS cache, shared by every runtime so answers survive a swap. */
  readonly dns: DnsCache
  /** The process's TLS contexts, shared by every runtime so an unchanged certificate keeps its context. */
  readonly contexts: SecureContextCache
  /** The process's health marks, read by every runtime's balancers (so marks outlive a swap). */
  readonly health?: HealthLookup
}

/** Builds the runtime of a snapshot; `index` may be passed when it was built while reading the snapshot in. */
export function buildRuntime(snapshot: Snapshot, version: number, deps: RuntimeDeps, index: SnapshotIndex = indexEntities(snapshot.entities)): Runtime {
  const services = snapshot.entities.services ?? []
  const servicesById = new Map<string, Service>(services.map((s) => [s.id, s]))
  return Object.freeze({
    version,
    snapshot,
    index,
    router: compileRouter(snapshot.entities.routes ?? [], servicesById),
    balancers: buildBalancers(snapshot, deps.dns, deps.health ? { health: deps.health } : {}),
    plans: buildServicePlans(services, index),
    certificates: buildCertificateSelector(snapshot.entities.certificates ?? [], snapshot.entities.snis ?? [], deps.contexts),
  })
}
