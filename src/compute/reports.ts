import type { ConductorClient } from '../conductor/rpcapi.js'
import type { ActionEventReport } from '../objects/instance-action.js'
import { type RetryPolicy, sendUntilDelivered } from '../rpc/retry.js'
import type { Logger } from '../shared/logger.js'
import { dbNow } from '../shared/time.js'

/**
 * How a compute host tells the conductor what happened: every report is retried until it is
 * delivered (across a broker restart), and each step is an instance-action event.
 */
export class ConductorReports {
  constructor(
    readonly conductor: ConductorClient,
    /** This host's name, on the events it records. */
    readonly host: string,
    /** How long reports are retried while the message bus is away. */
    private readonly retry: RetryPolicy,
  ) {}

  /** Send a report to the conductor until it is delivered, across a broker restart. */
  deliver<T>(log: Logger, what: string, send: () => Promise<T>): Promise<T> {
    return sendUntilDelivered(send, `report of ${what} to the conductor`, log, this.retry)
  }

  /** An instance-action event this host begins now (Nova's `wrap_instance_event(prefix='compute')`). */
  startEvent(name: string): ActionEventReport {
    return { event: name, host: this.host, start_time: dbNow() }
  }
}

/** Nova's event names: the service prefix and the manager method that does the work. */
export const BUILD_EVENT = 'compute__do_build_and_run_instance'
export const TERMINATE_EVENT = 'compute_terminate_instance'
export const STOP_EVENT = 'compute_stop_instance'
export const START_EVENT = 'compute_start_instance'
export const REBOOT_EVENT = 'compute_reboot_instance'
export const PAUSE_EVENT = 'compute_pause_instance'
export const UNPAUSE_EVENT = 'compute_unpause_instance'
export const SUSPEND_EVENT = 'compute_suspend_instance'
export const RESUME_EVENT = 'compute_resume_instance'
export const TRIGGER_CRASH_DUMP_EVENT = 'compute_trigger_crash_dump'
export const SET_ADMIN_PASSWORD_EVENT = 'compute_set_admin_password'

export function succeededEvent(started: ActionEventReport): ActionEventReport {
  return { ...started, finish_time: dbNow(), result: 'Success' }
}

/**
 * A failed event. Nova records a build that was re-scheduled or aborted as a success (the
 * exception is handled inside the wrapped method); here it fails, with the reason, because
 * that is what a user reading the actions wants to know.
 */
export function failedEvent(started: ActionEventReport, err: Error): ActionEventReport {
  return {
    ...started,
    finish_time: dbNow(),
    result: 'Error',
    traceback: err.stack ?? null,
    details: err.message,
  }
}
