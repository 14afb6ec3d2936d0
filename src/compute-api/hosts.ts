import type { CellStore } from '../db/cell/cell-store.js'
import type { ComputeNode } from '../objects/compute-node.js'
import type { Instance } from '../objects/instance.js'
import type { ServiceRecord } from '../objects/service.js'
import { isServiceUp } from '../servicegroup/servicegroup.js'
import { Conflict, ServiceNotFound } from '../shared/errors.js'

/** Nova's `internal_service_availability_zone`: the zone every non-compute service is in. */
export const INTERNAL_SERVICE_AVAILABILITY_ZONE = 'internal'

/**
 * Services the API does not list: they are not RPC services and report no state of their own
 * through the service group API (Nova bug 1543625), so Nova filters them out of os-services.
 */
export const API_SERVICES: ReadonlySet<string> = new Set(['nova-osapi_compute', 'nova-metadata'])

export interface HostApiOptions {
  readonly serviceDownTimeS: number
  readonly defaultAvailabilityZone: string
  /** Services' zones from the host aggregates (else computes are all in the default zone). */
  readonly serviceZones?: (services: readonly ServiceRecord[]) => Promise<Map<ServiceRecord, string>>
}

/** The summed usage of the enabled compute nodes (`GET /os-hypervisors/statistics`). */
export interface HypervisorStatistics {
  count: number
  vcpus: number
  vcpus_used: number
  memory_mb: number
  memory_mb_used: number
  free_ram_mb: number
  local_gb: number
  local_gb_used: number
  free_disk_gb: number
  disk_available_least: number
  current_workload: number
  running_vms: number
}

/** A compute node with the nova-compute service that owns it. */
export interface Hypervisor {
  readonly node: ComputeNode
  readonly service: ServiceRecord
}

/**
 * The API side of services and hosts (Nova's `HostAPI` in compute/api.py): the services table
 * and the compute nodes, for os-services, os-hypervisors and `tsnova service list`.
 */
export class HostApi {
  constructor(
    private readonly cell: CellStore,
    readonly options: HostApiOptions,
  ) {}

  isUp(service: ServiceRecord, now = Date.now()): boolean {
    return isServiceUp(service, this.options.serviceDownTimeS, now)
  }

  /** A service's availability zone: the default one for computes, `internal` for the rest. */
  zone(service: Pick<ServiceRecord, 'binary'>): string {
    return service.binary === 'nova-compute'
      ? this.options.defaultAvailabilityZone
      : INTERNAL_SERVICE_AVAILABILITY_ZONE
  }

  /** Each service's zone: its host's zone aggregates' for a compute, when aggregates are known. */
  async zones(services: readonly ServiceRecord[]): Promise<Map<ServiceRecord, string>> {
    if (this.options.serviceZones) return this.options.serviceZones(services)
    return new Map(services.map((s) => [s, this.zone(s)]))
  }

  /** The services os-services shows (not the API services), optionally by host and binary. */
  async listServices(filter: { host?: string; binary?: string } = {}): Promise<ServiceRecord[]> {
    const services = await this.cell.services.list(filter)
    return services.filter((s) => !API_SERVICES.has(s.binary))
  }

  getService(key: { id: number } | { uuid: string }): Promise<ServiceRecord | undefined> {
    return this.cell.services.getBy(key)
  }

  findService(host: string, binary: string): Promise<ServiceRecord | undefined> {
    return this.cell.services.find(host, binary)
  }

  async updateService(
    service: ServiceRecord,
    values: { disabled?: boolean; disabled_reason?: string | null; forced_down?: boolean },
  ): Promise<ServiceRecord> {
    const updated = await this.cell.services.update(service.id, values)
    if (!updated) throw new ServiceNotFound(String(service.uuid))
    return updated
  }

  /**
   * Delete a service (soft, as Nova). A nova-compute still hosting instances is refused: its
   * claims and instances would be orphaned. Its compute nodes go with it.
   */
  async deleteService(service: ServiceRecord, notFound: () => Error): Promise<void> {
    if (service.binary === 'nova-compute' && (await this.cell.instances.countByHosts([service.host])) > 0) {
      throw new Conflict(
        'Unable to delete compute service that is hosting instances. Migrate or delete the instances first.',
      )
    }
    if (!(await this.cell.services.destroy(service.id))) throw notFound()
  }

  /**
   * Every compute node whose nova-compute service still exists, in id order. A node whose service
   * was deleted is skipped, as Nova does (its record awaits manual clean-up).
   */
  async listHypervisors(): Promise<Hypervisor[]> {
    const [nodes, services] = await Promise.all([
      this.cell.nodes.list(),
      this.cell.services.list({ binary: 'nova-compute' }),
    ])
    const byHost = new Map(services.map((s) => [s.host, s]))
    const out: Hypervisor[] = []
    for (const node of nodes) {
      const service = byHost.get(node.host)
      if (service) out.push({ node, service })
    }
    return out
  }

  /** One compute node with its service; undefined if either is gone. */
  async getHypervisor(key: { id: number } | { uuid: string }): Promise<Hypervisor | undefined> {
    const node = await this.cell.nodes.getBy(key)
    if (!node) return undefined
    const service = await this.cell.services.find(node.host, 'nova-compute')
    return service ? { node, service } : undefined
  }

  /** The live instances on a host (Nova's `instance_get_all_by_host`). */
  instancesOnHost(host: string): Promise<Instance[]> {
    return this.cell.instances.list({ host })
  }

  /** Sums over the compute nodes of enabled nova-compute services (Nova's `compute_node_statistics`). */
  async statistics(): Promise<HypervisorStatistics> {
    const stats: HypervisorStatistics = {
      count: 0,
      vcpus: 0,
      vcpus_used: 0,
      memory_mb: 0,
      memory_mb_used: 0,
      free_ram_mb: 0,
      local_gb: 0,
      local_gb_used: 0,
      free_disk_gb: 0,
      disk_available_least: 0,
      current_workload: 0,
      running_vms: 0,
    }
    for (const { node, service } of await this.listHypervisors()) {
      if (service.disabled) continue
      stats.count += 1
      stats.vcpus += Number(node.vcpus)
      stats.vcpus_used += Number(node.vcpus_used)
      stats.memory_mb += Number(node.memory_mb)
      stats.memory_mb_used += Number(node.memory_mb_used)
      stats.free_ram_mb += Number(node.free_ram_mb)
      stats.local_gb += Number(node.local_gb)
      stats.local_gb_used += Number(node.local_gb_used)
      stats.free_disk_gb += Number(node.free_disk_gb)
      stats.disk_available_least += Number(node.disk_available_least ?? 0)
      stats.current_workload += Number(node.current_workload)
      stats.running_vms += Number(node.running_vms)
    }
    return stats
  }
}
