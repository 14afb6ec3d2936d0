import type { Instance } from '../../objects/instance.js'
import { VmState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import type { Logger } from '../../shared/logger.js'
import type { VirtDriver } from '../../virt/driver.js'
import { type ConductorReports, failedEvent, succeededEvent, TERMINATE_EVENT } from '../reports.js'

/** Nova's `terminate_instance`: destroy the guest, then have the conductor delete the instance. */
export class TerminateInstance {
  constructor(
    private readonly driver: VirtDriver,
    private readonly reports: ConductorReports,
    private readonly log: Logger,
  ) {}

  async run(ctx: RequestContext, args: { instance: Instance }): Promise<void> {
    const log = this.log.child({ request_id: ctx.requestId, instance_uuid: args.instance.uuid })
    const event = this.reports.startEvent(TERMINATE_EVENT)
    try {
      await this.driver.destroy(args.instance)
    } catch (err) {
      // As Nova: the server goes to ERROR with a fault, and the delete can be retried.
      log.error({ err }, 'could not destroy the guest')
      await this.reports.deliver(log, 'delete fault', () =>
        this.reports.conductor.instanceFaultCreate(ctx, {
          instance_uuid: args.instance.uuid,
          code: 500,
          message: (err as Error).message,
          details: (err as Error).stack ?? null,
          host: this.reports.host,
        }),
      )
      await this.reports.deliver(log, 'error state', () =>
        this.reports.conductor.instanceUpdate(ctx, {
          instance_uuid: args.instance.uuid,
          updates: { vm_state: VmState.ERROR, task_state: null },
          action_event: failedEvent(event, err as Error),
        }),
      )
      return
    }
    // Destroying twice is harmless: a retry whose first attempt landed finds nothing left to do.
    await this.reports.deliver(log, 'instance destroy', () =>
      this.reports.conductor.instanceDestroy(ctx, {
        instance_uuid: args.instance.uuid,
        action_event: succeededEvent(event),
      }),
    )
    log.info('instance terminated')
  }
}
