import { randomUUID } from 'node:crypto'
import type { ComputeClient } from '../compute/rpcapi.js'
import type { ComputeTaskClient, ScheduleAndBuildArgs } from '../conductor/rpcapi.js'
import type { ApiStore } from '../db/api/api-store.js'
import type { CellStore } from '../db/cell/cell-store.js'
import type { InstanceActionStore } from '../db/cell/instance-action-store.js'
import type { ImageLookup } from '../image/image-lookup.js'
import type { Flavor } from '../objects/flavor.js'
import type { BuildRequestInstance, Instance, RequestSpec } from '../objects/instance.js'
import { InstanceActionName } from '../objects/instance-action.js'
import { TaskState, VmState } from '../objects/states.js'
import { isServiceUp } from '../servicegroup/servicegroup.js'
import type { RequestContext } from '../shared/context.js'
import { InstanceNotFound, InstanceNotReady, Invalid, NotFound } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { dbNow } from '../shared/time.js'
import { FlavorApi } from './flavors.js'
import type { PlacementRequests } from './placement-request.js'

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

  constructor(
    private readonly api: ApiStore,
    private readonly cell: CellStore,
    private readonly computeTask: ComputeTaskClient,
    private readonly compute: ComputeClient,
    private readonly options: { serviceDownTimeS: number; defaultAvailabilityZone: string },
    private readonly log: Logger,
    /** The image service, to check `imageRef` (exists, visible, active, fits the flavor). */
    private readonly images?: ImageLookup,
    /** Zones, admin placement and server groups (hint `group`), resolved into the request spec. */
    private readonly placement?: PlacementRequests,
  ) {
    this.flavors = new FlavorApi(api)
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
    const instance = (await this.cell.findInstance(uuid, withDeleted)) ?? (await this.fromBuildRequest(uuid))
    if (!instance || (!ctx.isAdmin && instance.project_id !== ctx.projectId)) throw new InstanceNotFound(uuid)
    // Deleted while a conductor was placing it: its cell row lives a moment longer, but the
    // delete was accepted, so the server is gone (Nova checks queued_for_delete the same way).
    if (!withDeleted && instance.vm_state === VmState.BUILDING && instance.id !== 0) {
      const mapping = await this.api.getInstanceMapping(uuid)
      if (mapping?.queued_for_delete) throw new InstanceNotFound(uuid)
    }
    return instance
  }

  private async fromBuildRequest(uuid: string): Promise<ServerRecord | undefined> {
    const br = await this.api.getBuildRequest(uuid)
    return br ? instanceFromBuildRequest(br) : undefined
  }

  /** The servers' action records (`os-instance-actions`). */
  get actions(): InstanceActionStore {
    return this.cell.actions
  }

  async list(
    ctx: RequestContext,
    options: { allTenants: boolean; projectId?: string },
  ): Promise<ServerRecord[]> {
    const projectId = ctx.isAdmin
      ? options.allTenants
        ? (options.projectId ?? null)
        : (options.projectId ?? ctx.projectId)
      : ctx.projectId
    const [instances, builds] = await Promise.all([
      this.cell.listInstances({ projectId }),
      this.api.listBuildRequests(projectId),
    ])
    const seen = new Set(instances.map((i) => i.uuid))
    const pending = builds.filter((b) => !seen.has(b.uuid)).map(instanceFromBuildRequest)
    return [...pending, ...instances].sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? ''))
  }

  async delete(ctx: RequestContext, uuid: string): Promise<void> {
    // Still waiting for a host: deleting the build request is the whole delete.
    const br = await this.api.getBuildRequest(uuid)
    if (br) {
      if (!ctx.isAdmin && br.project_id !== ctx.projectId) throw new InstanceNotFound(uuid)
      if (await this.api.cancelBuildRequest(uuid)) {
        await this.cell.release(uuid)
        return
      }
    }
    const instance = await this.get(ctx, uuid)
    if (instance.task_state === TaskState.DELETING) return
    await this.cell.actions.start({
      action: InstanceActionName.DELETE,
      instance_uuid: uuid,
      request_id: ctx.requestId,
      user_id: ctx.userId,
      project_id: ctx.projectId,
    })
    if (!instance.host || !(await this.hostIsUp(instance.host))) {
      await this.localDelete(instance)
      return
    }
    await this.cell.updateInstance(uuid, { task_state: TaskState.DELETING })
    const deleting = { ...instance, task_state: TaskState.DELETING }
    await this.compute.terminateInstance(ctx, deleting)
  }

  /** Delete without the host (no host, or its compute service is down), as Nova's `_local_delete`. */
  private async localDelete(instance: Instance): Promise<void> {
    this.log.info({ instance_uuid: instance.uuid, host: instance.host }, 'deleting instance locally')
    await this.cell.release(instance.uuid)
    await this.cell.destroyInstance(instance.uuid)
    await this.api.queueForDelete(instance.uuid)
  }

  private async hostIsUp(host: string): Promise<boolean> {
    const service = await this.cell.findService(host, 'nova-compute')
    return service !== undefined && isServiceUp(service, this.options.serviceDownTimeS)
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

  async hostStatus(hosts: readonly string[]): Promise<Map<string, string>> {
    const services = await this.cell.listServices({ binary: 'nova-compute' })
    const out = new Map<string, string>()
    for (const s of services) {
      if (!hosts.includes(s.host)) continue
      out.set(
        s.host,
        s.forced_down || !isServiceUp(s, this.options.serviceDownTimeS)
          ? 'DOWN'
          : s.disabled
            ? 'MAINTENANCE'
            : 'UP',
      )
    }
    return out
  }

  /**
   * Nova's `get_console_output`: the instance must have a host (`check_instance_host`), whose
   * compute service reads the guest's console (an RPC call to `compute.<host>`).
   */
  async getConsoleOutput(
    ctx: RequestContext,
    instance: Instance,
    length: number | string | null,
  ): Promise<string> {
    if (!instance.host) throw new InstanceNotReady(instance.uuid)
    return this.compute.getConsoleOutput(ctx, instance, length)
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

function instanceFromBuildRequest(br: BuildRequestInstance): Instance {
  return {
    id: 0,
    uuid: br.uuid,
    user_id: br.user_id,
    project_id: br.project_id,
    display_name: br.display_name,
    display_description: br.display_description,
    hostname: br.hostname,
    vm_state: VmState.BUILDING,
    task_state: TaskState.SCHEDULING,
    power_state: 0,
    host: null,
    node: null,
    image_ref: br.image_ref,
    flavor: br.flavor,
    availability_zone: br.availability_zone,
    reservation_id: br.reservation_id,
    launch_index: br.launch_index,
    key_name: br.key_name,
    user_data: br.user_data,
    metadata: br.metadata,
    config_drive: br.config_drive,
    access_ip_v4: br.access_ip_v4,
    access_ip_v6: br.access_ip_v6,
    progress: 0,
    locked: false,
    locked_by: null,
    root_device_name: null,
    launched_at: null,
    terminated_at: null,
    created_at: br.created_at,
    updated_at: br.created_at,
    deleted: false,
    fault: null,
  }
}
