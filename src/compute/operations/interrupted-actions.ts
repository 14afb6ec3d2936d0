import type { Instance, InstanceUpdates } from '../../objects/instance.js'
import { HARD_REBOOT_STATES, PowerState, TaskState, VmState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import type { Logger } from '../../shared/logger.js'
import type { InstanceTask } from './instance-task.js'

/** The operations a restarted host may have to carry out again. */
export interface HostOperations {
  stop(ctx: RequestContext, instance: Instance): Promise<void>
  start(ctx: RequestContext, instance: Instance): Promise<void>
  reboot(ctx: RequestContext, instance: Instance, kind: 'SOFT' | 'HARD'): Promise<void>
  pause(ctx: RequestContext, instance: Instance): Promise<void>
  unpause(ctx: RequestContext, instance: Instance): Promise<void>
  suspend(ctx: RequestContext, instance: Instance): Promise<void>
  resume(ctx: RequestContext, instance: Instance): Promise<void>
}

/** What becomes of an action in flight, given the guest's power state now. */
interface Recovery {
  /** The guest got there before the host stopped: only the record is behind. */
  readonly reached: (power: number) => boolean
  readonly reachedState: InstanceUpdates
  /** Otherwise the operation runs again (its compare-and-swaps make a duplicate harmless). */
  readonly redo: (ops: HostOperations, ctx: RequestContext, instance: Instance) => Promise<void>
}

const OFF = (p: number) => p === PowerState.SHUTDOWN || p === PowerState.NOSTATE || p === PowerState.CRASHED
const RUNNING = (p: number) => p === PowerState.RUNNING

const RECOVERIES: Readonly<Record<string, Recovery>> = {
  [TaskState.POWERING_OFF]: {
    reached: OFF,
    reachedState: { vm_state: VmState.STOPPED },
    redo: (ops, ctx, i) => ops.stop(ctx, i),
  },
  [TaskState.POWERING_ON]: {
    reached: RUNNING,
    reachedState: { vm_state: VmState.ACTIVE },
    redo: (ops, ctx, i) => ops.start(ctx, i),
  },
  [TaskState.PAUSING]: {
    reached: (p) => p === PowerState.PAUSED,
    reachedState: { vm_state: VmState.PAUSED },
    redo: (ops, ctx, i) => ops.pause(ctx, i),
  },
  [TaskState.UNPAUSING]: {
    reached: RUNNING,
    reachedState: { vm_state: VmState.ACTIVE },
    redo: (ops, ctx, i) => ops.unpause(ctx, i),
  },
  [TaskState.SUSPENDING]: {
    reached: (p) => p === PowerState.SUSPENDED,
    reachedState: { vm_state: VmState.SUSPENDED },
    redo: (ops, ctx, i) => ops.suspend(ctx, i),
  },
  [TaskState.RESUMING]: {
    reached: RUNNING,
    reachedState: { vm_state: VmState.ACTIVE },
    redo: (ops, ctx, i) => ops.resume(ctx, i),
  },
}

/**
 * Nova's `_init_instance` for actions in flight when the host stopped: each instance left in an
 * action's task_state ends, either recorded where its guest already is or by running the
 * operation again, so none waits for a message that may never come. A reboot runs again (hard
 * when the guest is not running, as Nova's `get_reboot_type`), unless it had started and the
 * guest runs; a password change (whose caller is long gone) is dropped.
 */
export class InterruptedActions {
  constructor(
    private readonly task: InstanceTask,
    private readonly ops: HostOperations,
  ) {}

  /** Whether `instance` is in an action's task_state this recovers. */
  handles(instance: Instance): boolean {
    const t = instance.task_state
    return t !== null && (t in RECOVERIES || t.startsWith('reboot') || t === TaskState.UPDATING_PASSWORD)
  }

  async recover(ctx: RequestContext, instance: Instance): Promise<void> {
    const log = this.task.logFor(ctx, instance)
    const taskState = instance.task_state!
    const power = await this.task.powerState(instance)
    log.info({ task_state: taskState, power_state: power }, 'action in flight at start-up; finishing it')
    const recovery = RECOVERIES[taskState]
    if (recovery) {
      if (!recovery.reached(power)) return recovery.redo(this.ops, ctx, instance)
      await this.settle(ctx, log, instance, {
        ...recovery.reachedState,
        power_state: power,
        task_state: null,
      })
      return
    }
    if (taskState === TaskState.UPDATING_PASSWORD) {
      await this.settle(ctx, log, instance, { task_state: null })
      return
    }
    const started = taskState === TaskState.REBOOT_STARTED || taskState === TaskState.REBOOT_STARTED_HARD
    if (started && RUNNING(power)) {
      await this.settle(ctx, log, instance, {
        vm_state: VmState.ACTIVE,
        power_state: power,
        task_state: null,
      })
      return
    }
    if (HARD_REBOOT_STATES.some((s) => s === taskState) || RUNNING(power)) {
      const hard = HARD_REBOOT_STATES.some((s) => s === taskState)
      await this.ops.reboot(ctx, instance, hard ? 'HARD' : 'SOFT')
      return
    }
    // A soft reboot that got as far as stopping the guest has become a hard one (as in Nova).
    const moved = await this.task.report(ctx, log, 'reboot made hard', {
      instance_uuid: instance.uuid,
      updates: { task_state: TaskState.REBOOT_PENDING_HARD },
      expected_task_state: [taskState],
    })
    if (moved) {
      await this.ops.reboot(ctx, { ...instance, task_state: TaskState.REBOOT_PENDING_HARD }, 'HARD')
    }
  }

  private async settle(ctx: RequestContext, log: Logger, instance: Instance, updates: InstanceUpdates) {
    await this.task.report(ctx, log, 'interrupted action outcome', {
      instance_uuid: instance.uuid,
      updates,
      expected_task_state: [instance.task_state],
    })
  }
}
