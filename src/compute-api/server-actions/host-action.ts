/**
 * The framework every single-host action goes through, as Nova's compute/api.py does it: checks
 * (lock, host, state), the compare-and-swap to the action's task_state in the server's cell, the
 * instance action record, then the message to the server's host on its cell's bus.
 */
import type { Cell } from '../../cells/cell-router.js'
import type { ComputeClient, ComputeRpc } from '../../compute/rpcapi.js'
import type { Instance, InstanceUpdates } from '../../objects/instance.js'
import type { InstanceActionName } from '../../objects/instance-action.js'
import type { TaskState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import {
  ComputeServiceDown,
  Conflict,
  InstanceNotReady,
  UnexpectedTaskStateError,
  UnexpectedVmStateError,
} from '../../shared/errors.js'
import type { Logger } from '../../shared/logger.js'
import { allowedTaskStates, checkHost, checkLock, checkState, type StateRule } from './preconditions.js'

/** A server and the cell it lives in (none while it is still a build request). */
export interface LocatedServer {
  readonly instance: Instance
  readonly cell: Cell | undefined
}

/** Finds a server the caller may see (404 otherwise), with its cell. */
export type ServerLocator = (ctx: RequestContext, uuid: string) => Promise<LocatedServer>

/** Whether a host's nova-compute service is up (HostApi.isComputeUp). */
export type ComputeLiveness = (host: string) => Promise<boolean>

/** One action on one server whose work is done by the server's host. */
export interface HostAction {
  /** The action as Nova's controller names it in a 409 (`stop`, `reboot`, `changePassword`). */
  readonly name: string
  /** What `os-instance-actions` lists. */
  readonly record: InstanceActionName
  /** `check_instance_lock`. */
  readonly lock: boolean
  /** `check_instance_host()`: the server must have a host. */
  readonly host: boolean
  /** `check_instance_state`. */
  readonly state: StateRule
  /**
   * The task_state the API moves the server into, by a compare-and-swap from the task_states
   * `state` allows (so of two racing actions one wins); none for an action that moves nothing.
   */
  readonly taskState?: TaskState
  /** Written with the task_state (a stop's progress 0). */
  readonly alsoSet?: InstanceUpdates
  /**
   * The host is asked and answers (an RPC call): refuse at once when its compute service is
   * down, rather than after the call's timeout. Casts wait in the host's queue, as in Nova.
   */
  readonly call?: boolean
  /** The compute RPC method it sends, for the version cap. */
  readonly method: keyof ComputeRpc
  /** Send it to the host, on the cell's bus; `instance` is as the compare-and-swap left it. */
  send(compute: ComputeClient, ctx: RequestContext, instance: Instance): Promise<void>
}

/** Runs HostActions: everything an action does in the API before (and around) its message. */
export class HostActionRunner {
  constructor(
    private readonly isComputeUp: ComputeLiveness,
    private readonly log: Logger,
  ) {}

  async run(ctx: RequestContext, server: LocatedServer, action: HostAction): Promise<void> {
    const { instance } = server
    this.check(ctx, instance, action)
    const cell = inCell(server)
    if (action.call) {
      checkHost(instance)
      if (!(await this.isComputeUp(instance.host))) throw new ComputeServiceDown()
    }
    if (!(await cell.compute.supports(action.method))) {
      throw new Conflict(
        `Cannot '${action.name}' instance ${instance.uuid}: its host's compute service is too old for it; upgrade the compute services first`,
      )
    }
    const moved = action.taskState ? await this.swap(ctx, cell, instance, action) : instance
    await cell.store.actions.start({
      action: action.record,
      instance_uuid: instance.uuid,
      request_id: ctx.requestId,
      user_id: ctx.userId,
      project_id: ctx.projectId,
    })
    try {
      await action.send(cell.compute, ctx, moved)
    } catch (err) {
      if (action.taskState) await this.revert(cell, instance, action.taskState)
      throw err
    }
  }

  private check(ctx: RequestContext, instance: Instance, action: HostAction): void {
    if (action.lock) checkLock(ctx, instance)
    if (action.host) checkHost(instance)
    checkState(instance, action.state, action.name)
  }

  /**
   * Nova's `instance.save(expected_task_state=…)` to the action's task_state, also comparing the
   * vm_state that was checked (an admin's reset-state changes it without a task_state). Losing
   * the swap means another request moved the server since it was read: the caller hears it as
   * the state check would have said it a moment later.
   */
  private async swap(
    ctx: RequestContext,
    cell: Cell,
    instance: Instance,
    action: HostAction,
  ): Promise<Instance> {
    const updates: InstanceUpdates = { ...action.alsoSet, task_state: action.taskState }
    try {
      await cell.store.instances.update(
        instance.uuid,
        updates,
        allowedTaskStates(action.state),
        instance.vm_state ?? undefined,
      )
    } catch (err) {
      if (!(err instanceof UnexpectedTaskStateError || err instanceof UnexpectedVmStateError)) throw err
      const now = await cell.store.instances.find(instance.uuid)
      if (now) this.check(ctx, now, action)
      throw err
    }
    return { ...instance, ...updates }
  }

  /**
   * The message could not be sent (the bus is away, or the cap forbids it): nothing will move
   * the server out of the task_state, so it goes back, unless something moved it meanwhile.
   */
  private async revert(cell: Cell, instance: Instance, taskState: TaskState): Promise<void> {
    await cell.store.instances
      .update(instance.uuid, { task_state: instance.task_state }, [taskState])
      .catch((err: Error) =>
        this.log.info({ instance_uuid: instance.uuid, err: err.message }, 'task_state not reverted'),
      )
  }
}

/** The server's cell; a server still being scheduled has none, and no host to act on it. */
export function inCell(server: LocatedServer): Cell {
  if (!server.cell) throw new InstanceNotReady(server.instance.uuid)
  return server.cell
}
