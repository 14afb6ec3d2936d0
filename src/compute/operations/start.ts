import { TaskState, VmState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import { START_EVENT } from '../reports.js'
import type { InstanceArgs } from '../rpcapi.js'
import type { InstanceTask } from './instance-task.js'

/** Nova's `start_instance`: power the guest on, then the server is ACTIVE. */
export class StartInstance {
  constructor(private readonly task: InstanceTask) {}

  async run(ctx: RequestContext, { instance }: InstanceArgs): Promise<void> {
    await this.task.run(ctx, instance, { event: START_EVENT, from: [TaskState.POWERING_ON] }, async () => {
      await this.task.driver.powerOn(instance)
      return {
        power_state: await this.task.powerState(instance),
        vm_state: VmState.ACTIVE,
        task_state: null,
      }
    })
  }
}
