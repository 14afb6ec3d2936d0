import type { InstanceUpdates } from '../../objects/instance.js'
import { TaskState, VmState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import { NotImplementedByDriver } from '../../shared/errors.js'
import { SUSPEND_EVENT } from '../reports.js'
import type { InstanceArgs } from '../rpcapi.js'
import type { InstanceTask } from './instance-task.js'

/**
 * Nova's `suspend_instance`: the guest's memory is saved and it stops; the server is SUSPENDED.
 * A failure leaves it in ERROR (the guest may be half saved), unless the driver cannot suspend
 * at all: then nothing happened, and it keeps its state (`_error_out_instance_on_exception`).
 */
export class SuspendInstance {
  constructor(private readonly task: InstanceTask) {}

  async run(ctx: RequestContext, { instance }: InstanceArgs): Promise<void> {
    const onFailure = (err: Error): InstanceUpdates =>
      err instanceof NotImplementedByDriver
        ? { vm_state: instance.vm_state, task_state: null }
        : { vm_state: VmState.ERROR, task_state: null }
    const spec = { event: SUSPEND_EVENT, from: [TaskState.SUSPENDING], onFailure }
    await this.task.run(ctx, instance, spec, async () => {
      await this.task.driver.suspend(instance)
      return {
        power_state: await this.task.powerState(instance),
        vm_state: VmState.SUSPENDED,
        task_state: null,
      }
    })
  }
}
