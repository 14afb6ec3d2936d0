/** One user request against a server, as `os-instance-actions` lists it (Nova's InstanceAction). */
export interface InstanceAction {
  readonly id: number
  readonly action: string
  readonly instance_uuid: string
  readonly request_id: string
  readonly user_id: string | null
  readonly project_id: string | null
  readonly start_time: string | null
  readonly finish_time: string | null
  /** 'Error' once one of its events failed, else null. */
  readonly message: string | null
  readonly created_at: string | null
  readonly updated_at: string | null
}

/** One step of an action done by one service (Nova's InstanceActionEvent). */
export interface InstanceActionEvent {
  readonly id: number
  readonly event: string
  readonly start_time: string | null
  readonly finish_time: string | null
  readonly result: string | null
  readonly traceback: string | null
  readonly host: string | null
  /** Why the event failed, in words a user can act on (2.84, admins). */
  readonly details: string | null
}

export type EventResult = 'Success' | 'Error'

/**
 * An event as the service doing it reports it, after Nova's `wrap_instance_event`: without
 * `finish_time` it starts, with one it ends the event of that name still open (or records the
 * whole event at once when none is open).
 */
export interface ActionEventReport {
  /** `<service prefix>_<method>`, e.g. `compute__do_build_and_run_instance`. */
  readonly event: string
  readonly host: string | null
  readonly start_time: string
  readonly finish_time?: string
  readonly result?: EventResult
  readonly traceback?: string | null
  readonly details?: string | null
}

/** Nova's instance action names (nova/compute/instance_actions.py) used so far. */
export const InstanceActionName = {
  CREATE: 'create',
  DELETE: 'delete',
  STOP: 'stop',
  START: 'start',
  REBOOT: 'reboot',
  PAUSE: 'pause',
  UNPAUSE: 'unpause',
  SUSPEND: 'suspend',
  RESUME: 'resume',
  LOCK: 'lock',
  UNLOCK: 'unlock',
  RESET_STATE: 'resetState',
  TRIGGER_CRASH_DUMP: 'trigger_crash_dump',
  CHANGE_PASSWORD: 'changePassword',
} as const
export type InstanceActionName = (typeof InstanceActionName)[keyof typeof InstanceActionName]

/** How `os-instance-actions` pages (2.58+): newest first, after `marker`, within a time window. */
export interface ActionPage {
  readonly limit?: number
  /** The request id of the last action of the previous page. */
  readonly marker?: string
  /** Stored-format timestamps (`updated_at` bounds, inclusive). */
  readonly changesSince?: string
  readonly changesBefore?: string
}
