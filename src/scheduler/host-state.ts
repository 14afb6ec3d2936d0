import type { ComputeNode } from '../objects/compute-node.js'
import type { ServiceRecord } from '../objects/service.js'
import { fromDbTime } from '../shared/time.js'

/** A host aggregate as the filters see it (Nova's Aggregate: name, hosts, metadata). */
export interface AggregateInfo {
  readonly id: number
  readonly name: string
  readonly metadata: Readonly<Record<string, string>>
}

/** The compute service behind a node, as the ComputeFilter needs it. */
export interface ServiceInfo {
  readonly id: number
  readonly host: string
  readonly disabled: boolean
  readonly disabled_reason: string | null
  readonly forced_down: boolean
  /** last_seen_up (or created_at before the first report), in epoch ms; NaN when neither is set. */
  readonly lastSeenMs: number
  readonly updated_at: string | null
}

/**
 * One compute node as the filters and weighers see it. Attribute names are Nova's HostState
 * names, so JsonFilter's `$free_ram_mb` and ComputeCapabilitiesFilter's `capabilities:…` keys
 * resolve as they do in Nova.
 *
 * Usage comes from the claims (Placement's allocations, kept in compute_nodes.*_allocated), so a
 * host state is current as soon as a claim commits, not only after the next compute report.
 */
export class HostState {
  readonly host: string
  readonly nodename: string
  readonly uuid: string
  /** compute_nodes.id: what claims are made against. */
  readonly nodeId: number
  cell_uuid: string
  service: ServiceInfo | undefined
  /** Aggregates this host is in (empty until the aggregates API exists). */
  aggregates: readonly AggregateInfo[] = []
  /** Extra key/values a compute reports (Nova's compute stats); ComputeCapabilitiesFilter reads them. */
  stats: Readonly<Record<string, string>> = {}
  /** [arch, hv_type, vm_mode] triples; undefined while computes do not report them. */
  supported_instances: readonly (readonly string[])[] | undefined = undefined

  hypervisor_type = ''
  hypervisor_version = 0
  hypervisor_hostname = ''
  cpu_info = '{}'
  host_ip: string | null = null
  /** compute_nodes.updated_at of the row this state was last built from (or later, after a claim). */
  updated: string | null = null

  vcpus_total = 0
  total_usable_ram_mb = 0
  total_usable_disk_gb = 0
  cpu_allocation_ratio = 1
  ram_allocation_ratio = 1
  disk_allocation_ratio = 1
  reserved_vcpus = 0
  reserved_memory_mb = 0
  reserved_disk_gb = 0
  /** Claimed so far (the allocations' sums). */
  vcpus_allocated = 0
  memory_mb_allocated = 0
  disk_gb_allocated = 0
  /** Claims on this node: one per instance (Nova's num_instances). */
  num_instances = 0
  /** Instances here that are building, or in an I/O-heavy task (Nova's io_workload). */
  num_io_ops = 0
  /** Consecutive failed builds the compute reported (BuildFailureWeigher). */
  failed_builds = 0

  constructor(node: Pick<ComputeNode, 'id' | 'uuid' | 'host' | 'hypervisor_hostname'>, cellUuid: string) {
    this.nodeId = node.id
    this.uuid = node.uuid
    this.host = node.host
    this.nodename = node.hypervisor_hostname
    this.cell_uuid = cellUuid
  }

  /** Take a compute_nodes row: capacity, ratios, reservations, and the claims made against it. */
  updateFromComputeNode(node: ComputeNode): void {
    this.hypervisor_type = node.hypervisor_type
    this.hypervisor_version = node.hypervisor_version
    this.hypervisor_hostname = node.hypervisor_hostname
    this.cpu_info = node.cpu_info
    this.host_ip = node.host_ip
    this.vcpus_total = node.vcpus
    this.total_usable_ram_mb = node.memory_mb
    this.total_usable_disk_gb = node.local_gb
    this.cpu_allocation_ratio = Number(node.cpu_allocation_ratio)
    this.ram_allocation_ratio = Number(node.ram_allocation_ratio)
    this.disk_allocation_ratio = Number(node.disk_allocation_ratio)
    this.reserved_vcpus = node.reserved_vcpus
    this.reserved_memory_mb = node.reserved_memory_mb
    this.reserved_disk_gb = node.reserved_disk_gb
    this.vcpus_allocated = Number(node.vcpus_allocated)
    this.memory_mb_allocated = Number(node.memory_mb_allocated)
    this.disk_gb_allocated = Number(node.disk_gb_allocated)
    this.failed_builds = Number(node.failed_builds ?? 0)
    this.updated = node.updated_at
  }

  // --- Nova's HostState figures (not ratio-scaled), for weighers and JsonFilter

  /** memory_mb - reserved - claimed: what Nova's resource tracker reports as free_ram_mb. */
  get free_ram_mb(): number {
    return this.total_usable_ram_mb - this.reserved_memory_mb - this.memory_mb_allocated
  }

  get free_disk_mb(): number {
    return (this.total_usable_disk_gb - this.reserved_disk_gb - this.disk_gb_allocated) * 1024
  }

  get disk_mb_used(): number {
    return (this.reserved_disk_gb + this.disk_gb_allocated) * 1024
  }

  get vcpus_used(): number {
    return this.vcpus_allocated
  }

  // --- Placement's capacity: (total - reserved) * allocation_ratio - allocated

  get vcpusFree(): number {
    return (this.vcpus_total - this.reserved_vcpus) * this.cpu_allocation_ratio - this.vcpus_allocated
  }

  get ramFreeMb(): number {
    return (
      (this.total_usable_ram_mb - this.reserved_memory_mb) * this.ram_allocation_ratio -
      this.memory_mb_allocated
    )
  }

  get diskFreeGb(): number {
    return (
      (this.total_usable_disk_gb - this.reserved_disk_gb) * this.disk_allocation_ratio -
      this.disk_gb_allocated
    )
  }

  /** Nova's servicegroup rule: up while the last report is at most `serviceDownTimeS` old. */
  isUp(serviceDownTimeS: number, now: number): boolean {
    const s = this.service
    if (!s || s.forced_down || Number.isNaN(s.lastSeenMs)) return false
    return Math.abs(now - s.lastSeenMs) <= serviceDownTimeS * 1000
  }

  /**
   * What a successful claim took (Nova's consume_from_request), until the row is read again
   * (the claim moved its updated_at, so the next refresh reads it).
   */
  consume(r: { vcpus: number; memory_mb: number; disk_gb: number }): void {
    this.vcpus_allocated += r.vcpus
    this.memory_mb_allocated += r.memory_mb
    this.disk_gb_allocated += r.disk_gb
    this.num_instances += 1
    this.num_io_ops += 1
  }

  toString(): string {
    return `(${this.host}, ${this.nodename})`
  }
}

/** A services row as the scheduler keeps it. */
export function serviceInfoFrom(s: ServiceRecord): ServiceInfo {
  const last = s.last_seen_up ?? s.created_at
  return {
    id: s.id,
    host: s.host,
    disabled: Boolean(s.disabled),
    disabled_reason: s.disabled_reason,
    forced_down: Boolean(s.forced_down),
    lastSeenMs: last ? fromDbTime(last).getTime() : Number.NaN,
    updated_at: s.updated_at,
  }
}

/**
 * The HostState attributes a flavor extra spec (ComputeCapabilitiesFilter) or a JsonFilter
 * `$variable` may name: Nova's HostState attributes. Anything else is not an attribute.
 */
const ATTRIBUTES = new Set([
  'host',
  'nodename',
  'uuid',
  'cell_uuid',
  'total_usable_ram_mb',
  'total_usable_disk_gb',
  'disk_mb_used',
  'free_ram_mb',
  'free_disk_mb',
  'vcpus_total',
  'vcpus_used',
  'num_instances',
  'num_io_ops',
  'failed_builds',
  'host_ip',
  'hypervisor_type',
  'hypervisor_version',
  'hypervisor_hostname',
  'cpu_info',
  'supported_instances',
  'ram_allocation_ratio',
  'cpu_allocation_ratio',
  'disk_allocation_ratio',
  'updated',
  'stats',
  'aggregates',
  'metrics',
  'limits',
])

export function hasHostAttribute(name: string): boolean {
  return ATTRIBUTES.has(name)
}

/** `getattr(host_state, name, None)`, for the names above only. */
export function hostAttribute(host: HostState, name: string): unknown {
  if (!ATTRIBUTES.has(name)) return undefined
  if (name === 'metrics') return null
  if (name === 'limits') return {}
  return (host as unknown as Record<string, unknown>)[name]
}
