import type { Generated } from 'kysely'

/** A cell database: the instances of that cell and the hosts that run them. */
export interface CellSchema {
  instances: InstancesTable
  instance_faults: {
    id: Generated<number>
    instance_uuid: string
    code: number
    message: string
    details: string | null
    host: string | null
    created_at: string | null
    updated_at: string | null
    deleted_at: string | null
    deleted: Generated<number>
  }
  instance_actions: {
    id: Generated<number>
    action: string
    instance_uuid: string
    request_id: string
    user_id: string | null
    project_id: string | null
    start_time: string | null
    finish_time: string | null
    message: string | null
    created_at: string | null
    updated_at: string | null
    deleted_at: string | null
    deleted: Generated<number>
  }
  instance_actions_events: {
    id: Generated<number>
    action_id: number
    event: string
    start_time: string | null
    finish_time: string | null
    result: string | null
    traceback: string | null
    host: string | null
    details: string | null
    created_at: string | null
    updated_at: string | null
    deleted_at: string | null
    deleted: Generated<number>
  }
  services: ServicesTable
  compute_nodes: ComputeNodesTable
  allocations: {
    id: Generated<number>
    consumer_uuid: string
    compute_node_id: number
    vcpus: number
    memory_mb: number
    disk_gb: number
    /** The hard-policy server group the consumer belongs to, if any. */
    instance_group_uuid?: string | null
    created_at: string | null
  }
}

export interface InstancesTable {
  id: Generated<number>
  /** How many times the conductor's re-drive sent this instance's build or delete again. */
  redrive_count: Generated<number>
  uuid: string
  user_id: string | null
  project_id: string | null
  display_name: string | null
  display_description: string | null
  hostname: string | null
  vm_state: string | null
  task_state: string | null
  power_state: number | null
  host: string | null
  node: string | null
  launched_on: string | null
  image_ref: string | null
  instance_type_id: number | null
  flavor: string | null
  memory_mb: number | null
  vcpus: number | null
  root_gb: number | null
  ephemeral_gb: number | null
  availability_zone: string | null
  reservation_id: string | null
  launch_index: number | null
  key_name: string | null
  user_data: string | null
  metadata: string | null
  config_drive: string | null
  access_ip_v4: string | null
  access_ip_v6: string | null
  progress: number | null
  locked: boolean | number
  locked_by: string | null
  /** JSON object of Nova's system metadata (null: none). */
  system_metadata: string | null
  root_device_name: string | null
  launched_at: string | null
  terminated_at: string | null
  created_at: string | null
  updated_at: string | null
  deleted_at: string | null
  deleted: Generated<number>
}

export interface ServicesTable {
  id: Generated<number>
  uuid: string
  host: string
  binary: string
  topic: string | null
  report_count: number
  disabled: boolean | number
  disabled_reason: string | null
  last_seen_up: string | null
  forced_down: boolean | number
  version: number
  created_at: string | null
  updated_at: string | null
  deleted_at: string | null
  deleted: Generated<number>
}

export interface ComputeNodesTable {
  id: Generated<number>
  uuid: string
  service_id: number | null
  host: string
  hypervisor_hostname: string
  hypervisor_type: string
  hypervisor_version: number
  cpu_info: string
  host_ip: string | null
  vcpus: number
  memory_mb: number
  local_gb: number
  vcpus_used: number
  memory_mb_used: number
  local_gb_used: number
  free_ram_mb: number
  free_disk_gb: number
  disk_available_least: number | null
  current_workload: number
  running_vms: number
  cpu_allocation_ratio: number
  ram_allocation_ratio: number
  disk_allocation_ratio: number
  reserved_vcpus: number
  reserved_memory_mb: number
  reserved_disk_gb: number
  /** What the scheduler has claimed here (Placement's usages): compared atomically against capacity. */
  vcpus_allocated: Generated<number>
  memory_mb_allocated: Generated<number>
  disk_gb_allocated: Generated<number>
  /** Consecutive failed builds the compute reported (Nova's failed_builds stat; BuildFailureWeigher). */
  failed_builds: Generated<number>
  mapped: Generated<number>
  created_at: string | null
  updated_at: string | null
  deleted_at: string | null
  deleted: Generated<number>
}
