import type { Hypervisor, HypervisorStatistics } from '../../compute-api/hosts.js'
import type { Instance } from '../../objects/instance.js'
import { instanceName } from '../../objects/instance.js'
import type { ApiVersion } from '../microversion.js'

export interface HypervisorViewOptions {
  readonly version: ApiVersion
  readonly up: boolean
  readonly detail: boolean
  /** The host's instances, when the caller asked for them (`with_servers`, `/{pattern}/servers`). */
  readonly servers?: readonly Instance[]
  readonly withServers?: boolean
}

/**
 * One hypervisor as `os-hypervisors` shows it (Nova's `_view_hypervisor`): compute_nodes.id
 * before 2.53 and its uuid from then; the usage fields and `cpu_info` only before 2.88 (`cpu_info`
 * parsed from 2.28), `uptime` from 2.88.
 */
export function hypervisorView(
  { node, service }: Hypervisor,
  o: HypervisorViewOptions,
): Record<string, unknown> {
  const v = o.version
  const uuids = v.atLeast('2.53')
  const body: Record<string, unknown> = {
    id: uuids ? node.uuid : node.id,
    hypervisor_hostname: node.hypervisor_hostname,
    state: o.up ? 'up' : 'down',
    status: service.disabled ? 'disabled' : 'enabled',
  }
  if (o.detail) {
    Object.assign(body, {
      hypervisor_type: node.hypervisor_type,
      hypervisor_version: node.hypervisor_version,
      host_ip: node.host_ip,
      service: {
        id: uuids ? service.uuid : service.id,
        host: node.host,
        disabled_reason: service.disabled_reason,
      },
    })
    if (!v.atLeast('2.88')) {
      Object.assign(body, {
        vcpus: node.vcpus,
        memory_mb: node.memory_mb,
        local_gb: node.local_gb,
        vcpus_used: node.vcpus_used,
        memory_mb_used: node.memory_mb_used,
        local_gb_used: node.local_gb_used,
        free_ram_mb: node.free_ram_mb,
        free_disk_gb: node.free_disk_gb,
        current_workload: node.current_workload,
        running_vms: node.running_vms,
        disk_available_least: node.disk_available_least,
        cpu_info: v.atLeast('2.28') ? parseCpuInfo(node.cpu_info) : node.cpu_info,
      })
    } else {
      // Only some drivers (libvirt, zVM) report an uptime; the fake driver does not.
      body.uptime = null
    }
  }
  if (o.servers && o.servers.length > 0) {
    body.servers = o.servers.map((i) => ({ name: instanceName(i.id), uuid: i.uuid }))
  } else if (o.withServers && v.atLeast('2.75')) {
    body.servers = []
  }
  return body
}

function parseCpuInfo(text: string | null): unknown {
  if (!text) return {}
  try {
    return JSON.parse(text)
  } catch {
    return {}
  }
}

export function statisticsView(s: HypervisorStatistics) {
  return { hypervisor_statistics: s }
}
