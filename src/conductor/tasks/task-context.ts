import type { Cell, CellRouter } from '../../cells/cell-router.js'
import type { FilterProperties } from '../../compute/rpcapi.js'
import type { ApiStore } from '../../db/api/api-store.js'
import { InstanceActionName } from '../../objects/instance-action.js'
import type { SchedulerClient } from '../../scheduler/rpcapi.js'
import type { RequestContext } from '../../shared/context.js'
import type { Logger } from '../../shared/logger.js'

/** What every conductor task works with: the API database, the cells, the scheduler. */
export interface TaskContext {
  readonly api: ApiStore
  readonly cells: CellRouter
  readonly scheduler: SchedulerClient
  readonly log: Logger
  /** `[scheduler] max_attempts`: builds per server, the first choice included. */
  readonly maxAttempts: number
  /** This conductor's host name, for the events it records. */
  readonly host: string
}

/** Nova's `filter_properties`: `retry` only when a failed build may be retried elsewhere. */
export function filterProperties(
  tasks: TaskContext,
  numAttempts: number,
  host: string,
  node: string,
): FilterProperties {
  return tasks.maxAttempts > 1 ? { retry: { num_attempts: numAttempts, hosts: [[host, node]] } } : {}
}

/** The `create` instance action (what `os-instance-actions` lists for the request), in the instance's cell. */
export function recordCreate(cell: Cell, ctx: RequestContext, instanceUuid: string): Promise<void> {
  return cell.store.actions.start({
    action: InstanceActionName.CREATE,
    instance_uuid: instanceUuid,
    request_id: ctx.requestId,
    user_id: ctx.userId,
    project_id: ctx.projectId,
  })
}
