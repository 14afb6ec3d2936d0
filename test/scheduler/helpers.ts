/** Builders for the scheduler's pure unit tests: host states and requests without a database. */
import type { Flavor } from '../../src/objects/flavor.js'
import type { RequestSpec } from '../../src/objects/instance.js'
import type { FilterRequest } from '../../src/scheduler/filters/filter.js'
import { type AggregateInfo, HostState, type ServiceInfo } from '../../src/scheduler/host-state.js'
import { DEFAULT_SCHEDULER_OPTIONS } from '../../src/scheduler/options.js'

export const NOW = Date.parse('2025-01-01T12:00:00Z')

let nextId = 1

export interface HostSpec {
  readonly host?: string
  readonly vcpus?: number
  readonly vcpusUsed?: number
  readonly memoryMb?: number
  readonly memoryUsedMb?: number
  readonly diskGb?: number
  readonly diskUsedGb?: number
  readonly reservedMemoryMb?: number
  readonly reservedVcpus?: number
  readonly reservedDiskGb?: number
  readonly cpuRatio?: number
  readonly ramRatio?: number
  readonly diskRatio?: number
  readonly numInstances?: number
  readonly numIoOps?: number
  readonly failedBuilds?: number
  readonly hypervisorType?: string
  readonly hypervisorVersion?: number
  readonly cpuInfo?: unknown
  /** The compute's `[DEFAULT] my_ip` (compute_nodes.host_ip); none by default. */
  readonly hostIp?: string | null
  readonly stats?: Record<string, string>
  readonly supportedInstances?: string[][]
  readonly aggregates?: Omit<AggregateInfo, 'id'>[]
  readonly service?: Partial<ServiceInfo> | null
}

/** A host with 16 vCPU, 32 GB RAM, 1 TB disk, nothing used, an enabled service heard from just now. */
export function makeHost(spec: HostSpec = {}): HostState {
  const id = nextId++
  const name = spec.host ?? `host${id}`
  const h = new HostState({ id, uuid: `uuid-${name}`, host: name, hypervisor_hostname: name }, 'cell-uuid')
  h.vcpus_total = spec.vcpus ?? 16
  h.total_usable_ram_mb = spec.memoryMb ?? 32768
  h.total_usable_disk_gb = spec.diskGb ?? 1000
  h.vcpus_allocated = spec.vcpusUsed ?? 0
  h.memory_mb_allocated = spec.memoryUsedMb ?? 0
  h.disk_gb_allocated = spec.diskUsedGb ?? 0
  h.reserved_memory_mb = spec.reservedMemoryMb ?? 0
  h.reserved_vcpus = spec.reservedVcpus ?? 0
  h.reserved_disk_gb = spec.reservedDiskGb ?? 0
  h.cpu_allocation_ratio = spec.cpuRatio ?? 4
  h.ram_allocation_ratio = spec.ramRatio ?? 1
  h.disk_allocation_ratio = spec.diskRatio ?? 1
  h.num_instances = spec.numInstances ?? 0
  h.num_io_ops = spec.numIoOps ?? 0
  h.failed_builds = spec.failedBuilds ?? 0
  h.hypervisor_type = spec.hypervisorType ?? 'fake'
  h.hypervisor_version = spec.hypervisorVersion ?? 1000
  h.hypervisor_hostname = name
  h.host_ip = spec.hostIp ?? null
  h.cpu_info = JSON.stringify(spec.cpuInfo ?? { arch: 'x86_64', vendor: 'Intel', features: ['avx2', 'vmx'] })
  h.stats = spec.stats ?? {}
  h.supported_instances = spec.supportedInstances
  h.aggregates = (spec.aggregates ?? []).map((a, i) => ({ ...a, id: i + 1 }))
  h.service =
    spec.service === null
      ? undefined
      : {
          id,
          host: name,
          disabled: false,
          disabled_reason: null,
          forced_down: false,
          lastSeenMs: NOW - 5000,
          updated_at: null,
          ...spec.service,
        }
  return h
}

export const FLAVOR: Flavor = {
  id: 1,
  flavorid: '1',
  name: 'm1.small',
  memory_mb: 2048,
  vcpus: 1,
  root_gb: 20,
  ephemeral_gb: 0,
  swap: 0,
  rxtx_factor: 1,
  vcpu_weight: null,
  disabled: false,
  is_public: true,
  description: null,
  extra_specs: {},
}

export interface RequestOverrides extends Partial<Omit<RequestSpec, 'flavor'>> {
  readonly flavor?: Partial<Flavor>
  readonly hints?: Record<string, unknown>
  readonly options?: Partial<FilterRequest['options']>
  readonly instanceHosts?: Record<string, string>
}

export function makeRequest(o: RequestOverrides = {}): FilterRequest {
  const { flavor, hints, options, instanceHosts, ...spec } = o
  return {
    spec: {
      instance_uuid: 'instance-0',
      project_id: 'project-a',
      user_id: 'alice',
      image_ref: 'image',
      num_instances: 1,
      availability_zone: null,
      ignore_hosts: [],
      ...spec,
      scheduler_hints: hints ?? spec.scheduler_hints ?? {},
      flavor: { ...FLAVOR, ...flavor },
    },
    options: { ...DEFAULT_SCHEDULER_OPTIONS, ...options },
    now: NOW,
    instanceHosts: new Map(Object.entries(instanceHosts ?? {})),
  }
}
