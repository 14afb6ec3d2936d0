import { InstanceActionName } from '../../objects/instance-action.js'
import { TaskState, VmState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import { InstanceInvalidState, InstanceIsLocked, NotImplementedByDriver } from '../../shared/errors.js'
import type { HostAction, HostActionRunner, LocatedServer } from './host-action.js'

function changePassword(password: string): HostAction {
  return {
    name: 'changePassword',
    record: InstanceActionName.CHANGE_PASSWORD,
    lock: true,
    host: false,
    state: { vmStates: [VmState.ACTIVE] },
    taskState: TaskState.UPDATING_PASSWORD,
    call: true,
    method: 'set_admin_password',
    send: (compute, ctx, instance) => compute.setAdminPassword(ctx, instance, password),
  }
}

/**
 * `changePassword` (Nova's AdminPasswordController and `set_admin_password`): an RPC call, so
 * the answer says whether the guest took the password; the host's refusals are 409s.
 */
export class AdminPasswordAction {
  constructor(private readonly runner: HostActionRunner) {}

  async change(ctx: RequestContext, server: LocatedServer, password: string): Promise<void> {
    try {
      await this.runner.run(ctx, server, changePassword(password))
    } catch (err) {
      // The controller catches InstanceInvalidState only, of which InstanceIsLocked is one,
      // and words it without attr or state.
      if (err instanceof InstanceIsLocked) {
        throw new InstanceInvalidState(
          `Instance ${server.instance.uuid} is in an invalid state for 'changePassword'`,
        )
      }
      if (err instanceof NotImplementedByDriver) {
        throw new NotImplementedByDriver('Unable to set password on instance')
      }
      throw err
    }
  }
}
