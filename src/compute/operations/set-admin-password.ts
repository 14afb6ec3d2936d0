import { PowerState, TaskState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import {
  InstanceAgentNotEnabled,
  InstancePasswordSetFailed,
  NotImplementedByDriver,
  SetAdminPasswdNotSupported,
} from '../../shared/errors.js'
import { SET_ADMIN_PASSWORD_EVENT } from '../reports.js'
import type { SetAdminPasswordArgs } from '../rpcapi.js'
import type { InstanceTask } from './instance-task.js'

/**
 * Nova's `set_admin_password` (an RPC call: the API waits for it): the guest must be running,
 * and its agent takes the password. Whatever happens, the server leaves `updating_password`.
 * An unexpected failure is told to the caller in words that cannot carry the password.
 */
export class SetAdminPassword {
  constructor(private readonly task: InstanceTask) {}

  async run(ctx: RequestContext, args: SetAdminPasswordArgs): Promise<null> {
    const { instance } = args
    const spec = { event: SET_ADMIN_PASSWORD_EVENT, from: [TaskState.UPDATING_PASSWORD] }
    await this.task.run(ctx, instance, spec, async (log) => {
      if ((await this.task.powerState(instance)) !== PowerState.RUNNING) {
        throw new InstancePasswordSetFailed(instance.uuid, `instance ${instance.uuid} is not running`)
      }
      const { driver } = this.task
      if (!driver.setAdminPassword) {
        throw new NotImplementedByDriver(
          'set_admin_password is not implemented by this driver or guest instance.',
        )
      }
      try {
        await driver.setAdminPassword(instance, args.new_pass)
      } catch (err) {
        if (
          err instanceof InstanceAgentNotEnabled ||
          err instanceof SetAdminPasswdNotSupported ||
          err instanceof NotImplementedByDriver
        ) {
          throw err
        }
        log.error({ err: (err as Error).message }, 'set_admin_password failed')
        throw new InstancePasswordSetFailed(instance.uuid, 'error setting admin password')
      }
      log.info('Admin password set')
      return { task_state: null }
    })
    return null
  }
}
