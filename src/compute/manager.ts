import type { ComputeTaskClient, ConductorClient, InstanceUpdateArgs } from '../conductor/rpcapi.js'
import type { Instance } from '../objects/instance.js'
import type { ActionEventReport } from '../objects/instance-action.js'
import { PowerState, TaskState, VmState } from '../objects/states.js'
import { DELIVERY_RETRY, type RetryPolicy, sendUntilDelivered } from '../rpc/retry.js'
import type { RequestContext } from '../shared/context.js'
import { adminContext } from '../shared/context.js'
import {
  InstanceNotFound,
  UnexpectedDeletingTaskStateError,
  UnexpectedTaskStateError,
  UnexpectedVmStateError,
} from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { dbNow } from '../shared/time.js'
import type { VirtDriver } from '../virt/driver.js'
import {
  type BuildAndRunInstanceArgs,
  type ComputeRpc,
  type GetConsoleOutputArgs,
  lastBytesOfConsole,
  tailLengthAsInteger,
} from './rpcapi.js'

export interface ComputeOptions {
  readonly host: string
  /** `[DEFAULT] my_ip`: reported as the node's host_ip (SimpleCIDRAffinityFilter, os-hypervisors). */
  readonly hostIp: string
  readonly maxConcurrentBuilds: number
  readonly allocationRatios: { cpu: number; ram: number; disk: number }
  readonly reserved: { vcpus: number; memoryMb: number; diskGb: number }
}

/**
 * One compute host: drives its hypervisor and reports every state change to the conductor.
 * It never opens the database.
 */
export class ComputeManager implements ComputeRpc {
  private builds = 0
  private readonly waitingBuilds: (() => void)[] = []
  /** Consecutive failed builds (Nova's failed_builds stat, for BuildFailureWeigher); a success resets it. */
  private failedBuilds = 0
  private serviceId: number | undefined
  /** Instances this host is building now: a second build message for one of them is a duplicate. */
  private readonly buildsInProgress = new Set<string>()

  constructor(
    private readonly driver: VirtDriver,
    private readonly conductor: ConductorClient,
    private readonly computeTask: ComputeTaskClient,
    private readonly options: ComputeOptions,
    private readonly log: Logger,
    /** How long state reports to the conductor are retried while the message bus is away. */
    private readonly deliveryRetry: RetryPolicy = DELIVERY_RETRY,
  ) {}

  async build_and_run_instance(ctx: RequestContext, args: BuildAndRunInstanceArgs): Promise<void> {
    const uuid = args.instance.uuid
    // A redelivered or re-driven copy of a build under way here: one spawn is enough.
    if (this.buildsInProgress.has(uuid)) {
      this.log.info(
        { request_id: ctx.requestId, instance_uuid: uuid },
        'build skipped: already building here',
      )
      return
    }
    this.buildsInProgress.add(uuid)
    try {
      await this.acquireBuildSlot()
      try {
        await this.buildAndRun(ctx, args)
      } finally {
        this.releaseBuildSlot()
      }
    } finally {
      this.buildsInProgress.delete(uuid)
    }
  }

  private async buildAndRun(ctx: RequestContext, args: BuildAndRunInstanceArgs): Promise<void> {
    const log = this.log.child({ request_id: ctx.requestId, instance_uuid: args.instance.uuid })
    const started = Date.now()
    const event = this.startEvent(BUILD_EVENT)
    const instance: Instance = { ...args.instance, task_state: TaskState.SPAWNING }
    if (!(await this.startSpawning(ctx, log, instance.uuid, event))) return
    try {
      await this.driver.spawn(instance)
    } catch (err) {
      log.warn({ err }, 'spawn failed')
      this.failedBuilds++
      // Report at once, so the schedulers' BuildFailureWeigher pushes this host down now.
      if (this.serviceId !== undefined) {
        await this.updateAvailableResource(this.serviceId).catch((e: Error) =>
          log.warn({ err: e.message }, 'could not report the failed build'),
        )
      }
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
    this.failedBuilds = 0
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
      await this.deliver(log, 'reschedule request', () =>
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
    await this.deliver(log, 'build fault', () =>
      this.conductor.instanceFaultCreate(ctx, {
        instance_uuid: instance.uuid,
        code: 500,
        message: `Build of instance ${instance.uuid} aborted: ${err.message}`,
        details: err.stack ?? null,
        host: this.options.host,
      }),
    )
    await this.reportBuildOutcome(ctx, log, 'error state', {
      instance_uuid: instance.uuid,
      updates: { vm_state: VmState.ERROR, task_state: null },
      expected_task_state: [TaskState.SPAWNING],
      action_event: event,
    }).catch((e: Error) => log.info({ err: e.message }, 'error state not recorded (instance deleted?)'))
  }

  async terminate_instance(ctx: RequestContext, args: { instance: Instance }): Promise<void> {
    const log = this.log.child({ request_id: ctx.requestId, instance_uuid: args.instance.uuid })
    const event = this.startEvent(TERMINATE_EVENT)
    try {
      await this.driver.destroy(args.instance)
    } catch (err) {
      // As Nova: the server goes to ERROR with a fault, and the delete can be retried.
      log.error({ err }, 'could not destroy the guest')
      await this.deliver(log, 'delete fault', () =>
        this.conductor.instanceFaultCreate(ctx, {
          instance_uuid: args.instance.uuid,
          code: 500,
          message: (err as Error).message,
          details: (err as Error).stack ?? null,
          host: this.options.host,
        }),
      )
      await this.deliver(log, 'error state', () =>
        this.conductor.instanceUpdate(ctx, {
          instance_uuid: args.instance.uuid,
          updates: { vm_state: VmState.ERROR, task_state: null },
          action_event: failedEvent(event, err as Error),
        }),
      )
      return
    }
    // Destroying twice is harmless: a retry whose first attempt landed finds nothing left to do.
    await this.deliver(log, 'instance destroy', () =>
      this.conductor.instanceDestroy(ctx, {
        instance_uuid: args.instance.uuid,
        action_event: succeededEvent(event),
      }),
    )
    log.info('instance terminated')
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
      await this.deliver(log, 'spawning state', () =>
        this.conductor.instanceUpdate(ctx, {
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

  /** Send a report to the conductor until it is delivered, across a broker restart. */
  private deliver<T>(log: Logger, what: string, send: () => Promise<T>): Promise<T> {
    return sendUntilDelivered(send, `report of ${what} to the conductor`, log, this.deliveryRetry)
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
      await this.deliver(log, what, () => this.conductor.instanceUpdate(ctx, update))
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
    const here = await this.deliver(log, 'instance lookup', () =>
      this.conductor.instanceGetAllByHost(ctx, this.options.host),
    )
    const current = here.find((i) => i.uuid === uuid)
    return current?.vm_state === VmState.BUILDING && current.task_state === TaskState.SPAWNING
  }

  /** An instance-action event this host begins now (Nova's `wrap_instance_event(prefix='compute')`). */
  private startEvent(name: string): ActionEventReport {
    return { event: name, host: this.options.host, start_time: dbNow() }
  }

  /**
   * Nova's `get_console_output`: the guest's console log, its tail when `tail_length` is given,
   * and of that at most the last `max_bytes` (6.1; a 6.0 message has no max_bytes).
   */
  async get_console_output(ctx: RequestContext, args: GetConsoleOutputArgs): Promise<string> {
    this.log.info({ request_id: ctx.requestId, instance_uuid: args.instance.uuid }, 'Get console output')
    let output = await this.driver.getConsoleOutput(args.instance)
    if (args.tail_length != null) output = tailLog(output, args.tail_length)
    // Nova answers `output.decode('ascii', 'replace')`.
    output = output.replace(/[^\p{ASCII}]/gu, '\ufffd')
    return typeof args.max_bytes === 'number' ? lastBytesOfConsole(output, args.max_bytes) : output
  }

  /** Report this host's resources (Nova's `update_available_resource` periodic task). */
  async updateAvailableResource(serviceId: number): Promise<void> {
    this.serviceId = serviceId
    const r = await this.driver.getAvailableResource()
    const instances = await this.driver.listInstances()
    await this.conductor.computeNodeUpdate(adminContext(), serviceId, {
      host: this.options.host,
      hypervisor_hostname: r.hypervisor_hostname,
      hypervisor_type: r.hypervisor_type,
      hypervisor_version: r.hypervisor_version,
      cpu_info: r.cpu_info,
      host_ip: this.options.hostIp,
      vcpus: r.vcpus,
      memory_mb: r.memory_mb,
      local_gb: r.local_gb,
      vcpus_used: r.vcpus_used,
      memory_mb_used: r.memory_mb_used + this.options.reserved.memoryMb,
      local_gb_used: r.local_gb_used + this.options.reserved.diskGb,
      running_vms: instances.length,
      cpu_allocation_ratio: this.options.allocationRatios.cpu,
      ram_allocation_ratio: this.options.allocationRatios.ram,
      disk_allocation_ratio: this.options.allocationRatios.disk,
      reserved_vcpus: this.options.reserved.vcpus,
      reserved_memory_mb: this.options.reserved.memoryMb,
      reserved_disk_gb: this.options.reserved.diskGb,
      failed_builds: this.failedBuilds,
    })
  }

  /**
   * Nova's `_sync_power_states`: the hypervisor is the truth about power. A guest that stopped
   * (or vanished) while its server is ACTIVE makes the server SHUTOFF, as Nova's stop call would.
   */
  async syncPowerStates(): Promise<void> {
    const ctx = adminContext()
    const instances = await this.conductor.instanceGetAllByHost(ctx, this.options.host)
    for (const inst of instances) {
      // Something is in flight for it; the next pass will look again.
      if (inst.task_state !== null) continue
      const info = await this.driver.getInfo(inst)
      const power = info?.power_state ?? PowerState.NOSTATE
      if (power === inst.power_state) continue
      const stopped =
        inst.vm_state === VmState.ACTIVE && (power === PowerState.SHUTDOWN || power === PowerState.NOSTATE)
      if (stopped)
        this.log.warn({ instance_uuid: inst.uuid, power }, 'Instance shutdown by itself. Stopping it.')
      await this.conductor
        .instanceUpdate(ctx, {
          instance_uuid: inst.uuid,
          updates: stopped ? { power_state: power, vm_state: VmState.STOPPED } : { power_state: power },
          expected_task_state: [null],
        })
        .catch((err: Error) =>
          this.log.info({ err: err.message, instance_uuid: inst.uuid }, 'power state sync skipped'),
        )
    }
  }

  /** On start: builds this host had in flight when it died can never finish; say so. */
  async initHost(): Promise<void> {
    const ctx = adminContext()
    const instances = await this.conductor.instanceGetAllByHost(ctx, this.options.host)
    const guests = new Set(await this.driver.listInstances())
    for (const inst of instances) {
      if (inst.vm_state === VmState.BUILDING && !guests.has(inst.uuid)) {
        await this.conductor.instanceFaultCreate(ctx, {
          instance_uuid: inst.uuid,
          code: 500,
          message: 'Instance was building when its compute service restarted.',
          details: null,
          host: this.options.host,
        })
        await this.conductor
          .instanceUpdate(ctx, {
            instance_uuid: inst.uuid,
            updates: { vm_state: VmState.ERROR, task_state: null },
            expected_task_state: [inst.task_state],
          })
          .catch(() => undefined)
      } else if (inst.task_state === TaskState.DELETING) {
        await this.terminate_instance(ctx, { instance: inst })
      }
    }
  }

  private async acquireBuildSlot(): Promise<void> {
    const max = this.options.maxConcurrentBuilds
    if (max <= 0 || this.builds < max) {
      this.builds++
      return
    }
    await new Promise<void>((resolve) => this.waitingBuilds.push(resolve))
    this.builds++
  }

  private releaseBuildSlot(): void {
    this.builds--
    this.waitingBuilds.shift()?.()
  }
}

/** Nova's event names: the service prefix and the manager method that does the work. */
const BUILD_EVENT = 'compute__do_build_and_run_instance'
const TERMINATE_EVENT = 'compute_terminate_instance'

function succeededEvent(started: ActionEventReport): ActionEventReport {
  return { ...started, finish_time: dbNow(), result: 'Success' }
}

/**
 * A failed event. Nova records a build that was re-scheduled or aborted as a success (the
 * exception is handled inside the wrapped method); here it fails, with the reason, because
 * that is what a user reading the actions wants to know.
 */
function failedEvent(started: ActionEventReport, err: Error): ActionEventReport {
  return {
    ...started,
    finish_time: dbNow(),
    result: 'Error',
    traceback: err.stack ?? null,
    details: err.message,
  }
}

/**
 * Nova's `_tail_log`: the last `length` lines, split and joined on newlines as Python does (so
 * a log ending in a newline has an empty last line), none for 0 or a non-integer.
 */
export function tailLog(log: string, length: number | string): string {
  const n = tailLengthAsInteger(length)
  if (n === 0) return ''
  const lines = log.split('\n')
  // Python's lines[-n:]: a negative n drops the first -n lines.
  const start = n > 0 ? Math.max(0, lines.length - n) : Math.min(lines.length, -n)
  return lines.slice(start).join('\n')
}
