import { TaskState, VmState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import { PAUSE_EVENT } from '../reports.js'
import type { InstanceArgs } from '../rpcapi.js'
import type { InstanceTask } from './instance-task.js'

/** Nova's `pause_instance`: the guest keeps its memory but stops running; the server is PAUSED. */
export class PauseInstance {
  constructor(private readonly task: InstanceTask) {}

  async run(ctx: RequestContext, { instance }: InstanceArgs): Promise<void> {
    await this.task.run(ctx, instance, { event: PAUSE_EVENT, from: [TaskState.PAUSING] }, async () => {
      await this.task.driver.pause(instance)
      return {
        power_state: await this.task.powerState(instance),
        vm_state: VmState.PAUSED,
        task_state: null,
      }
    })
  }
}
