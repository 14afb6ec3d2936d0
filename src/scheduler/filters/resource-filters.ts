import type { HostFilter } from './filter.js'

/**
 * The resource fit Placement checks for Nova (VCPU, MEMORY_MB, DISK_GB), against free capacity
 * that already counts every claim. The claim itself re-checks atomically in the database.
 */
export const VcpuFilter: HostFilter = {
  name: 'VCPUFilter',
  passes: (host, spec) => host.freeVcpus >= spec.flavor.vcpus,
  why: (hosts, spec) => `needs ${spec.flavor.vcpus} VCPU, most free is ${max(hosts.map((h) => h.freeVcpus))}`,
}

export const RamFilter: HostFilter = {
  name: 'RamFilter',
  passes: (host, spec) => host.freeRamMb >= spec.flavor.memory_mb,
  why: (hosts, spec) =>
    `needs ${spec.flavor.memory_mb} MB, most free is ${max(hosts.map((h) => h.freeRamMb))} MB`,
}

export const DiskFilter: HostFilter = {
  name: 'DiskFilter',
  passes: (host, spec) => host.freeDiskGb >= spec.flavor.root_gb + spec.flavor.ephemeral_gb,
  why: (hosts, spec) =>
    `needs ${spec.flavor.root_gb + spec.flavor.ephemeral_gb} GB, most free is ${max(hosts.map((h) => h.freeDiskGb))} GB`,
}

function max(values: number[]): number {
  return values.length === 0 ? 0 : Math.floor(Math.max(...values))
}
