import type { InstanceUpdates } from '../../objects/instance.js'
import {
  HARD_REBOOT_STATES,
  PowerState,
  SOFT_REBOOT_STATES,
  TaskState,
  VmState,
} from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import type { Logger } from '../../shared/logger.js'
import { REBOOT_EVENT } from '../reports.js'
import type { RebootInstanceArgs } from '../rpcapi.js'
import { type InstanceTask, Preempted } from './instance-task.js'

/**
 * Nova's `reboot_instance`: acknowledge (`reboot_pending`), start (`reboot_started`), reboot,
 * then ACTIVE with the guest's power state. A failed reboot whose guest still runs is a fault
 * and no more (the server stays ACTIVE); one that left the guest down puts the server in ERROR,
 * from where a hard reboot may recover it.
 */
export class RebootInstance {
  constructor(private readonly task: InstanceTask) {}

  async run(ctx: RequestContext, args: RebootInstanceArgs): Promise<void> {
    const { instance } = args
    const hard = args.reboot_type !== 'SOFT'
    const pending = hard ? TaskState.REBOOT_PENDING_HARD : TaskState.REBOOT_PENDING
    const started = hard ? TaskState.REBOOT_STARTED_HARD : TaskState.REBOOT_STARTED
    const spec = {
      event: REBOOT_EVENT,
      from: [started],
      onFailure: (): InstanceUpdates => ({ vm_state: VmState.ERROR, task_state: null }),
    }
    await this.task.run(ctx, instance, spec, async (log) => {
      await this.advance(ctx, log, instance.uuid, 'reboot acknowledged', {
        updates: { task_state: pending, power_state: await this.task.powerState(instance) },
        from: hard ? HARD_REBOOT_STATES : SOFT_REBOOT_STATES,
      })
      await this.advance(ctx, log, instance.uuid, 'reboot started', {
        updates: { task_state: started },
        // A retry whose first attempt landed (its reply lost) finds it started already.
        from: [pending, started],
      })
      // A rescued server reboots into its rescue image, and stays rescued.
      const vmState = instance.vm_state === VmState.RESCUED ? VmState.RESCUED : VmState.ACTIVE
      try {
        await this.task.driver.reboot(instance, hard ? 'HARD' : 'SOFT')
      } catch (err) {
        if ((await this.task.powerState(instance)) !== PowerState.RUNNING) throw err
        log.warn({ err: (err as Error).message }, 'Reboot failed but instance is running')
        await this.task.recordFault(ctx, log, instance, err as Error)
      }
      return { power_state: await this.task.powerState(instance), vm_state: vmState, task_state: null }
    })
  }

  private async advance(
    ctx: RequestContext,
    log: Logger,
    uuid: string,
    what: string,
    step: { updates: InstanceUpdates; from: readonly (string | null)[] },
  ): Promise<void> {
    const landed = await this.task.report(ctx, log, what, {
      instance_uuid: uuid,
      updates: step.updates,
      expected_task_state: [...step.from],
    })
    if (!landed) throw new Preempted(`${what}: the instance left ${step.from.join('/')}`)
  }
}
