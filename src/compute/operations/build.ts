import type { ComputeTaskClient, InstanceUpdateArgs } from '../../conductor/rpcapi.js'
import type { Instance } from '../../objects/instance.js'
import type { ActionEventReport } from '../../objects/instance-action.js'
import { PowerState, TaskState, VmState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import {
  InstanceNotFound,
  UnexpectedDeletingTaskStateError,
  UnexpectedTaskStateError,
  UnexpectedVmStateError,
} from '../../shared/errors.js'
import type { Logger } from '../../shared/logger.js'
import { dbNow } from '../../shared/time.js'
import type { VirtDriver } from '../../virt/driver.js'
import type { BuildSlots } from '../build-slots.js'
import { BUILD_EVENT, type ConductorReports, failedEvent, succeededEvent } from '../reports.js'
import type { BuildAndRunInstanceArgs } from '../rpcapi.js'

/** What a build tells the rest of the host: its outcome counts for BuildFailureWeigher. */
export interface BuildOutcomes {
  buildFailed(): Promise<void>
  buildSucceeded(): void
}

/**
 * Nova's `build_and_run_instance` on the host: claim the build (compare-and-swap to spawning),
 * spawn the guest, report ACTIVE; on failure, hand it back to the conductor to try an alternate
 * (or end in ERROR). A duplicate message for a build under way or done builds nothing.
 */
export class BuildInstance {
  /** Instances this host is building now: a second build message for one of them is a duplicate. */
  private readonly inProgress = new Set<string>()

  constructor(
    private readonly driver: VirtDriver,
    private readonly reports: ConductorReports,
    private readonly computeTask: ComputeTaskClient,
    private readonly slots: BuildSlots,
    private readonly host: BuildOutcomes,
    private readonly log: Logger,
  ) {}

  async run(ctx: RequestContext, args: BuildAndRunInstanceArgs): Promise<void> {
    const uuid = args.instance.uuid
    // A redelivered or re-driven copy of a build under way here: one spawn is enough.
    if (this.inProgress.has(uuid)) {
      this.log.info(
        { request_id: ctx.requestId, instance_uuid: uuid },
        'build skipped: already building here',
      )
      return
    }
    this.inProgress.add(uuid)
    try {
      await this.slots.acquire()
      try {
        await this.buildAndRun(ctx, args)
      } finally {
        this.slots.release()
      }
    } finally {
      this.inProgress.delete(uuid)
    }
  }

  private async buildAndRun(ctx: RequestContext, args: BuildAndRunInstanceArgs): Promise<void> {
    const log = this.log.child({ request_id: ctx.requestId, instance_uuid: args.instance.uuid })
    const started = Date.now()
    const event = this.reports.startEvent(BUILD_EVENT)
    const instance: Instance = { ...args.instance, task_state: TaskState.SPAWNING }
    if (!(await this.startSpawning(ctx, log, instance.uuid, event))) return
    try {
      await this.driver.spawn(instance)
    } catch (err) {
      log.warn({ err }, 'spawn failed')
      // Counted and reported at once, so the schedulers' BuildFailureWeigher pushes this host down now.
      await this.host
        .buildFailed()
        .catch((e: Error) => log.warn({ err: e.message }, 'could not report the failed build'))
      await this.driver.destroy(instance).catch(() => undefined)
      await this.rescheduleOrFail(ctx, args, instance, err as Error, failedEvent(event, err as Error))
      return
    }
    try {
      await this.reportBuildOutcome(ctx, log, 'active state', {
        instance_uuid: instance.uuid,
        updates: {
          vm_state: VmState.ACTIVE,
          task_state: null,
          power_state: PowerState.RUNNING,
          launched_at: dbNow(),
          progress: 0,
        },
        expected_task_state: [TaskState.SPAWNING],
        action_event: succeededEvent(event),
      })
    } catch (err) {
      if (err instanceof UnexpectedDeletingTaskStateError || err instanceof InstanceNotFound) {
        // The user deleted it while it spawned: the delete's terminate cleans up the guest.
        log.info('instance deleted during spawn')
        return
      }
      throw err
    }
    this.host.buildSucceeded()
    log.info(`Took ${((Date.now() - started) / 1000).toFixed(2)} seconds to build instance.`)
  }

  private async rescheduleOrFail(
    ctx: RequestContext,
    args: BuildAndRunInstanceArgs,
    instance: Instance,
    err: Error,
    event: ActionEventReport,
  ): Promise<void> {
    const log = this.log.child({ request_id: ctx.requestId, instance_uuid: instance.uuid })
    const reason = `Build of instance ${instance.uuid} was re-scheduled: ${err.message}`
    const retry = args.filter_properties.retry
    // As Nova: with retry information the conductor decides (next alternate, or "Exceeded
    // maximum number of retries"); without it the build is aborted here.
    if (retry) {
      const updates = { task_state: TaskState.SCHEDULING, host: null, node: null }
      const rescheduled = await this.reportBuildOutcome(ctx, log, 'rescheduling state', {
        instance_uuid: instance.uuid,
        updates,
        expected_task_state: [TaskState.SPAWNING],
        action_event: { ...event, details: reason },
      })
        .then(() => ({ ...instance, ...updates }))
        .catch((e: Error) => {
          log.info({ err: e.message }, 'not rescheduled: the instance was deleted or could not be updated')
          return undefined
        })
      if (!rescheduled) return
      await this.reports.deliver(log, 'reschedule request', () =>
        this.computeTask.buildInstances(ctx, {
          instance: rescheduled,
          request_spec: args.request_spec,
          host_list: args.host_list,
          num_attempts: retry.num_attempts,
          reason,
        }),
      )
      return
    }
    await this.reports.deliver(log, 'build fault', () =>
      this.reports.conductor.instanceFaultCreate(ctx, {
        instance_uuid: instance.uuid,
        code: 500,
        message: `Build of instance ${instance.uuid} aborted: ${err.message}`,
        details: err.stack ?? null,
        host: this.reports.host,
      }),
    )
    await this.reportBuildOutcome(ctx, log, 'error state', {
      instance_uuid: instance.uuid,
      updates: { vm_state: VmState.ERROR, task_state: null },
      expected_task_state: [TaskState.SPAWNING],
      action_event: event,
    }).catch((e: Error) => log.info({ err: e.message }, 'error state not recorded (instance deleted?)'))
  }

  /**
   * Move the instance to `spawning` (compare-and-swap from `scheduling`); false when there is
   * nothing to build: deleted before we began, or a duplicate of a build under way or done.
   */
  private async startSpawning(
    ctx: RequestContext,
    log: Logger,
    uuid: string,
    event: ActionEventReport,
  ): Promise<boolean> {
    try {
      await this.reports.deliver(log, 'spawning state', () =>
        this.reports.conductor.instanceUpdate(ctx, {
          instance_uuid: uuid,
          updates: { task_state: TaskState.SPAWNING },
          expected_task_state: [TaskState.SCHEDULING, null],
          expected_vm_state: VmState.BUILDING,
          action_event: event,
        }),
      )
      return true
    } catch (err) {
      const lostTheSwap =
        err instanceof UnexpectedTaskStateError ||
        err instanceof UnexpectedVmStateError ||
        err instanceof InstanceNotFound
      if (!lostTheSwap) throw err
      // Spawning on this host while no other build of it runs here: our own update landed on an
      // attempt whose reply was lost (or ran twice, redelivered).
      const movedOn =
        err instanceof UnexpectedTaskStateError && !(err instanceof UnexpectedDeletingTaskStateError)
      if (movedOn && (await this.isSpawningHere(ctx, log, uuid))) {
        log.info('spawning state already recorded; building')
        return true
      }
      log.info({ err: (err as Error).message }, 'build skipped: instance no longer waiting to build')
      return false
    }
  }

  /**
   * Report how a build this host owns went (it moves the instance out of `spawning`), until
   * delivered. Only this build moves it out of `spawning`, so a compare-and-swap that finds it
   * moved already (and not to `deleting`) found this very update, applied by an attempt whose
   * reply was lost: that counts as delivered.
   */
  private async reportBuildOutcome(
    ctx: RequestContext,
    log: Logger,
    what: string,
    update: InstanceUpdateArgs,
  ): Promise<void> {
    try {
      await this.reports.deliver(log, what, () => this.reports.conductor.instanceUpdate(ctx, update))
    } catch (err) {
      if (err instanceof UnexpectedTaskStateError && !(err instanceof UnexpectedDeletingTaskStateError)) {
        log.info({ err: err.message }, `${what} already recorded`)
        return
      }
      throw err
    }
  }

  /** Whether the instance is, by the conductor's records, spawning on this host. */
  private async isSpawningHere(ctx: RequestContext, log: Logger, uuid: string): Promise<boolean> {
    const here = await this.reports.deliver(log, 'instance lookup', () =>
      this.reports.conductor.instanceGetAllByHost(ctx, this.reports.host),
    )
    const current = here.find((i) => i.uuid === uuid)
    return current?.vm_state === VmState.BUILDING && current.task_state === TaskState.SPAWNING
  }
}
