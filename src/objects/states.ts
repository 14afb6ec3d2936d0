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

/** Every task_state of Nova's (nova/compute/task_states.py), as stored. */
export const TaskState = {
  SCHEDULING: 'scheduling',
  BLOCK_DEVICE_MAPPING: 'block_device_mapping',
  NETWORKING: 'networking',
  SPAWNING: 'spawning',
  IMAGE_SNAPSHOT: 'image_snapshot',
  IMAGE_SNAPSHOT_PENDING: 'image_snapshot_pending',
  IMAGE_PENDING_UPLOAD: 'image_pending_upload',
  IMAGE_UPLOADING: 'image_uploading',
  IMAGE_BACKUP: 'image_backup',
  UPDATING_PASSWORD: 'updating_password',
  RESIZE_PREP: 'resize_prep',
  RESIZE_MIGRATING: 'resize_migrating',
  RESIZE_MIGRATED: 'resize_migrated',
  RESIZE_FINISH: 'resize_finish',
  RESIZE_REVERTING: 'resize_reverting',
  RESIZE_CONFIRMING: 'resize_confirming',
  REBOOTING: 'rebooting',
  REBOOT_PENDING: 'reboot_pending',
  REBOOT_STARTED: 'reboot_started',
  REBOOTING_HARD: 'rebooting_hard',
  REBOOT_PENDING_HARD: 'reboot_pending_hard',
  REBOOT_STARTED_HARD: 'reboot_started_hard',
  PAUSING: 'pausing',
  UNPAUSING: 'unpausing',
  SUSPENDING: 'suspending',
  RESUMING: 'resuming',
  POWERING_OFF: 'powering-off',
  POWERING_ON: 'powering-on',
  RESCUING: 'rescuing',
  UNRESCUING: 'unrescuing',
  REBUILDING: 'rebuilding',
  REBUILD_BLOCK_DEVICE_MAPPING: 'rebuild_block_device_mapping',
  REBUILD_SPAWNING: 'rebuild_spawning',
  MIGRATING: 'migrating',
  DELETING: 'deleting',
  SOFT_DELETING: 'soft-deleting',
  RESTORING: 'restoring',
  SHELVING: 'shelving',
  SHELVING_IMAGE_PENDING_UPLOAD: 'shelving_image_pending_upload',
  SHELVING_IMAGE_UPLOADING: 'shelving_image_uploading',
  SHELVING_OFFLOADING: 'shelving_offloading',
  UNSHELVING: 'unshelving',
} as const
export type TaskState = (typeof TaskState)[keyof typeof TaskState]

/** A soft reboot asks the guest to restart; a hard one resets it (and starts it if it is off). */
export type RebootKind = 'SOFT' | 'HARD'

/** vm_states a soft reboot starts from (Nova's `ALLOW_SOFT_REBOOT`). */
export const ALLOW_SOFT_REBOOT: readonly VmState[] = [VmState.ACTIVE]
/** vm_states a hard reboot starts from: it also recovers a server in ERROR (`ALLOW_HARD_REBOOT`). */
export const ALLOW_HARD_REBOOT: readonly VmState[] = [
  VmState.ACTIVE,
  VmState.STOPPED,
  VmState.PAUSED,
  VmState.SUSPENDED,
  VmState.ERROR,
]
/** vm_states a crash dump may be triggered in (`ALLOW_TRIGGER_CRASH_DUMP`). */
export const ALLOW_TRIGGER_CRASH_DUMP: readonly VmState[] = [
  VmState.ACTIVE,
  VmState.PAUSED,
  VmState.RESCUED,
  VmState.RESIZED,
  VmState.ERROR,
]
/** task_states a hard reboot may interrupt (`task_states.ALLOW_REBOOT`). */
export const ALLOW_REBOOT: readonly (TaskState | null)[] = [
  null,
  TaskState.REBOOTING,
  TaskState.REBOOT_PENDING,
  TaskState.REBOOT_STARTED,
  TaskState.RESUMING,
  TaskState.REBOOTING_HARD,
  TaskState.UNPAUSING,
  TaskState.PAUSING,
  TaskState.SUSPENDING,
]
/** The task_states of a soft reboot under way, and of a hard one. */
export const SOFT_REBOOT_STATES: readonly TaskState[] = [
  TaskState.REBOOTING,
  TaskState.REBOOT_PENDING,
  TaskState.REBOOT_STARTED,
]
export const HARD_REBOOT_STATES: readonly TaskState[] = [
  TaskState.REBOOTING_HARD,
  TaskState.REBOOT_PENDING_HARD,
  TaskState.REBOOT_STARTED_HARD,
]

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

/** Power states by name, as Nova's messages and notifications spell them (`power_state.STATE_MAP`). */
export const POWER_STATE_NAMES: Readonly<Record<number, string>> = {
  0: 'pending',
  1: 'running',
  3: 'paused',
  4: 'shutdown',
  6: 'crashed',
  7: 'suspended',
}

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
