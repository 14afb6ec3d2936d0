import type { Cell } from '../cells/cell-router.js'
import type { ApiStore } from '../db/api/api-store.js'
import type { ComputeNodeReport } from '../objects/compute-node.js'
import type { Instance } from '../objects/instance.js'
import type { ActionEventReport } from '../objects/instance-action.js'
import type { ServiceIdentity, ServiceRecord } from '../objects/service.js'
import { HeartbeatBatcher } from '../servicegroup/heartbeat-batcher.js'
import type { RequestContext } from '../shared/context.js'
import type { Logger } from '../shared/logger.js'
import type {
  BuildInstancesArgs,
  ComputeTaskRpc,
  ConductorRpc,
  InstanceDestroyArgs,
  InstanceUpdateArgs,
  ScheduleAndBuildArgs,
} from './rpcapi.js'
import { RescheduleBuild } from './tasks/reschedule-build.js'
import { ScheduleAndBuild } from './tasks/schedule-and-build.js'
import type { TaskContext } from './tasks/task-context.js'

/**
 * The conductor's base API: the database work the compute hosts of its cell may not do
 * themselves. Every method is idempotent, because a redelivered message may run it twice.
 */
export class ConductorManager implements ConductorRpc {
  private readonly heartbeats: HeartbeatBatcher

  constructor(
    /** The cell this conductor serves: its hosts report here. */
    private readonly cell: Cell,
    private readonly api: ApiStore,
    private readonly log: Logger,
  ) {
    this.heartbeats = new HeartbeatBatcher((ids) => this.cell.store.services.reportStates(ids), log)
  }

  private get store() {
    return this.cell.store
  }

  async instance_update(ctx: RequestContext, args: InstanceUpdateArgs): Promise<void> {
    // No change and nothing to compare: an event alone (an operation that moves no state).
    const eventOnly =
      Object.keys(args.updates).length === 0 && !args.expected_task_state && !args.expected_vm_state
    if (!eventOnly) {
      await this.store.instances.update(
        args.instance_uuid,
        args.updates,
        args.expected_task_state,
        args.expected_vm_state,
      )
    }
    if (args.action_event) await this.recordEvent(ctx, args.instance_uuid, args.action_event)
  }

  async instance_destroy(ctx: RequestContext, args: InstanceDestroyArgs): Promise<void> {
    if (args.action_event) await this.recordEvent(ctx, args.instance_uuid, args.action_event)
    // Capacity first: once the server is gone from the API, its host's room is back too.
    await this.store.nodes.release(args.instance_uuid)
    await this.store.instances.destroy(args.instance_uuid)
    await this.api.queueForDelete(args.instance_uuid)
  }

  private async recordEvent(ctx: RequestContext, uuid: string, event: ActionEventReport): Promise<void> {
    if (!(await this.store.actions.recordEvent(uuid, ctx.requestId, event))) {
      this.log.info(
        { request_id: ctx.requestId, instance_uuid: uuid, event: event.event },
        'no instance action for this request; event not recorded',
      )
    }
  }

  async instance_fault_create(
    _ctx: RequestContext,
    args: { instance_uuid: string; code: number; message: string; details: string | null; host: string },
  ): Promise<void> {
    await this.store.instances.addFault(args.instance_uuid, args)
  }

  instance_get_all_by_host(_ctx: RequestContext, args: { host: string }): Promise<Instance[]> {
    return this.store.instances.list({ host: args.host })
  }

  /**
   * A service registers. A compute host is mapped to this cell at once (Nova leaves that to
   * `discover_hosts`, the step operators forget): the API finds its servers' cell from the start.
   */
  async service_get_or_create(_ctx: RequestContext, args: ServiceIdentity): Promise<ServiceRecord> {
    const service = await this.store.services.getOrCreate(args)
    if (args.binary === 'nova-compute' && (await this.api.mapHost(args.host, this.cell.mapping.id))) {
      this.log.info({ host: args.host, cell: this.cell.mapping.name }, 'compute host mapped to its cell')
    }
    return service
  }

  async service_report_state(_ctx: RequestContext, args: { service_id: number }): Promise<null> {
    await this.heartbeats.report(args.service_id)
    return null
  }

  async compute_node_update(
    _ctx: RequestContext,
    args: { service_id: number; report: ComputeNodeReport },
  ): Promise<void> {
    await this.store.nodes.update(args.service_id, args.report)
  }
}

/**
 * The conductor's build and move orchestration (`compute_task`): each operation is a task of
 * its own in `tasks/`, as Nova's conductor tasks are.
 */
export class ComputeTaskManager implements ComputeTaskRpc {
  readonly scheduleAndBuild: ScheduleAndBuild
  private readonly rescheduleBuild: RescheduleBuild

  constructor(tasks: TaskContext) {
    this.scheduleAndBuild = new ScheduleAndBuild(tasks)
    this.rescheduleBuild = new RescheduleBuild(tasks)
  }

  schedule_and_build_instances(ctx: RequestContext, args: ScheduleAndBuildArgs): Promise<void> {
    return this.scheduleAndBuild.run(ctx, args)
  }

  /** A build failed on a host: claim the next alternate and try there, until none is left. */
  build_instances(ctx: RequestContext, args: BuildInstancesArgs): Promise<void> {
    return this.rescheduleBuild.run(ctx, args)
  }
}
