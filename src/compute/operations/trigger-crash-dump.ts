import type { RequestContext } from '../../shared/context.js'
import { NotImplementedByDriver } from '../../shared/errors.js'
import { TRIGGER_CRASH_DUMP_EVENT } from '../reports.js'
import type { InstanceArgs } from '../rpcapi.js'
import type { InstanceTask } from './instance-task.js'

/**
 * Nova's `trigger_crash_dump`: an NMI to the guest. It moves no state (what the guest does with
 * it is the guest's configuration's business); a failure is a fault and an Error event.
 */
export class TriggerCrashDump {
  constructor(private readonly task: InstanceTask) {}

  async run(ctx: RequestContext, { instance }: InstanceArgs): Promise<void> {
    await this.task.run(ctx, instance, { event: TRIGGER_CRASH_DUMP_EVENT }, async () => {
      const { driver } = this.task
      if (!driver.triggerCrashDump) throw new NotImplementedByDriver('Triggering crash dump is not supported')
      await driver.triggerCrashDump(instance)
      return {}
    })
  }
}
