import type { InstanceUpdateArgs } from '../../conductor/rpcapi.js'
import type { Instance, InstanceUpdates } from '../../objects/instance.js'
import type { ActionEventReport } from '../../objects/instance-action.js'
import { PowerState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import {
  ApiError,
  InstanceNotFound,
  UnexpectedTaskStateError,
  UnexpectedVmStateError,
} from '../../shared/errors.js'
import type { Logger } from '../../shared/logger.js'
import type { VirtDriver } from '../../virt/driver.js'
import { type ConductorReports, failedEvent, succeededEvent } from '../reports.js'

/** What one operation on an instance is, to the part every operation shares. */
export interface InstanceTaskSpec {
  /** The event its action lists (`compute_stop_instance`). */
  readonly event: string
  /**
   * The task_states the operation moves the instance out of: its final report is a
   * compare-and-swap on them. None: it moves no task_state (a crash dump), and reports the
   * event alone.
   */
  readonly from?: readonly (string | null)[]
  /**
   * What a failure leaves (Nova's `reverts_task_state` and `_error_out_instance_on_exception`):
   * by default the task_state cleared and the vm_state as it was.
   */
  readonly onFailure?: (err: Error) => InstanceUpdates
}

/**
 * Thrown by an operation's work when one of its own intermediate reports lost its
 * compare-and-swap: another request took the instance over (a delete, a hard reboot, a reset),
 * and the operation stops without reporting anything more.
 */
export class Preempted extends Error {}

/**
 * What Nova's decorators do around every compute manager method (`wrap_instance_event`,
 * `wrap_instance_fault`, `reverts_task_state`), once: run the operation's work, then report the
 * final state with its event, or the failure with a fault, an Error event and the state the
 * failure leaves. Every report is a compare-and-swap on the task_state the API set, retried while
 * the bus is away; one the conductor refuses (the instance moved on, or is gone) is dropped, not
 * retried, since nothing can make it land.
 */
export class InstanceTask {
  /** The operation each instance has under way here, settled (Nova's `synchronized(instance.uuid)`). */
  private readonly busy = new Map<string, Promise<void>>()

  constructor(
    readonly driver: VirtDriver,
    readonly reports: ConductorReports,
    private readonly log: Logger,
  ) {}

  logFor(ctx: RequestContext, instance: Instance): Logger {
    return this.log.child({ request_id: ctx.requestId, instance_uuid: instance.uuid })
  }

  /**
   * Run `work`, which does the driver's part and answers the instance's final state, and report
   * it. A failure is reported, then thrown (a cast's is logged by the RPC server; a call's
   * answers the caller).
   */
  async run(
    ctx: RequestContext,
    instance: Instance,
    spec: InstanceTaskSpec,
    work: (log: Logger) => Promise<InstanceUpdates>,
  ): Promise<void> {
    // One operation per instance at a time: a duplicate (a redelivered message, the start-up
    // recovery meeting the queued message) runs after the first, and finds its work reported.
    const previous = this.busy.get(instance.uuid) ?? Promise.resolve()
    const mine = previous.then(() => this.runNow(ctx, instance, spec, work))
    const settled = mine.then(
      () => undefined,
      () => undefined,
    )
    this.busy.set(instance.uuid, settled)
    try {
      await mine
    } finally {
      if (this.busy.get(instance.uuid) === settled) this.busy.delete(instance.uuid)
    }
  }

  private async runNow(
    ctx: RequestContext,
    instance: Instance,
    spec: InstanceTaskSpec,
    work: (log: Logger) => Promise<InstanceUpdates>,
  ): Promise<void> {
    const log = this.logFor(ctx, instance)
    const event = this.reports.startEvent(spec.event)
    let updates: InstanceUpdates
    try {
      updates = await work(log)
    } catch (err) {
      if (err instanceof Preempted) {
        log.info({ err: err.message }, `${spec.event}: another request took the instance over; stopping`)
        return
      }
      await this.reportFailure(ctx, log, instance, spec, event, err as Error)
      throw err
    }
    await this.report(ctx, log, `${spec.event} outcome`, {
      instance_uuid: instance.uuid,
      updates,
      ...(spec.from ? { expected_task_state: [...spec.from] } : {}),
      action_event: succeededEvent(event),
    })
  }

  /** Nova's `_get_power_state`: the hypervisor's word, NOSTATE for a guest it does not know. */
  async powerState(instance: Instance): Promise<number> {
    return (await this.driver.getInfo(instance))?.power_state ?? PowerState.NOSTATE
  }

  /**
   * Report a state change until delivered. False when the conductor refused it: the instance is
   * gone or no longer in the task_state expected (which is also what a retry finds when the
   * first attempt landed and only its reply was lost).
   */
  async report(ctx: RequestContext, log: Logger, what: string, update: InstanceUpdateArgs): Promise<boolean> {
    try {
      await this.reports.deliver(log, what, () => this.reports.conductor.instanceUpdate(ctx, update))
      return true
    } catch (err) {
      if (
        err instanceof UnexpectedTaskStateError ||
        err instanceof UnexpectedVmStateError ||
        err instanceof InstanceNotFound
      ) {
        log.info({ err: err.message }, `${what} not recorded: the instance moved on`)
        return false
      }
      throw err
    }
  }

  /** A fault for the instance, as Nova's `wrap_instance_fault` records one. */
  async recordFault(ctx: RequestContext, log: Logger, instance: Instance, err: Error): Promise<void> {
    await this.reports.deliver(log, 'fault', () =>
      this.reports.conductor.instanceFaultCreate(ctx, {
        instance_uuid: instance.uuid,
        code: err instanceof ApiError ? err.code : 500,
        message: err.message,
        details: err.stack ?? null,
        host: this.reports.host,
      }),
    )
  }

  private async reportFailure(
    ctx: RequestContext,
    log: Logger,
    instance: Instance,
    spec: InstanceTaskSpec,
    event: ActionEventReport,
    err: Error,
  ): Promise<void> {
    log.warn({ err: err.message }, `${spec.event} failed`)
    try {
      await this.recordFault(ctx, log, instance, err)
      const updates = spec.onFailure?.(err) ?? (spec.from ? { task_state: null } : {})
      await this.report(ctx, log, `${spec.event} failure`, {
        instance_uuid: instance.uuid,
        updates,
        ...(spec.from ? { expected_task_state: [...spec.from] } : {}),
        action_event: failedEvent(event, err),
      })
    } catch (reportErr) {
      // The failure itself is what the caller hears about; this one is logged.
      log.error({ err: (reportErr as Error).message }, `${spec.event}: the failure could not be reported`)
    }
  }
}
