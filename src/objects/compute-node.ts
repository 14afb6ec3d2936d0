/** What a compute host reports about itself (`update_available_resource`). */
export interface ComputeNodeReport {
  readonly host: string
  readonly hypervisor_hostname: string
  readonly hypervisor_type: string
  readonly hypervisor_version: number
  readonly cpu_info: string
  readonly host_ip: string | null
  readonly vcpus: number
  readonly memory_mb: number
  readonly local_gb: number
  readonly vcpus_used: number
  readonly memory_mb_used: number
  readonly local_gb_used: number
  readonly running_vms: number
  readonly cpu_allocation_ratio: number
  readonly ram_allocation_ratio: number
  readonly disk_allocation_ratio: number
  readonly reserved_vcpus: number
  readonly reserved_memory_mb: number
  readonly reserved_disk_gb: number
  /** Consecutive failed builds on this node (reset by a successful one). */
  readonly failed_builds?: number
}

/** A hypervisor of a compute host: what it reported, and what the scheduler has claimed on it. */
export interface ComputeNode extends Omit<ComputeNodeReport, 'failed_builds'> {
  readonly id: number
  readonly uuid: string
  readonly service_id: number | null
  readonly free_ram_mb: number
  readonly free_disk_gb: number
  readonly disk_available_least: number | null
  readonly current_workload: number
  /** What the scheduler has claimed here (Placement's usages): compared atomically against capacity. */
  readonly vcpus_allocated: number
  readonly memory_mb_allocated: number
  readonly disk_gb_allocated: number
  /** Consecutive failed builds the compute reported (Nova's failed_builds stat; BuildFailureWeigher). */
  readonly failed_builds: number
  readonly mapped: number
  readonly created_at: string | null
  readonly updated_at: string | null
  readonly deleted_at: string | null
  readonly deleted: number
}

/** The resources one instance claims on a node. */
export interface ResourceRequest {
  readonly vcpus: number
  readonly memory_mb: number
  readonly disk_gb: number
}
