import type { Cell } from '../cells/cell-router.js'
import type { ComputeClient } from '../compute/rpcapi.js'
import type { ApiStore } from '../db/api/api-store.js'
import type { StalledState } from '../db/cell/instance-store.js'
import type { BuildRequestInstance, Instance, RequestSpec } from '../objects/instance.js'
import { TaskState, VmState } from '../objects/states.js'
import { isMessagingFailure } from '../rpc/retry.js'
import { isServiceUp } from '../servicegroup/servicegroup.js'
import { type Clock, systemClock } from '../shared/clock.js'
import { makeContext, type RequestContext } from '../shared/context.js'
import type { Logger } from '../shared/logger.js'
import { dbNow } from '../shared/time.js'
import type { ComputeTaskClient } from './rpcapi.js'
import type { ScheduleAndBuild } from './tasks/schedule-and-build.js'

export interface RedriveOptions {
  /** `[conductor] redrive_threshold`: seconds a piece of work may stand still before it is re-driven. */
  readonly thresholdS: number
  /** `[DEFAULT] service_down_time`: a delete is re-driven only to a host that is up. */
  readonly serviceDownTimeS: number
  /**
   * `[conductor] redrive_max_attempts`: work re-driven this many times without moving on fails
   * the same way every time; it ends in ERROR with a fault instead of looping.
   */
  readonly maxAttempts: number
  /** The most of each kind of work one pass re-drives; the next pass takes the rest. */
  readonly batchSize?: number
  /** What "stood still for thresholdS" and "up" are measured by: the service's clock. */
  readonly clock?: Clock
}

const SCHEDULING: StalledState = { vmState: VmState.BUILDING, taskState: TaskState.SCHEDULING }
const DELETING: StalledState = { taskState: TaskState.DELETING }

/**
 * The task_states the API sets before it casts an action to the server's host, each with the
 * cast that carries it out: while one stands still, its message may have been lost.
 */
const ACTION_CASTS: Readonly<
  Record<string, (compute: ComputeClient, ctx: RequestContext, instance: Instance) => Promise<void>>
> = {
  [TaskState.POWERING_OFF]: (c, ctx, i) => c.stopInstance(ctx, i),
  [TaskState.POWERING_ON]: (c, ctx, i) => c.startInstance(ctx, i),
  [TaskState.REBOOTING]: (c, ctx, i) => c.rebootInstance(ctx, i, 'SOFT'),
  [TaskState.REBOOTING_HARD]: (c, ctx, i) => c.rebootInstance(ctx, i, 'HARD'),
  [TaskState.PAUSING]: (c, ctx, i) => c.pauseInstance(ctx, i),
  [TaskState.UNPAUSING]: (c, ctx, i) => c.unpauseInstance(ctx, i),
  [TaskState.SUSPENDING]: (c, ctx, i) => c.suspendInstance(ctx, i),
  [TaskState.RESUMING]: (c, ctx, i) => c.resumeInstance(ctx, i),
}
const ACTING: StalledState = { taskState: Object.keys(ACTION_CASTS) }

/**
 * Sends again the messages of work that stood still, because its message was lost (a broker
 * restart with transient queues, a reply that never came): build requests no conductor took,
 * builds their host never started, deletes their host never finished, actions (stop, reboot,
 * pause, …) their host never took. Every message it sends is
 * idempotent where it lands, so a re-drive of work that was only slow costs a duplicate, no more.
 * Each item is first marked (its `updated_at` moved to now, compare-and-swap on the old value),
 * so of several conductors one re-drives it, and not again before another threshold has passed.
 */
export class StalledWorkRedriver {
  private readonly batchSize: number
  private readonly clock: Clock

  constructor(
    private readonly api: ApiStore,
    /** The conductor's own cell: each cell's conductors re-drive the work of its hosts. */
    private readonly cell: Cell,
    private readonly builds: ScheduleAndBuild,
    private readonly computeTask: ComputeTaskClient,
    private readonly options: RedriveOptions,
    private readonly log: Logger,
  ) {
    this.batchSize = options.batchSize ?? 100
    this.clock = options.clock ?? systemClock
  }

  /** One pass over the four kinds of work. Stops early while the message bus is unreachable. */
  async run(): Promise<void> {
    const before = dbNow(new Date(this.clock.now() - this.options.thresholdS * 1000))
    try {
      await this.redriveBuildRequests(before)
      await this.redriveBuilds(before)
      await this.redriveDeletes(before)
      await this.redriveActions(before)
    } catch (err) {
      if (!isMessagingFailure(err)) throw err
      this.log.warn({ err: (err as Error).message }, 're-drive paused: the message bus is unreachable')
    }
  }

  /** Build requests no conductor took: schedule_and_build_instances again, one message per create. */
  private async redriveBuildRequests(before: string): Promise<void> {
    const stalled = await this.api.listStalledBuildRequests(before, this.batchSize)
    for (const create of groupByReservation(stalled)) {
      const mine: typeof create = []
      for (const item of create) {
        if (!(await this.api.touchStalledBuildRequest(item.instance.uuid, before))) continue
        if (item.redrives < this.options.maxAttempts) mine.push(item)
        else await this.giveUpBuildRequest(item)
      }
      const first = mine[0]
      if (!first) continue
      // The create's own request id, so its action reads as the one the API answered with.
      const ctx = makeContext({
        ...(first.spec.request_id ? { requestId: first.spec.request_id } : {}),
        userId: first.instance.user_id,
        projectId: first.instance.project_id,
      })
      for (const { instance } of mine) {
        this.log.warn(
          { instance_uuid: instance.uuid, request_id: ctx.requestId },
          'build request not taken by any conductor; sending schedule_and_build_instances again',
        )
      }
      await this.computeTask.scheduleAndBuildInstances(ctx, {
        build_requests: mine.map((m) => m.instance),
        request_specs: mine.map((m) => m.spec),
      })
    }
  }

  /** Instances placed on a host that never started building them: build_and_run_instance again. */
  private async redriveBuilds(before: string): Promise<void> {
    for (const { instance, redrives } of await this.cell.store.instances.listStalled(
      SCHEDULING,
      before,
      this.batchSize,
    )) {
      // No host: a reschedule in flight, which the conductor's build_instances owns.
      if (!instance.host || !instance.node) continue
      const spec = await this.api.getRequestSpec(instance.uuid)
      if (!spec) {
        this.log.warn({ instance_uuid: instance.uuid }, 'stalled build has no request spec; not re-driven')
        continue
      }
      if (!(await this.cell.store.instances.touchStalled(instance.uuid, SCHEDULING, before))) continue
      if (redrives >= this.options.maxAttempts) {
        await this.giveUp(
          instance,
          `Build of instance ${instance.uuid} never started on host ${instance.host}`,
        )
        continue
      }
      const ctx = await this.contextOfLastAction(instance)
      this.log.warn(
        { instance_uuid: instance.uuid, host: instance.host, request_id: ctx.requestId },
        'build not started by its host; sending build_and_run_instance again',
      )
      await this.builds.resume(ctx, this.cell, instance, spec)
    }
  }

  /** Deletes their host never finished: terminate_instance again, if the host is up to do it. */
  private async redriveDeletes(before: string): Promise<void> {
    const hostUp = new Map<string, boolean>()
    for (const { instance, redrives } of await this.cell.store.instances.listStalled(
      DELETING,
      before,
      this.batchSize,
    )) {
      const host = instance.host
      if (!host) continue
      if (!hostUp.has(host)) hostUp.set(host, await this.isComputeUp(host))
      // A host that is down finishes its deletes when it starts again (init_host).
      if (!hostUp.get(host)) continue
      if (!(await this.cell.store.instances.touchStalled(instance.uuid, DELETING, before))) continue
      if (redrives >= this.options.maxAttempts) {
        // ERROR, so the user can see it and delete it again (Nova's answer to a failed delete).
        await this.giveUp(instance, `Delete of instance ${instance.uuid} never completed on host ${host}`)
        continue
      }
      const ctx = await this.contextOfLastAction(instance)
      this.log.warn(
        { instance_uuid: instance.uuid, host, request_id: ctx.requestId },
        'delete not finished by its host; sending terminate_instance again',
      )
      await this.cell.compute.terminateInstance(ctx, instance)
    }
  }

  /**
   * Actions (stop, start, reboot, pause, …) whose host never took them: their cast again, if
   * the host is up (one that is down finishes them when it starts again). The host's
   * compare-and-swaps, and its one operation per instance at a time, make a cast that was only
   * slow cost a duplicate, no more. One never carried out ends where it began: the task_state
   * cleared, with a fault.
   */
  private async redriveActions(before: string): Promise<void> {
    const hostUp = new Map<string, boolean>()
    for (const { instance, redrives } of await this.cell.store.instances.listStalled(
      ACTING,
      before,
      this.batchSize,
    )) {
      const host = instance.host
      const cast = ACTION_CASTS[instance.task_state ?? '']
      if (!host || !cast) continue
      if (!hostUp.has(host)) hostUp.set(host, await this.isComputeUp(host))
      if (!hostUp.get(host)) continue
      if (!(await this.cell.store.instances.touchStalled(instance.uuid, ACTING, before))) continue
      if (redrives >= this.options.maxAttempts) {
        await this.giveUpAction(instance, host)
        continue
      }
      const ctx = await this.contextOfLastAction(instance)
      this.log.warn(
        { instance_uuid: instance.uuid, host, task_state: instance.task_state, request_id: ctx.requestId },
        'action not taken by its host; sending it again',
      )
      await cast(this.cell.compute, ctx, instance)
    }
  }

  /** An action its host never carried out: nothing happened, so the server is left as it was. */
  private async giveUpAction(instance: Instance, host: string): Promise<void> {
    const message = `Action ${instance.task_state} of instance ${instance.uuid} never completed on host ${host}${this.tried()}`
    this.log.error({ instance_uuid: instance.uuid, host }, message)
    const { store } = this.cell
    await store.instances.addFault(instance.uuid, { code: 500, message, host })
    await store.instances
      .update(instance.uuid, { task_state: null }, [instance.task_state])
      .catch((err: Error) =>
        this.log.info({ err: err.message }, 'instance moved on meanwhile; left as it is'),
      )
  }

  /** The words every give-up fault ends with. */
  private tried(): string {
    return `: sent ${this.options.maxAttempts + 1} times, ${this.options.thresholdS} s apart, and nothing came of it ([conductor] redrive_max_attempts = ${this.options.maxAttempts}). See the conductor and compute logs for this instance.`
  }

  /** A create no conductor ever finished: buried in cell0, in ERROR, as one no host could take. */
  private async giveUpBuildRequest(item: StalledBuildRequest): Promise<void> {
    const { instance, spec } = item
    const message = `Scheduling and building instance ${instance.uuid} never completed${this.tried()}`
    this.log.error({ instance_uuid: instance.uuid, request_id: spec.request_id }, message)
    const ctx = makeContext({
      ...(spec.request_id ? { requestId: spec.request_id } : {}),
      userId: instance.user_id,
      projectId: instance.project_id,
    })
    await this.builds.bury(ctx, instance, new Error(message), dbNow(new Date(this.clock.now())))
  }

  /** A build or delete its host never carried out: ERROR with a fault, its claim released. */
  private async giveUp(instance: Instance, what: string): Promise<void> {
    const message = `${what}${this.tried()}`
    this.log.error({ instance_uuid: instance.uuid, host: instance.host }, message)
    const { store } = this.cell
    await store.instances.addFault(instance.uuid, { code: 500, message, host: instance.host })
    await store.instances
      .update(instance.uuid, { vm_state: VmState.ERROR, task_state: null }, [instance.task_state])
      .catch((err: Error) =>
        this.log.info({ err: err.message }, 'instance moved on meanwhile; left as it is'),
      )
  }

  private async isComputeUp(host: string): Promise<boolean> {
    const service = await this.cell.store.services.find(host, 'nova-compute')
    return service !== undefined && isServiceUp(service, this.options.serviceDownTimeS, this.clock.now())
  }

  /**
   * The context of the request whose work is re-driven (the instance's newest action: its
   * create or delete), so the host's events are recorded under that action.
   */
  private async contextOfLastAction(instance: Instance): Promise<RequestContext> {
    const [last] = (await this.cell.store.actions.list(instance.uuid, { limit: 1 })) ?? []
    return makeContext({
      ...(last ? { requestId: last.request_id } : {}),
      userId: last?.user_id ?? instance.user_id,
      projectId: last?.project_id ?? instance.project_id,
    })
  }
}

type StalledBuildRequest = { instance: BuildRequestInstance; spec: RequestSpec; redrives: number }

/** The servers of one create (one reservation) travel together, as the API sent them. */
function groupByReservation(items: readonly StalledBuildRequest[]): StalledBuildRequest[][] {
  const byReservation = new Map<string, StalledBuildRequest[]>()
  for (const item of items) {
    const key = item.instance.reservation_id
    const create = byReservation.get(key)
    if (create) create.push(item)
    else byReservation.set(key, [item])
  }
  return [...byReservation.values()].map((create) =>
    create.sort((a, b) => a.instance.launch_index - b.instance.launch_index),
  )
}
