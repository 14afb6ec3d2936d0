import { randomUUID } from 'node:crypto'
import type { Cell, CellRouter } from '../cells/cell-router.js'
import type { ComputeTaskClient, ScheduleAndBuildArgs } from '../conductor/rpcapi.js'
import type { ApiStore } from '../db/api/api-store.js'
import type { ImageLookup } from '../image/image-lookup.js'
import type { Flavor } from '../objects/flavor.js'
import {
  type BuildRequestInstance,
  type Instance,
  instanceFromBuildRequest,
  type RequestSpec,
} from '../objects/instance.js'
import { InstanceActionName } from '../objects/instance-action.js'
import { TaskState, VmState } from '../objects/states.js'
import type { RequestContext } from '../shared/context.js'
import { InstanceNotFound, InstanceNotReady, Invalid, NotFound } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { dbNow } from '../shared/time.js'
import { isUuidLike } from '../validation/formats.js'
import { FlavorApi } from './flavors.js'
import type { HostApi } from './hosts.js'
import { InstanceActions } from './instance-actions.js'
import type { PlacementRequests } from './placement-request.js'
import { checkLock } from './server-actions/preconditions.js'
import { ServerActions } from './server-actions/server-actions.js'
import { ServerLister, type ServerListRequest } from './server-list.js'

export interface CreateServerRequest {
  readonly name: string
  readonly flavorRef: string
  readonly imageRef: string
  readonly minCount: number
  readonly maxCount: number
  readonly availabilityZone: string | null
  readonly keyName: string | null
  readonly userData: string | null
  readonly metadata: Record<string, string>
  readonly description: string | null
  readonly accessIPv4: string | null
  readonly accessIPv6: string | null
  readonly configDrive: string | null
  readonly schedulerHints: Record<string, unknown>
  /** 2.74+: `host` / `hypervisor_hostname`, a requested (still filtered) destination. */
  readonly requestedHost?: string | null
  readonly requestedNode?: string | null
}

/** A server as the API shows it: an instance in a cell, or a build request still being scheduled. */
export type ServerRecord = Instance

/**
 * The API side of compute (Nova's `compute/api.py`): validates, records what the user asked for,
 * and hands work to the conductor or to the instance's host.
 */
export class ComputeApi {
  /** Flavor management and lookups (`/flavors`). */
  readonly flavors: FlavorApi
  /** The servers' action records (`os-instance-actions`), in each server's cell. */
  readonly actions: InstanceActions
  /** What `POST /servers/{id}/action` and the console routes do to a located server. */
  readonly serverActions: ServerActions
  private readonly lister: ServerLister

  constructor(
    private readonly api: ApiStore,
    private readonly cells: CellRouter,
    private readonly computeTask: ComputeTaskClient,
    /** Services and hosts: whether a server's host is up, host_status. */
    private readonly hosts: HostApi,
    /** `host`: this API's, on the events it records (Nova's CONF.host). */
    private readonly options: { defaultAvailabilityZone: string; host?: string },
    private readonly log: Logger,
    /** The image service, to check `imageRef` (exists, visible, active, fits the flavor). */
    private readonly images?: ImageLookup,
    /** Zones, admin placement and server groups (hint `group`), resolved into the request spec. */
    private readonly placement?: PlacementRequests,
  ) {
    this.flavors = new FlavorApi(api)
    this.actions = new InstanceActions(cells)
    this.lister = new ServerLister(api, cells)
    this.serverActions = new ServerActions({
      isComputeUp: (host) => hosts.isComputeUp(host),
      host: options.host ?? 'nova-api',
      log,
    })
  }

  async create(
    ctx: RequestContext,
    req: CreateServerRequest,
  ): Promise<{ instances: BuildRequestInstance[]; reservationId: string }> {
    const placement = await this.placement?.resolve(ctx, req)
    const availabilityZone = placement ? placement.availabilityZone : req.availabilityZone
    // With the caller's project: a private flavor it has no access to does not exist for it.
    const flavor = await this.flavors.get(ctx, refId(req.flavorRef)).catch((err: unknown) => {
      // An unknown flavor is the request's fault (400); an unreachable database is not.
      throw err instanceof NotFound ? new Invalid(err.message) : err
    })
    if (flavor.disabled) throw new Invalid(`Flavor ${flavor.flavorid} is disabled.`)
    const imageRef = refId(req.imageRef)
    if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(imageRef)) {
      throw new Invalid(`Invalid image identifier or unable to access requested image.`)
    }
    if (this.images) checkImageFitsFlavor(imageRef, await this.images.find(ctx, imageRef), flavor)
    if (req.minCount > req.maxCount) throw new Invalid('min_count must be <= max_count')
    const projectId = ctx.projectId!
    const userId = ctx.userId!
    const reservationId = `r-${randomUUID().replaceAll('-', '').slice(0, 8)}`
    const now = dbNow()
    const count = req.maxCount
    const items: { instance: BuildRequestInstance; spec: RequestSpec }[] = []
    for (let i = 0; i < count; i++) {
      const uuid = randomUUID()
      const name = count > 1 ? `${req.name}-${i + 1}` : req.name
      const instance: BuildRequestInstance = {
        uuid,
        display_name: name,
        hostname: sanitizeHostname(name),
        project_id: projectId,
        user_id: userId,
        image_ref: imageRef,
        flavor,
        availability_zone: availabilityZone,
        reservation_id: reservationId,
        launch_index: i,
        key_name: req.keyName,
        user_data: req.userData,
        metadata: req.metadata,
        display_description: req.description,
        access_ip_v4: req.accessIPv4,
        access_ip_v6: req.accessIPv6,
        config_drive: req.configDrive,
        created_at: now,
      }
      const spec: RequestSpec = {
        instance_uuid: uuid,
        project_id: projectId,
        user_id: userId,
        flavor,
        image_ref: imageRef,
        num_instances: count,
        availability_zone: availabilityZone,
        scheduler_hints: req.schedulerHints,
        ignore_hosts: [],
        request_id: ctx.requestId,
        ...placement?.spec,
      }
      items.push({ instance, spec })
    }
    await this.api.createBuildRequests(items)
    await this.placement?.addMembers(
      placement,
      items.map((i) => i.instance.uuid),
    )
    await this.sendToConductor(ctx, {
      build_requests: items.map((i) => i.instance),
      request_specs: items.map((i) => i.spec),
    })
    return { instances: items.map((i) => i.instance), reservationId }
  }

  /**
   * Hand the new servers to a conductor. If that fails (the broker is away), nothing is accepted:
   * the servers are withdrawn, so none is left listed in BUILD forever, and the error answers
   * the request. Unless a conductor already took one: then the message did arrive, and the
   * create stands.
   */
  private async sendToConductor(ctx: RequestContext, args: ScheduleAndBuildArgs): Promise<void> {
    try {
      await this.computeTask.scheduleAndBuildInstances(ctx, args)
    } catch (err) {
      const uuids = args.build_requests.map((b) => b.uuid)
      const log = this.log.child({ request_id: ctx.requestId, instance_uuids: uuids })
      if (await this.api.withdrawBuildRequests(uuids)) {
        log.warn({ err: (err as Error).message }, 'could not reach the conductor; create withdrawn')
        throw err
      }
      log.info({ err: (err as Error).message }, 'a conductor took the create although sending it failed')
    }
  }

  /**
   * One server the caller may see; 404 otherwise (another project's server does not exist for
   * you). `withDeleted` finds deleted ones too (Nova's read_deleted=yes).
   */
  async get(ctx: RequestContext, uuid: string, withDeleted = false): Promise<ServerRecord> {
    return (await this.locate(ctx, uuid, withDeleted)).instance
  }

  /** A server and the cell it lives in (none while it waits as a build request). */
  async locate(
    ctx: RequestContext,
    uuid: string,
    withDeleted = false,
  ): Promise<{ instance: Instance; cell: Cell | undefined }> {
    // As Nova's compute API: what is not a uuid names no server (and never reaches a database).
    if (!isUuidLike(uuid)) throw new InstanceNotFound(uuid)
    const cell = await this.cells.forInstance(uuid)
    const instance = cell
      ? await cell.store.instances.find(uuid, withDeleted)
      : await this.api.getBuildRequest(uuid).then((br) => (br ? instanceFromBuildRequest(br) : undefined))
    if (!instance || (!ctx.isAdmin && instance.project_id !== ctx.projectId)) throw new InstanceNotFound(uuid)
    // Deleted while a conductor was placing it: its cell row lives a moment longer, but the
    // delete was accepted, so the server is gone (Nova checks queued_for_delete the same way).
    if (!withDeleted && cell && instance.vm_state === VmState.BUILDING) {
      if ((await this.api.getInstanceMapping(uuid))?.queued_for_delete) throw new InstanceNotFound(uuid)
    }
    return { instance, cell }
  }

  /** A server that is in a cell (not still being scheduled), with that cell. */
  private async inCell(ctx: RequestContext, uuid: string): Promise<{ instance: Instance; cell: Cell }> {
    const { instance, cell } = await this.locate(ctx, uuid)
    if (!cell) throw new InstanceNotReady(uuid)
    return { instance, cell }
  }

  /** Servers across every cell, filtered, sorted and paged (see ServerLister). */
  list(request: ServerListRequest): Promise<ServerRecord[]> {
    return this.lister.list(request)
  }

  async delete(ctx: RequestContext, uuid: string): Promise<void> {
    if (!isUuidLike(uuid)) throw new InstanceNotFound(uuid)
    // Still waiting for a host: deleting the build request is the whole delete.
    const br = await this.api.getBuildRequest(uuid)
    if (br) {
      if (!ctx.isAdmin && br.project_id !== ctx.projectId) throw new InstanceNotFound(uuid)
      if (await this.api.cancelBuildRequest(uuid)) {
        // The scheduler may have claimed a host for it already, in whichever cell.
        for (const cell of await this.cells.withHosts()) await cell.store.nodes.release(uuid)
        return
      }
    }
    const { instance, cell } = await this.inCell(ctx, uuid)
    checkLock(ctx, instance)
    if (instance.task_state === TaskState.DELETING) return
    await cell.store.actions.start({
      action: InstanceActionName.DELETE,
      instance_uuid: uuid,
      request_id: ctx.requestId,
      user_id: ctx.userId,
      project_id: ctx.projectId,
    })
    if (!instance.host || !(await this.hosts.isComputeUp(instance.host))) {
      await this.localDelete(cell, instance)
      return
    }
    await cell.store.instances.update(uuid, { task_state: TaskState.DELETING })
    const deleting = { ...instance, task_state: TaskState.DELETING }
    await cell.compute.terminateInstance(ctx, deleting)
  }

  /** Delete without the host (no host, or its compute service is down), as Nova's `_local_delete`. */
  private async localDelete(cell: Cell, instance: Instance): Promise<void> {
    this.log.info({ instance_uuid: instance.uuid, host: instance.host }, 'deleting instance locally')
    await cell.store.nodes.release(instance.uuid)
    await cell.store.instances.destroy(instance.uuid)
    await this.api.queueForDelete(instance.uuid)
  }

  /** The server groups a server is in (2.71+ `server_groups`). */
  async serverGroups(uuid: string): Promise<string[]> {
    return this.placement ? this.placement.groupsOf(uuid) : []
  }

  /** Each host's availability zone (its zone aggregate's, else the default zone). */
  async hostZones(hosts: readonly string[]): Promise<Map<string, string>> {
    if (this.placement) return this.placement.hostZones(hosts)
    return new Map(hosts.map((h) => [h, this.options.defaultAvailabilityZone]))
  }

  hostStatus(hosts: readonly string[]): Promise<Map<string, string>> {
    return this.hosts.hostStatus(hosts)
  }
}

/** Nova's `_check_requested_image`: the image exists for the caller, is active, and fits the flavor. */
function checkImageFitsFlavor(
  id: string,
  image: { status: string; min_ram: number; min_disk: number; size: number | null } | undefined,
  flavor: Flavor,
): void {
  if (!image) throw new Invalid(`Image ${id} could not be found.`)
  if (image.status !== 'active') throw new Invalid(`Image ${id} is not active.`)
  if (image.min_ram > flavor.memory_mb) throw new Invalid("Flavor's memory is too small for requested image.")
  const GiB = 1024 ** 3
  const dest = flavor.root_gb * GiB
  // root_gb 0 means "do not check" (legacy), as in Nova.
  if (dest !== 0) {
    if ((image.size ?? 0) > dest) {
      throw new Invalid(
        `Flavor's disk is too small for requested image. Flavor disk is ${dest} bytes, image is ${image.size} bytes.`,
      )
    }
    if (image.min_disk * GiB > dest) {
      throw new Invalid(
        `Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is ${dest} bytes, minimum size is ${image.min_disk * GiB} bytes.`,
      )
    }
  }
}

/** `flavorRef`/`imageRef` may be an id or a link ending in one. */
function refId(ref: string): string {
  const trimmed = ref.trim()
  return trimmed.includes('/') ? (trimmed.split('/').filter(Boolean).pop() ?? trimmed) : trimmed
}

/** Nova's `sanitize_hostname`: a DNS-safe label from the display name. */
function sanitizeHostname(name: string): string {
  const h = name
    .toLowerCase()
    .replace(/[ _.]/g, '-')
    .replace(/[^\w-]+/g, '')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 63)
  return h || 'server'
}
