import { InstanceActionName } from '../../objects/instance-action.js'
import type { RequestContext } from '../../shared/context.js'
import { authorizeAdmin } from '../policy.js'
import { inCell, type LocatedServer } from './host-action.js'

/** The vm_states `os-resetState` may set: its `active` and `error`. */
export type ResetVmState = 'active' | 'error'

/**
 * `os-resetState` (Nova's AdminActionsController): an admin writes the vm_state and clears the
 * task_state, whatever the server is doing, with no host involved; the action is finished at once.
 * An operation still in flight on the host then finds its task_state gone, and ends there.
 */
export class ResetStateAction {
  async reset(ctx: RequestContext, server: LocatedServer, state: ResetVmState): Promise<void> {
    authorizeAdmin(ctx, 'os_compute_api:os-admin-actions:reset_state')
    const cell = inCell(server)
    const uuid = server.instance.uuid
    await cell.store.instances.update(uuid, { vm_state: state, task_state: null })
    await cell.store.actions.start(
      {
        action: InstanceActionName.RESET_STATE,
        instance_uuid: uuid,
        request_id: ctx.requestId,
        user_id: ctx.userId,
        project_id: ctx.projectId,
      },
      { finished: true },
    )
  }
}
