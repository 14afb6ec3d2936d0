import type { Cell, CellRouter } from '../cells/cell-router.js'
import type { ComputeNode } from '../objects/compute-node.js'
import type { Instance } from '../objects/instance.js'
import type { ServiceRecord } from '../objects/service.js'
import { isServiceUp } from '../servicegroup/servicegroup.js'
import { Conflict, ServiceNotFound } from '../shared/errors.js'
import { timestampClock } from '../shared/time.js'
import { findInCells, gather } from './scatter.js'

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
    private readonly cells: CellRouter,
    readonly options: HostApiOptions,
  ) {}

  isUp(service: ServiceRecord, now = timestampClock().now()): boolean {
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
    const services = await gather(await this.cells.withHosts(), (c) => c.store.services.list(filter))
    return services.filter((s) => !API_SERVICES.has(s.binary))
  }

  async getService(key: { id: number } | { uuid: string }): Promise<ServiceRecord | undefined> {
    return (await findInCells(await this.cells.withHosts(), (c) => c.store.services.getBy(key)))?.found
  }

  async findService(host: string, binary: string): Promise<ServiceRecord | undefined> {
    return (await findInCells(await this.cells.withHosts(), (c) => c.store.services.find(host, binary)))
      ?.found
  }

  /** The cell whose database holds this service's row. */
  private async cellOf(service: ServiceRecord): Promise<Cell> {
    const where = await findInCells(await this.cells.withHosts(), (c) =>
      c.store.services.getBy({ uuid: service.uuid }),
    )
    if (!where) throw new ServiceNotFound(service.uuid)
    return where.cell
  }

  async updateService(
    service: ServiceRecord,
    values: { disabled?: boolean; disabled_reason?: string | null; forced_down?: boolean },
  ): Promise<ServiceRecord> {
    const updated = await (await this.cellOf(service)).store.services.update(service.id, values)
    if (!updated) throw new ServiceNotFound(String(service.uuid))
    return updated
  }

  /**
   * Delete a service (soft, as Nova). A nova-compute still hosting instances is refused: its
   * claims and instances would be orphaned. Its compute nodes go with it.
   */
  async deleteService(service: ServiceRecord, notFound: () => Error): Promise<void> {
    const { store } = await this.cellOf(service)
    if (service.binary === 'nova-compute' && (await store.instances.countByHosts([service.host])) > 0) {
      throw new Conflict(
        'Unable to delete compute service that is hosting instances. Migrate or delete the instances first.',
      )
    }
    if (!(await store.services.destroy(service.id))) throw notFound()
  }

  /**
   * Every compute node whose nova-compute service still exists, in id order. A node whose service
   * was deleted is skipped, as Nova does (its record awaits manual clean-up).
   */
  async listHypervisors(): Promise<Hypervisor[]> {
    return gather(await this.cells.withHosts(), async ({ store }) => {
      const [nodes, services] = await Promise.all([
        store.nodes.list(),
        store.services.list({ binary: 'nova-compute' }),
      ])
      const byHost = new Map(services.map((s) => [s.host, s]))
      const out: Hypervisor[] = []
      for (const node of nodes) {
        const service = byHost.get(node.host)
        if (service) out.push({ node, service })
      }
      return out
    })
  }

  /** One compute node with its service; undefined if either is gone. */
  async getHypervisor(key: { id: number } | { uuid: string }): Promise<Hypervisor | undefined> {
    const where = await findInCells(await this.cells.withHosts(), (c) => c.store.nodes.getBy(key))
    if (!where) return undefined
    const service = await where.cell.store.services.find(where.found.host, 'nova-compute')
    return service ? { node: where.found, service } : undefined
  }

  /** The live instances on a host (Nova's `instance_get_all_by_host`). */
  async instancesOnHost(host: string): Promise<Instance[]> {
    const cell = await this.cells.forHost(host)
    return cell ? cell.store.instances.list({ host }) : []
  }

  /** Whether a host's nova-compute service is up (no service: not up). */
  async isComputeUp(host: string, now = timestampClock().now()): Promise<boolean> {
    const cell = await this.cells.forHost(host)
    const service = await cell?.store.services.find(host, 'nova-compute')
    return service !== undefined && this.isUp(service, now)
  }

  /** Each host's state as `host_status` shows it (2.16): UP, DOWN, MAINTENANCE; absent when unknown. */
  async hostStatus(hosts: readonly string[]): Promise<Map<string, string>> {
    const wanted = new Set(hosts)
    const out = new Map<string, string>()
    if (wanted.size === 0) return out
    const now = timestampClock().now()
    for (const s of await this.listServices({ binary: 'nova-compute' })) {
      if (!wanted.has(s.host)) continue
      out.set(s.host, s.forced_down || !this.isUp(s, now) ? 'DOWN' : s.disabled ? 'MAINTENANCE' : 'UP')
    }
    return out
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
