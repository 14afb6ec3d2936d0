/**
 * `lock` / `unlock` (Nova's compute API `lock`, `unlock`, `is_expected_locked_by`): a database
 * write in the server's cell, no host involved, recorded as an action with an `api_` event.
 */
import type { Cell } from '../../cells/cell-router.js'
import type { Instance } from '../../objects/instance.js'
import { type ActionEventReport, InstanceActionName } from '../../objects/instance-action.js'
import type { RequestContext } from '../../shared/context.js'
import { dbNow } from '../../shared/time.js'
import { authorizeAdmin } from '../policy.js'
import { inCell, type LocatedServer } from './host-action.js'

/** Who a lock is taken by: the server's own project, or an admin of another. */
export type LockedBy = 'owner' | 'admin'

function lockerOf(ctx: RequestContext, instance: Instance): LockedBy {
  return instance.project_id === ctx.projectId ? 'owner' : 'admin'
}

export class LockActions {
  constructor(
    /** This API's host, as the `api_lock` / `api_unlock` events name it (Nova's CONF.host). */
    private readonly host: string,
  ) {}

  /**
   * Lock the server. Its project re-locking a locked server changes nothing (and records
   * nothing); an admin of another project takes the lock over as `admin`. A reason (2.73) goes
   * into system metadata; none keeps the one there.
   */
  async lock(ctx: RequestContext, server: LocatedServer, reason: string | null): Promise<void> {
    const { instance } = server
    const lockedBy = lockerOf(ctx, instance)
    if (instance.locked && lockedBy === 'owner') return
    await this.recorded(ctx, inCell(server), instance, InstanceActionName.LOCK, (cell) =>
      cell.store.instances.setLock(instance.uuid, { lockedBy, reason }),
    )
  }

  /**
   * Unlock the server. A lock taken by the other kind of caller (an admin's, for the owner)
   * needs the `unlock_override` rule, which is the admins'.
   */
  async unlock(ctx: RequestContext, server: LocatedServer): Promise<void> {
    const { instance } = server
    if (instance.locked_by && instance.locked_by !== lockerOf(ctx, instance)) {
      authorizeAdmin(ctx, 'os_compute_api:os-lock-server:unlock:unlock_override')
    }
    await this.recorded(ctx, inCell(server), instance, InstanceActionName.UNLOCK, (cell) =>
      cell.store.instances.setLock(instance.uuid, null),
    )
  }

  /** The action, and its `api_<action>` event around the write (Nova's `wrap_instance_event(prefix='api')`). */
  private async recorded(
    ctx: RequestContext,
    cell: Cell,
    instance: Instance,
    action: typeof InstanceActionName.LOCK | typeof InstanceActionName.UNLOCK,
    write: (cell: Cell) => Promise<void>,
  ): Promise<void> {
    await cell.store.actions.start({
      action,
      instance_uuid: instance.uuid,
      request_id: ctx.requestId,
      user_id: ctx.userId,
      project_id: ctx.projectId,
    })
    const event: ActionEventReport = { event: `api_${action}`, host: this.host, start_time: dbNow() }
    try {
      await write(cell)
    } catch (err) {
      await cell.store.actions.recordEvent(instance.uuid, ctx.requestId, {
        ...event,
        finish_time: dbNow(),
        result: 'Error',
        traceback: (err as Error).stack ?? null,
        details: (err as Error).message,
      })
      throw err
    }
    await cell.store.actions.recordEvent(instance.uuid, ctx.requestId, {
      ...event,
      finish_time: dbNow(),
      result: 'Success',
    })
  }
}
