/** Nova's instance state machine: vm_state (stable), task_state (in flight), power_state (hypervisor). */
export const VmState = {
  ACTIVE: 'active',
  BUILDING: 'building',
  PAUSED: 'paused',
  SUSPENDED: 'suspended',
  STOPPED: 'stopped',
  RESCUED: 'rescued',
  RESIZED: 'resized',
  SOFT_DELETED: 'soft-delete',
  DELETED: 'deleted',
  ERROR: 'error',
  SHELVED: 'shelved',
  SHELVED_OFFLOADED: 'shelved_offloaded',
} as const
export type VmState = (typeof VmState)[keyof typeof VmState]

export const TaskState = {
  SCHEDULING: 'scheduling',
  BLOCK_DEVICE_MAPPING: 'block_device_mapping',
  NETWORKING: 'networking',
  SPAWNING: 'spawning',
  DELETING: 'deleting',
} as const
export type TaskState = (typeof TaskState)[keyof typeof TaskState]

/** Values match libvirt's virDomainState, as Nova's do. */
export const PowerState = {
  NOSTATE: 0,
  RUNNING: 1,
  PAUSED: 3,
  SHUTDOWN: 4,
  CRASHED: 6,
  SUSPENDED: 7,
} as const
export type PowerState = (typeof PowerState)[keyof typeof PowerState]

const taskOverrides: Record<string, Record<string, string>> = {
  active: {
    rebooting: 'REBOOT',
    reboot_pending: 'REBOOT',
    reboot_started: 'REBOOT',
    rebooting_hard: 'HARD_REBOOT',
    reboot_pending_hard: 'HARD_REBOOT',
    reboot_started_hard: 'HARD_REBOOT',
    updating_password: 'PASSWORD',
    rebuilding: 'REBUILD',
    rebuild_block_device_mapping: 'REBUILD',
    rebuild_spawning: 'REBUILD',
    migrating: 'MIGRATING',
    resize_prep: 'RESIZE',
    resize_migrating: 'RESIZE',
    resize_migrated: 'RESIZE',
    resize_finish: 'RESIZE',
  },
  stopped: {
    resize_prep: 'RESIZE',
    resize_migrating: 'RESIZE',
    resize_migrated: 'RESIZE',
    resize_finish: 'RESIZE',
    rebuilding: 'REBUILD',
    rebuild_block_device_mapping: 'REBUILD',
    rebuild_spawning: 'REBUILD',
  },
  resized: { resize_reverting: 'REVERT_RESIZE' },
  paused: { migrating: 'MIGRATING' },
  error: { rebuilding: 'REBUILD', rebuild_block_device_mapping: 'REBUILD', rebuild_spawning: 'REBUILD' },
}

const defaultStatus: Record<string, string> = {
  active: 'ACTIVE',
  building: 'BUILD',
  stopped: 'SHUTOFF',
  resized: 'VERIFY_RESIZE',
  paused: 'PAUSED',
  suspended: 'SUSPENDED',
  rescued: 'RESCUE',
  error: 'ERROR',
  deleted: 'DELETED',
  'soft-delete': 'SOFT_DELETED',
  shelved: 'SHELVED',
  shelved_offloaded: 'SHELVED_OFFLOADED',
}

/** The API `status` for a vm_state/task_state pair (Nova's `_STATE_MAP`). */
export function statusFromState(vmState: string | null, taskState: string | null): string {
  const state = vmState ?? ''
  if (taskState) {
    const override = taskOverrides[state]?.[taskState]
    if (override) return override
  }
  return defaultStatus[state] ?? 'UNKNOWN'
}

/** Statuses whose servers show `progress`. */
export const PROGRESS_STATUSES = new Set([
  'ACTIVE',
  'BUILD',
  'REBUILD',
  'RESIZE',
  'VERIFY_RESIZE',
  'MIGRATING',
])

/**
 * The states a `status` filter selects (Nova's `task_and_vm_state_from_status`): every vm_state
 * showing one of the statuses, and the task_states that make it show so; `anyTask` when a
 * vm_state shows the status by default (then its task_state does not matter, as in Nova).
 */
export function statesFromStatus(statuses: readonly string[]): {
  vmStates: string[]
  taskStates: string[]
  anyTask: boolean
} {
  const wanted = new Set(statuses.map((s) => s.toLowerCase()))
  const vmStates = new Set<string>()
  const taskStates = new Set<string>()
  let anyTask = false
  for (const [vmState, status] of Object.entries(defaultStatus)) {
    if (wanted.has(status.toLowerCase())) {
      vmStates.add(vmState)
      anyTask = true
    }
  }
  for (const [vmState, tasks] of Object.entries(taskOverrides)) {
    for (const [taskState, status] of Object.entries(tasks)) {
      if (!wanted.has(status.toLowerCase())) continue
      vmStates.add(vmState)
      taskStates.add(taskState)
    }
  }
  return { vmStates: [...vmStates].sort(), taskStates: [...taskStates].sort(), anyTask }
}
