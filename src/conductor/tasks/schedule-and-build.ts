import type { Cell } from '../../cells/cell-router.js'
import type { BuildRequestInstance, Instance, RequestSpec, Selection } from '../../objects/instance.js'
import { TaskState, VmState } from '../../objects/states.js'
import { isMessagingFailure } from '../../rpc/retry.js'
import type { RequestContext } from '../../shared/context.js'
import { dbNow } from '../../shared/time.js'
import type { ScheduleAndBuildArgs } from '../rpcapi.js'
import { filterProperties, recordCreate, type TaskContext } from './task-context.js'

/**
 * Nova's `schedule_and_build_instances`: ask the scheduler, write each instance into the cell of
 * its chosen host, hand it to that host; or bury it in cell0, in ERROR, when no host fits.
 */
export class ScheduleAndBuild {
  constructor(private readonly tasks: TaskContext) {}

  async run(ctx: RequestContext, args: ScheduleAndBuildArgs): Promise<void> {
    const { api, cells } = this.tasks
    const log = this.tasks.log.child({ request_id: ctx.requestId })
    const started = dbNow()
    // A redelivered message (its first consumer died) finds some instances already made: those
    // are finished, or only need their build cast again.
    const waiting = await api.buildRequestsExisting(args.build_requests.map((b) => b.uuid))
    const pending: { br: BuildRequestInstance; spec: RequestSpec }[] = []
    for (const [i, br] of args.build_requests.entries()) {
      const spec = args.request_specs[i] ?? args.request_specs[0]!
      if (waiting.has(br.uuid)) {
        pending.push({ br, spec })
        continue
      }
      // No build request: deleted by the user, or already taken by an earlier delivery.
      const cell = await cells.forInstance(br.uuid)
      const existing = await cell?.store.instances.find(br.uuid, true)
      if (cell && existing) await this.resume(ctx, cell, existing, spec)
    }
    if (pending.length === 0) return
    let selections: Selection[][]
    try {
      selections = await this.tasks.scheduler.selectDestinations(
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
      for (const { br } of pending) await this.bury(ctx, br, err, started)
      return
    }
    await Promise.all(pending.map(({ br, spec }, i) => this.createAndBuild(ctx, br, spec, selections[i]!)))
  }

  /** Cast the build again for an instance still waiting on its host; the host ignores duplicates. */
  async resume(ctx: RequestContext, cell: Cell, instance: Instance, spec: RequestSpec): Promise<void> {
    if (
      instance.deleted ||
      instance.vm_state !== VmState.BUILDING ||
      instance.task_state !== TaskState.SCHEDULING
    )
      return
    if (!instance.host || !instance.node) return
    await cell.compute.buildAndRunInstance(ctx, instance.host, {
      instance,
      request_spec: spec,
      filter_properties: filterProperties(this.tasks, 1, instance.host, instance.node),
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
    const { api } = this.tasks
    const [chosen, ...alternates] = hostList
    if (!chosen) return
    const cell = await this.tasks.cells.byUuid(chosen.cell_uuid)
    const { instance, created } = await cell.store.instances.create({
      ...br,
      vm_state: VmState.BUILDING,
      task_state: TaskState.SCHEDULING,
      host: chosen.service_host,
      node: chosen.nodename,
    })
    await api.setInstanceCell(br.uuid, cell.mapping.id)
    const tookBuildRequest = await api.deleteBuildRequest(br.uuid)
    if (!created) {
      // Made by an earlier or parallel delivery of this request: make sure its build was cast
      // (the host ignores a duplicate).
      await this.resume(ctx, cell, instance, spec)
      return
    }
    if (!tookBuildRequest && (await this.deletedWhileScheduling(br.uuid))) {
      // The user deleted the server while it was being scheduled: undo, as Nova's conductor does.
      await cell.store.nodes.release(br.uuid)
      await cell.store.instances.destroy(br.uuid)
      return
    }
    // Otherwise a twin delivery of this request (redelivered, or re-driven) took the build
    // request after this one made the instance: this one still owns the build.
    await recordCreate(cell, ctx, br.uuid)
    await cell.compute.buildAndRunInstance(ctx, chosen.service_host, {
      instance,
      request_spec: spec,
      filter_properties: filterProperties(this.tasks, 1, chosen.service_host, chosen.nodename),
      node: chosen.nodename,
      host_list: alternates,
    })
  }

  /**
   * Whether the build request went because the user deleted the server (the API queues its
   * mapping for delete in the same transaction), or the create was withdrawn (no mapping left).
   */
  private async deletedWhileScheduling(instanceUuid: string): Promise<boolean> {
    const mapping = await this.tasks.api.getInstanceMapping(instanceUuid)
    return mapping?.queued_for_delete ?? true
  }

  /**
   * No host: the instance is created in cell0, straight in ERROR with a fault saying why (Nova's
   * burial), and its `create` action gets a failed `conductor_schedule_and_build_instances`
   * event whose details (admins, 2.84) carry the scheduler's per-filter account.
   */
  async bury(ctx: RequestContext, br: BuildRequestInstance, err: unknown, started: string): Promise<void> {
    const { api } = this.tasks
    if (!(await api.getBuildRequest(br.uuid))) return
    const message = err instanceof Error ? err.message : String(err)
    const traceback = err instanceof Error ? (err.stack ?? null) : null
    const cell0 = await this.tasks.cells.cell0()
    const { created } = await cell0.store.instances.create(
      { ...br, vm_state: VmState.ERROR, task_state: null, host: null, node: null },
      { code: 500, message, details: traceback },
    )
    if (!created) return
    await recordCreate(cell0, ctx, br.uuid)
    await cell0.store.actions.recordEvent(br.uuid, ctx.requestId, {
      event: 'conductor_schedule_and_build_instances',
      host: this.tasks.host,
      start_time: started,
      finish_time: dbNow(),
      result: 'Error',
      traceback,
      details: message,
    })
    await api.setInstanceCell(br.uuid, cell0.mapping.id)
    if (!(await api.deleteBuildRequest(br.uuid))) await cell0.store.instances.destroy(br.uuid)
  }
}
