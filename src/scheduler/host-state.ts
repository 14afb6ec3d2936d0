import type { ComputeNodeRecord, ServiceRecord } from '../db/cell/cell-store.js'

/** One compute node as the filters and weighers see it: capacity, claims, and its service's health. */
export interface HostState {
  readonly host: string
  readonly nodename: string
  readonly uuid: string
  readonly nodeId: number
  readonly up: boolean
  readonly disabled: boolean
  readonly totalVcpus: number
  readonly totalMemoryMb: number
  readonly totalDiskGb: number
  /** Free after reservations, allocation ratios and every claim so far. */
  freeVcpus: number
  freeRamMb: number
  freeDiskGb: number
  numInstances: number
}

export function hostStateFrom(
  node: ComputeNodeRecord,
  service: ServiceRecord | undefined,
  up: boolean,
): HostState {
  const cpuRatio = Number(node.cpu_allocation_ratio)
  const ramRatio = Number(node.ram_allocation_ratio)
  const diskRatio = Number(node.disk_allocation_ratio)
  return {
    host: node.host,
    nodename: node.hypervisor_hostname,
    uuid: node.uuid,
    nodeId: node.id,
    up,
    disabled: service?.disabled ?? true,
    totalVcpus: node.vcpus,
    totalMemoryMb: node.memory_mb,
    totalDiskGb: node.local_gb,
    freeVcpus: (node.vcpus - node.reserved_vcpus) * cpuRatio - node.vcpus_allocated,
    freeRamMb: (node.memory_mb - node.reserved_memory_mb) * ramRatio - node.memory_mb_allocated,
    freeDiskGb: (node.local_gb - node.reserved_disk_gb) * diskRatio - node.disk_gb_allocated,
    numInstances: node.running_vms,
  }
}
