import { PowerState, TaskState, VmState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import { STOP_EVENT } from '../reports.js'
import type { StopInstanceArgs } from '../rpcapi.js'
import type { InstanceTask } from './instance-task.js'

/** Nova's `[compute] shutdown_retry_interval`: how often a clean shutdown is asked for again. */
const SHUTDOWN_RETRY_INTERVAL_S = 10

/** Power states in which the guest is off already (Nova's `_sync_instance_power_state` list). */
const OFF: ReadonlySet<number> = new Set([PowerState.NOSTATE, PowerState.SHUTDOWN, PowerState.CRASHED])

/** Nova's `stop_instance`: shut the guest down, then the server is SHUTOFF. */
export class StopInstance {
  constructor(
    private readonly task: InstanceTask,
    /** `[DEFAULT] shutdown_timeout`: how long a clean shutdown may take before the guest is forced off. */
    private readonly shutdownTimeoutS: number,
  ) {}

  async run(ctx: RequestContext, args: StopInstanceArgs): Promise<void> {
    const { instance } = args
    // A guest off already may be stopped by a request that raced another (or by the power-state
    // sync): then the instance may have lost its task_state meanwhile, as Nova allows.
    const from: (string | null)[] = [TaskState.POWERING_OFF]
    if (OFF.has(await this.task.powerState(instance))) from.push(null)
    await this.task.run(ctx, instance, { event: STOP_EVENT, from }, async () => {
      const clean = args.clean_shutdown !== false
      await this.task.driver.powerOff(instance, {
        timeoutS: clean ? this.shutdownTimeoutS : 0,
        retryIntervalS: clean ? SHUTDOWN_RETRY_INTERVAL_S : 0,
      })
      return {
        power_state: await this.task.powerState(instance),
        vm_state: VmState.STOPPED,
        task_state: null,
      }
    })
  }
}
