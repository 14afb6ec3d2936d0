import type { Flavor } from './flavor.js'
import { TaskState, VmState } from './states.js'

/** An instance as every service sees it: the cell database row, with its flavor parsed. */
export interface Instance {
  readonly id: number
  readonly uuid: string
  readonly user_id: string | null
  readonly project_id: string | null
  readonly display_name: string | null
  readonly display_description: string | null
  readonly hostname: string | null
  readonly vm_state: string | null
  readonly task_state: string | null
  readonly power_state: number | null
  readonly host: string | null
  readonly node: string | null
  readonly image_ref: string | null
  readonly flavor: Flavor
  readonly availability_zone: string | null
  readonly reservation_id: string | null
  readonly launch_index: number | null
  readonly key_name: string | null
  readonly user_data: string | null
  readonly metadata: Readonly<Record<string, string>>
  readonly config_drive: string | null
  readonly access_ip_v4: string | null
  readonly access_ip_v6: string | null
  readonly progress: number | null
  readonly locked: boolean
  /** Who locked it: `owner` (its project) or `admin` (anyone else); null when unlocked. */
  readonly locked_by: string | null
  /**
   * Nova's system metadata: what services keep about the instance that users do not set
   * (`locked_reason` now; later `old_vm_state`, `shelved_*`, the password's pieces).
   */
  readonly system_metadata: Readonly<Record<string, string>>
  readonly root_device_name: string | null
  readonly launched_at: string | null
  readonly terminated_at: string | null
  readonly created_at: string | null
  readonly updated_at: string | null
  readonly deleted: boolean
  /** The newest fault, for servers in ERROR. */
  readonly fault?: InstanceFault | null
}

export interface InstanceFault {
  readonly code: number
  readonly message: string
  readonly details: string | null
  readonly host: string | null
  readonly created_at: string | null
}

/** The fields a state change may write. */
export type InstanceUpdates = Partial<
  Pick<
    Instance,
    | 'vm_state'
    | 'task_state'
    | 'power_state'
    | 'host'
    | 'node'
    | 'launched_at'
    | 'terminated_at'
    | 'progress'
    | 'display_name'
    | 'root_device_name'
  >
>

/** Nova's system metadata keys that tsnova keeps. */
export const SystemMetadataKey = {
  /** Why the server is locked (2.73+), from `lock`'s `locked_reason`. */
  LOCKED_REASON: 'locked_reason',
} as const

/** Nova's `instance_name_template`: `instance-%08x` of the row id. */
export function instanceName(id: number): string {
  return `instance-${id.toString(16).padStart(8, '0')}`
}

/** What the scheduler needs to place one or more instances (Nova's RequestSpec, trimmed). */
export interface RequestSpec {
  readonly instance_uuid: string
  readonly project_id: string
  readonly user_id: string
  readonly flavor: Flavor
  readonly image_ref: string
  readonly num_instances: number
  readonly availability_zone: string | null
  readonly scheduler_hints: Readonly<Record<string, unknown>>
  readonly ignore_hosts: readonly string[]
  /** The API request that asked for it: a re-driven create still records its actions under it. */
  readonly request_id?: string
  /** Admin's `availability_zone: "az:host[:node]"`: only these hosts / nodes (still filtered). */
  readonly force_hosts?: readonly string[]
  readonly force_nodes?: readonly string[]
  /**
   * Nova's Destination: `host` / `hypervisor_hostname` in the create body (2.74+), a requested,
   * still filtered, host; `cell` (hint `target_cell`), the only cell whose hosts are considered.
   */
  readonly requested_destination?: {
    readonly host?: string | null
    readonly node?: string | null
    /** The cell mapping, trimmed to what names it. */
    readonly cell?: { readonly uuid: string; readonly name: string | null } | null
  } | null
  /** The server group the instance boots into (hint `group`), with its members at request time. */
  readonly instance_group?: RequestSpecGroup | null
  /** The image, with its properties (hw_architecture, img_hv_type, …) once images carry them. */
  readonly image?: { readonly properties?: Readonly<Record<string, unknown>> } | null
}

/** Nova's InstanceGroup as a RequestSpec carries it: policy, rules, members and their hosts. */
export interface RequestSpecGroup {
  readonly uuid: string
  /** `affinity`, `anti-affinity`, `soft-affinity` or `soft-anti-affinity` */
  readonly policy: string
  readonly rules?: Readonly<Record<string, string | number>>
  /** Instance uuids already in the group. */
  readonly members: readonly string[]
  /** Hosts the members run on (Nova fills it for the affinity filter). */
  readonly hosts?: readonly string[]
}

/** A hard server-group policy, as a claim must hold it. */
export interface GroupPolicyClaim {
  readonly uuid: string
  readonly policy: 'affinity' | 'anti-affinity'
  /** anti-affinity's `max_server_per_host` rule (default 1). */
  readonly maxServerPerHost: number
}

/** The hard policy of the spec's server group, if it has one (soft policies only weigh). */
export function hardGroupPolicy(spec: RequestSpec): GroupPolicyClaim | null {
  const g = spec.instance_group
  if (!g || (g.policy !== 'affinity' && g.policy !== 'anti-affinity')) return null
  const max = Number(g.rules?.max_server_per_host ?? 1)
  return { uuid: g.uuid, policy: g.policy, maxServerPerHost: Number.isInteger(max) && max > 0 ? max : 1 }
}

/** The server the user asked for, before it has a cell (Nova's BuildRequest.instance). */
export interface BuildRequestInstance {
  readonly uuid: string
  readonly display_name: string
  readonly hostname: string
  readonly project_id: string
  readonly user_id: string
  readonly image_ref: string
  readonly flavor: Flavor
  readonly availability_zone: string | null
  readonly reservation_id: string
  readonly launch_index: number
  readonly key_name: string | null
  readonly user_data: string | null
  readonly metadata: Readonly<Record<string, string>>
  readonly display_description: string | null
  readonly access_ip_v4: string | null
  readonly access_ip_v6: string | null
  readonly config_drive: string | null
  readonly created_at: string
}

/** A new cell instance: what the user asked for, and where (and in which state) it starts. */
export type NewInstance = BuildRequestInstance & {
  readonly vm_state: string
  readonly task_state: string | null
  readonly host: string | null
  readonly node: string | null
}

/** A fault to record against an instance: why it is in ERROR (Nova's InstanceFault). */
export interface NewFault {
  readonly code: number
  readonly message: string
  readonly details?: string | null
  readonly host?: string | null
}

/** The scheduler's answer for one instance (Nova's Selection). */
export interface Selection {
  readonly compute_node_uuid: string
  readonly service_host: string
  readonly nodename: string
  readonly cell_uuid: string
  readonly limits: Readonly<Record<string, number>>
}

/** A server still waiting for its cell, shown as Nova shows one: BUILD/scheduling, no host yet. */
export function instanceFromBuildRequest(br: BuildRequestInstance): Instance {
  return {
    id: 0,
    uuid: br.uuid,
    user_id: br.user_id,
    project_id: br.project_id,
    display_name: br.display_name,
    display_description: br.display_description,
    hostname: br.hostname,
    vm_state: VmState.BUILDING,
    task_state: TaskState.SCHEDULING,
    power_state: 0,
    host: null,
    node: null,
    image_ref: br.image_ref,
    flavor: br.flavor,
    availability_zone: br.availability_zone,
    reservation_id: br.reservation_id,
    launch_index: br.launch_index,
    key_name: br.key_name,
    user_data: br.user_data,
    metadata: br.metadata,
    config_drive: br.config_drive,
    access_ip_v4: br.access_ip_v4,
    access_ip_v6: br.access_ip_v6,
    progress: 0,
    locked: false,
    locked_by: null,
    system_metadata: {},
    root_device_name: null,
    launched_at: null,
    terminated_at: null,
    created_at: br.created_at,
    updated_at: br.created_at,
    deleted: false,
    fault: null,
  }
}
