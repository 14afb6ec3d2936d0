import type { ComputeClient, FilterProperties } from '../compute/rpcapi.js'
import type { ApiStore } from '../db/api/api-store.js'
import type { CellStore } from '../db/cell/cell-store.js'
import type { CellMapping } from '../objects/cell-mapping.js'
import type { ComputeNodeReport } from '../objects/compute-node.js'
import type { BuildRequestInstance, Instance, RequestSpec, Selection } from '../objects/instance.js'
import { type ActionEventReport, InstanceActionName } from '../objects/instance-action.js'
import type { ServiceRecord } from '../objects/service.js'
import { TaskState, VmState } from '../objects/states.js'
import { isMessagingFailure } from '../rpc/retry.js'
import type { SchedulerClient } from '../scheduler/rpcapi.js'
import { HeartbeatBatcher } from '../servicegroup/heartbeat-batcher.js'
import type { RequestContext } from '../shared/context.js'
import type { Logger } from '../shared/logger.js'
import { dbNow } from '../shared/time.js'
import type {
  BuildInstancesArgs,
  ComputeTaskRpc,
  ConductorRpc,
  InstanceDestroyArgs,
  InstanceUpdateArgs,
  ScheduleAndBuildArgs,
} from './rpcapi.js'

/**
 * The conductor's base API: the database work compute hosts may not do themselves. Every method
 * is idempotent, because a redelivered message may run it twice.
 */
export class ConductorManager implements ConductorRpc {
  private readonly heartbeats: HeartbeatBatcher

  constructor(
    private readonly cell: CellStore,
    private readonly api: ApiStore | undefined,
    private readonly log: Logger,
  ) {
    this.heartbeats = new HeartbeatBatcher((ids) => this.cell.services.reportStates(ids), log)
  }

  async instance_update(ctx: RequestContext, args: InstanceUpdateArgs): Promise<void> {
    await this.cell.instances.update(
      args.instance_uuid,
      args.updates,
      args.expected_task_state,
      args.expected_vm_state,
    )
    if (args.action_event) await this.recordEvent(ctx, args.instance_uuid, args.action_event)
  }

  async instance_destroy(ctx: RequestContext, args: InstanceDestroyArgs): Promise<void> {
    if (args.action_event) await this.recordEvent(ctx, args.instance_uuid, args.action_event)
    // Capacity first: once the server is gone from the API, its host's room is back too.
    await this.cell.nodes.release(args.instance_uuid)
    await this.cell.instances.destroy(args.instance_uuid)
    await this.api?.queueForDelete(args.instance_uuid)
  }

  private async recordEvent(ctx: RequestContext, uuid: string, event: ActionEventReport): Promise<void> {
    if (!(await this.cell.actions.recordEvent(uuid, ctx.requestId, event))) {
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
    await this.cell.instances.addFault(args.instance_uuid, args)
  }

  instance_get_all_by_host(_ctx: RequestContext, args: { host: string }): Promise<Instance[]> {
    return this.cell.instances.list({ host: args.host })
  }

  service_get_or_create(
    _ctx: RequestContext,
    args: { host: string; binary: string; topic: string; version: number },
  ): Promise<ServiceRecord> {
    return this.cell.services.getOrCreate(args)
  }

  async service_report_state(_ctx: RequestContext, args: { service_id: number }): Promise<null> {
    await this.heartbeats.report(args.service_id)
    return null
  }

  async compute_node_update(
    _ctx: RequestContext,
    args: { service_id: number; report: ComputeNodeReport },
  ): Promise<void> {
    await this.cell.nodes.update(args.service_id, args.report)
  }
}

/**
 * The conductor's build orchestration (`compute_task`): ask the scheduler, write the instance
 * into its cell, hand it to the chosen host; or bury it in ERROR when no host fits.
 */
export class ComputeTaskManager implements ComputeTaskRpc {
  constructor(
    private readonly api: ApiStore,
    private readonly cell: CellStore,
    private readonly cellMapping: CellMapping,
    private readonly scheduler: SchedulerClient,
    private readonly compute: ComputeClient,
    private readonly log: Logger,
    /** `[scheduler] max_attempts`: builds per server, the first choice included. */
    private readonly maxAttempts: number,
    /** This conductor's host name, for the events it records. */
    private readonly host: string,
  ) {}

  /** Nova's `filter_properties`: `retry` only when a failed build may be retried elsewhere. */
  private filterProperties(numAttempts: number, host: string, node: string): FilterProperties {
    return this.maxAttempts > 1 ? { retry: { num_attempts: numAttempts, hosts: [[host, node]] } } : {}
  }

  async schedule_and_build_instances(ctx: RequestContext, args: ScheduleAndBuildArgs): Promise<void> {
    const log = this.log.child({ request_id: ctx.requestId })
    const started = dbNow()
    // A redelivered message (its first consumer died) finds some instances already made: those
    // are finished, or only need their build cast again.
    const waiting = await this.api.buildRequestsExisting(args.build_requests.map((b) => b.uuid))
    const pending: { br: BuildRequestInstance; spec: RequestSpec }[] = []
    for (const [i, br] of args.build_requests.entries()) {
      const spec = args.request_specs[i] ?? args.request_specs[0]!
      if (waiting.has(br.uuid)) {
        pending.push({ br, spec })
        continue
      }
      // No build request: deleted by the user, or already taken by an earlier delivery.
      const existing = await this.cell.instances.find(br.uuid, true)
      if (existing) await this.resumeBuild(ctx, existing, spec)
    }
    if (pending.length === 0) return
    let selections: Selection[][]
    try {
      selections = await this.scheduler.selectDestinations(
        ctx,
        pending[0]!.spec,
        pending.map((p) => p.br.uuid),
      )
    } catch (err) {
      if (isMessagingFailure(err)) {
        // Not an answer from the scheduler, only its absence: the build requests stay, and the
        // re-drive sends them again once they have waited `[conductor] redrive_threshold`.
        log.warn(
          { err: (err as Error).message, instance_uuids: pending.map((p) => p.br.uuid) },
          'could not reach the scheduler; the build requests wait for the re-drive',
        )
        return
      }
      log.warn({ err }, 'scheduling failed; instances go to ERROR')
      for (const { br } of pending) await this.buryInstance(ctx, br, err, started)
      return
    }
    await Promise.all(pending.map(({ br, spec }, i) => this.createAndBuild(ctx, br, spec, selections[i]!)))
  }

  /** Cast the build again for an instance still waiting on its host; the host ignores duplicates. */
  async resumeBuild(ctx: RequestContext, instance: Instance, spec: RequestSpec): Promise<void> {
    if (
      instance.deleted ||
      instance.vm_state !== VmState.BUILDING ||
      instance.task_state !== TaskState.SCHEDULING
    )
      return
    if (!instance.host || !instance.node) return
    await this.compute.buildAndRunInstance(ctx, instance.host, {
      instance,
      request_spec: spec,
      filter_properties: this.filterProperties(1, instance.host, instance.node),
      node: instance.node,
      host_list: [],
    })
  }

  private async createAndBuild(
    ctx: RequestContext,
    br: BuildRequestInstance,
    spec: RequestSpec,
    hostList: Selection[],
  ): Promise<void> {
    const [chosen, ...alternates] = hostList
    if (!chosen) return
    const { instance, created } = await this.cell.instances.create({
      ...br,
      vm_state: VmState.BUILDING,
      task_state: TaskState.SCHEDULING,
      host: chosen.service_host,
      node: chosen.nodename,
    })
    await this.api.setInstanceCell(br.uuid, this.cellMapping.id)
    const tookBuildRequest = await this.api.deleteBuildRequest(br.uuid)
    if (!created) {
      // Made by an earlier or parallel delivery of this request: make sure its build was cast
      // (the host ignores a duplicate).
      await this.resumeBuild(ctx, instance, spec)
      return
    }
    if (!tookBuildRequest && (await this.deletedWhileScheduling(br.uuid))) {
      // The user deleted the server while it was being scheduled: undo, as Nova's conductor does.
      await this.cell.nodes.release(br.uuid)
      await this.cell.instances.destroy(br.uuid)
      return
    }
    // Otherwise a twin delivery of this request (redelivered, or re-driven) took the build
    // request after this one made the instance: this one still owns the build.
    await this.recordCreate(ctx, br.uuid)
    await this.compute.buildAndRunInstance(ctx, chosen.service_host, {
      instance,
      request_spec: spec,
      filter_properties: this.filterProperties(1, chosen.service_host, chosen.nodename),
      node: chosen.nodename,
      host_list: alternates,
    })
  }

  /**
   * Whether the build request went because the user deleted the server (the API queues its
   * mapping for delete in the same transaction), or the create was withdrawn (no mapping left).
   */
  private async deletedWhileScheduling(instanceUuid: string): Promise<boolean> {
    const mapping = await this.api.getInstanceMapping(instanceUuid)
    return mapping?.queued_for_delete ?? true
  }

  /** The `create` instance action (what `os-instance-actions` lists for the request). */
  private recordCreate(ctx: RequestContext, instanceUuid: string): Promise<void> {
    return this.cell.actions.start({
      action: InstanceActionName.CREATE,
      instance_uuid: instanceUuid,
      request_id: ctx.requestId,
      user_id: ctx.userId,
      project_id: ctx.projectId,
    })
  }

  /** A build failed on a host: claim the next alternate and try there, until none is left. */
  async build_instances(ctx: RequestContext, args: BuildInstancesArgs): Promise<void> {
    const uuid = args.instance.uuid
    await this.cell.nodes.release(uuid)
    const alternates = args.num_attempts < this.maxAttempts ? [...args.host_list] : []
    while (alternates.length > 0) {
      const next = alternates.shift()!
      const node = await this.cell.nodes.find(next.service_host, next.nodename)
      if (!node) continue
      const claimed = await this.cell.nodes.claim(node.id, uuid, {
        vcpus: args.request_spec.flavor.vcpus,
        memory_mb: args.request_spec.flavor.memory_mb,
        disk_gb: args.request_spec.flavor.root_gb + args.request_spec.flavor.ephemeral_gb,
      })
      if (!claimed) continue
      const updates = { host: next.service_host, node: next.nodename, task_state: TaskState.SCHEDULING }
      await this.cell.instances.update(uuid, updates, [TaskState.SCHEDULING, null])
      const instance = { ...args.instance, ...updates }
      await this.compute.buildAndRunInstance(ctx, next.service_host, {
        instance,
        request_spec: args.request_spec,
        filter_properties: this.filterProperties(args.num_attempts + 1, next.service_host, next.nodename),
        node: next.nodename,
        host_list: alternates,
      })
      return
    }
    const message = `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${uuid}.`
    await this.cell.instances.addFault(uuid, {
      code: 500,
      message,
      details: args.reason,
      host: args.instance.host,
    })
    await this.cell.instances.update(uuid, { vm_state: VmState.ERROR, task_state: null })
  }

  /**
   * No host: the instance is created straight in ERROR with a fault saying why (Nova's cell0
   * burial), and its `create` action gets a failed `conductor_schedule_and_build_instances`
   * event whose details (admins, 2.84) carry the scheduler's per-filter account.
   */
  private async buryInstance(
    ctx: RequestContext,
    br: BuildRequestInstance,
    err: unknown,
    started: string,
  ): Promise<void> {
    if (!(await this.api.getBuildRequest(br.uuid))) return
    const message = err instanceof Error ? err.message : String(err)
    const traceback = err instanceof Error ? (err.stack ?? null) : null
    const { created } = await this.cell.instances.create(
      { ...br, vm_state: VmState.ERROR, task_state: null, host: null, node: null },
      { code: 500, message, details: traceback },
    )
    if (!created) return
    await this.recordCreate(ctx, br.uuid)
    await this.cell.actions.recordEvent(br.uuid, ctx.requestId, {
      event: 'conductor_schedule_and_build_instances',
      host: this.host,
      start_time: started,
      finish_time: dbNow(),
      result: 'Error',
      traceback,
      details: message,
    })
    await this.api.setInstanceCell(br.uuid, this.cellMapping.id)
    if (!(await this.api.deleteBuildRequest(br.uuid))) await this.cell.instances.destroy(br.uuid)
  }
}
