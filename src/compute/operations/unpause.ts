import { TaskState, VmState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import { UNPAUSE_EVENT } from '../reports.js'
import type { InstanceArgs } from '../rpcapi.js'
import type { InstanceTask } from './instance-task.js'

/** Nova's `unpause_instance`: the paused guest runs again; the server is ACTIVE. */
export class UnpauseInstance {
  constructor(private readonly task: InstanceTask) {}

  async run(ctx: RequestContext, { instance }: InstanceArgs): Promise<void> {
    await this.task.run(ctx, instance, { event: UNPAUSE_EVENT, from: [TaskState.UNPAUSING] }, async () => {
      await this.task.driver.unpause(instance)
      return {
        power_state: await this.task.powerState(instance),
        vm_state: VmState.ACTIVE,
        task_state: null,
      }
    })
  }
}
