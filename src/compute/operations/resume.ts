import type { InstanceUpdates } from '../../objects/instance.js'
import { TaskState, VmState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import { NotImplementedByDriver } from '../../shared/errors.js'
import { RESUME_EVENT } from '../reports.js'
import type { InstanceArgs } from '../rpcapi.js'
import type { InstanceTask } from './instance-task.js'

/**
 * Nova's `resume_instance`: the suspended guest runs again from its saved memory; the server is
 * ACTIVE (suspend is only allowed from ACTIVE, so Nova's `old_vm_state` is always that). A failure
 * leaves it in ERROR, or SUSPENDED when the driver cannot resume at all.
 */
export class ResumeInstance {
  constructor(private readonly task: InstanceTask) {}

  async run(ctx: RequestContext, { instance }: InstanceArgs): Promise<void> {
    const onFailure = (err: Error): InstanceUpdates =>
      err instanceof NotImplementedByDriver
        ? { vm_state: VmState.SUSPENDED, task_state: null }
        : { vm_state: VmState.ERROR, task_state: null }
    const spec = { event: RESUME_EVENT, from: [TaskState.RESUMING], onFailure }
    await this.task.run(ctx, instance, spec, async () => {
      await this.task.driver.resume(instance)
      return {
        power_state: await this.task.powerState(instance),
        vm_state: VmState.ACTIVE,
        task_state: null,
      }
    })
  }
}
