import type { ConductorClient } from '../../conductor/rpcapi.js'
import type { Instance } from '../../objects/instance.js'
import { PowerState, TaskState, VmState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import type { Logger } from '../../shared/logger.js'
import type { InstanceTask } from './instance-task.js'
import type { StopInstance } from './stop.js'

const SHUT_DOWN: ReadonlySet<number> = new Set([PowerState.SHUTDOWN, PowerState.CRASHED])
const OFF: ReadonlySet<number> = new Set([PowerState.NOSTATE, PowerState.SHUTDOWN, PowerState.CRASHED])

/**
 * Nova's `_sync_power_states`: the hypervisor is the truth about power. Each instance of the
 * host with nothing in flight takes its guest's power state; where vm_state and guest disagree in
 * a way Nova resolves, the instance is stopped as Nova's stop API would (task `powering-off`,
 * then the stop operation): an ACTIVE server whose guest shut down, crashed or suspended itself;
 * a STOPPED one whose guest runs; a PAUSED one whose guest shut down. A guest paused behind
 * compute's back, or one the hypervisor lost, is only logged, as Nova does.
 */
export class PowerStateSync {
  constructor(
    private readonly task: InstanceTask,
    private readonly conductor: ConductorClient,
    private readonly stop: StopInstance,
    private readonly host: string,
    private readonly log: Logger,
  ) {}

  async run(ctx: RequestContext): Promise<void> {
    const instances = await this.conductor.instanceGetAllByHost(ctx, this.host)
    for (const instance of instances) {
      try {
        await this.sync(ctx, instance)
      } catch (err) {
        this.log.warn(
          { err: (err as Error).message, instance_uuid: instance.uuid },
          'Periodic sync_power_state task had an error while processing an instance.',
        )
      }
    }
  }

  private async sync(ctx: RequestContext, instance: Instance): Promise<void> {
    // Something is in flight for it; the next pass will look again.
    if (instance.task_state !== null) return
    const log = this.task.logFor(ctx, instance)
    const power = await this.task.powerState(instance)
    if (power !== instance.power_state) {
      const updated = await this.task.report(ctx, log, 'power state', {
        instance_uuid: instance.uuid,
        updates: { power_state: power },
        expected_task_state: [null],
      })
      if (!updated) return
    }
    const vmState = instance.vm_state
    if (vmState === VmState.ACTIVE) {
      if (SHUT_DOWN.has(power))
        return this.stopIt(ctx, log, instance, 'Instance shutdown by itself. Calling the stop API.')
      if (power === PowerState.SUSPENDED)
        return this.stopIt(ctx, log, instance, 'Instance is suspended unexpectedly. Calling the stop API.')
      if (power === PowerState.PAUSED) log.warn('Instance is paused unexpectedly. Ignore.')
      if (power === PowerState.NOSTATE) log.warn('Instance is unexpectedly not found. Ignore.')
    } else if (vmState === VmState.STOPPED) {
      if (!OFF.has(power))
        return this.stopIt(ctx, log, instance, 'Instance is not stopped. Calling the stop API.')
    } else if (vmState === VmState.PAUSED) {
      if (SHUT_DOWN.has(power))
        return this.stopIt(ctx, log, instance, 'Paused instance shutdown by itself. Calling the stop API.')
    }
  }

  /** What Nova's `compute_api.stop` / `force_stop` start: `powering-off`, then the stop itself. */
  private async stopIt(ctx: RequestContext, log: Logger, instance: Instance, why: string): Promise<void> {
    log.warn({ vm_state: instance.vm_state }, why)
    const claimed = await this.task.report(ctx, log, 'powering-off state', {
      instance_uuid: instance.uuid,
      updates: { task_state: TaskState.POWERING_OFF, progress: 0 },
      expected_task_state: [null],
    })
    if (!claimed) return
    await this.stop.run(ctx, {
      instance: { ...instance, task_state: TaskState.POWERING_OFF },
      clean_shutdown: true,
    })
  }
}
