import type { CellRouter } from '../cells/cell-router.js'
import type { ServerGroupStore } from '../db/api/server-group-store.js'
import { CELL0_UUID, type CellMapping } from '../objects/cell-mapping.js'
import type { RequestSpec, RequestSpecGroup } from '../objects/instance.js'
import type { ServerGroup } from '../objects/server-group.js'
import type { RequestContext } from '../shared/context.js'
import { ComputeHostNotFound, Invalid } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { AggregateApi } from './aggregates.js'
import { authorizeAdmin } from './policy.js'
import { findInCells, gather } from './scatter.js'

/** Nova's policy rules for placing a server on a host of the caller's choosing (admin by default). */
export const FORCED_HOST_POLICY = 'os_compute_api:servers:create:forced_host'
export const REQUESTED_DESTINATION_POLICY = 'compute:servers:create:requested_destination'

/** Where the user asked a new server to go: zone, forced host/node, requested host/node, group. */
export interface PlacementAsk {
  /** `availability_zone` as given: `az`, `az:host`, `az:host:node` or `az::node`. */
  readonly availabilityZone: string | null
  /** 2.74+: `host` / `hypervisor_hostname` of the create body. */
  readonly requestedHost?: string | null
  readonly requestedNode?: string | null
  readonly schedulerHints: Readonly<Record<string, unknown>>
}

/** What the ask turns into for the build request and the request spec. */
export interface Placement {
  /** The zone to record and filter on (the zone part of `az:host`, checked against the host). */
  readonly availabilityZone: string | null
  readonly group: ServerGroup | undefined
  readonly spec: Pick<RequestSpec, 'force_hosts' | 'force_nodes' | 'requested_destination' | 'instance_group'>
}

/** Where the `target_cell` hint is looked up: the API database's cell mappings (ApiStore). */
export interface CellDirectory {
  listCells(): Promise<readonly CellMapping[]>
}

type RequestedCell = NonNullable<NonNullable<RequestSpec['requested_destination']>['cell']>

/**
 * The create-time half of scheduling that Nova does in the API: parse and authorise admin
 * placement (`az:host[:node]`, 2.74's `host` / `hypervisor_hostname`), check the zone exists,
 * validate the hints Nova's schema knows, resolve the `group` hint into the group (policy, rules,
 * members and their hosts) that the scheduler's filters and weighers read from the request spec,
 * and the `target_cell` hint into the spec's requested cell.
 */
export class PlacementRequests {
  constructor(
    private readonly groups: ServerGroupStore,
    readonly aggregates: AggregateApi,
    private readonly cells: CellRouter,
    /** Where `target_cell` is resolved. */
    private readonly cellMappings: CellDirectory,
    private readonly options: { readonly defaultScheduleZone: string | null },
    private readonly log: Logger,
  ) {}

  async resolve(ctx: RequestContext, ask: PlacementAsk): Promise<Placement> {
    let { zone, host, node } = parseAvailabilityZone(ask.availabilityZone, this.options.defaultScheduleZone)
    if (host || node) {
      authorizeAdmin(ctx, FORCED_HOST_POLICY)
      if (host) zone = await this.hostZone(zone, host)
    }
    const requestedHost = ask.requestedHost || null
    const requestedNode = ask.requestedNode || null
    if (requestedHost || requestedNode) {
      authorizeAdmin(ctx, REQUESTED_DESTINATION_POLICY)
      if (host || node) {
        throw new Invalid(
          'One mechanism with host and/or hypervisor_hostname and another mechanism with zone:host:node are mutually exclusive.',
        )
      }
    }
    if (zone && !host) {
      const zones = await this.aggregates.availableZones()
      if (!zones.includes(zone)) throw new Invalid('The requested availability zone is not available')
    }
    if (requestedHost || requestedNode) await this.checkHostOrNode(requestedHost, requestedNode)
    const group = await this.requestedGroup(ask.schedulerHints)
    const cell = await this.targetCell(ask.schedulerHints)
    return {
      availabilityZone: zone,
      group,
      spec: {
        ...(host ? { force_hosts: [host] } : {}),
        ...(node ? { force_nodes: [node] } : {}),
        ...(requestedHost || requestedNode || cell
          ? { requested_destination: { host: requestedHost, node: requestedNode, ...(cell ? { cell } : {}) } }
          : {}),
        ...(group ? { instance_group: await this.specGroup(group) } : {}),
      },
    }
  }

  /**
   * The `target_cell` hint's cell mapping, by uuid or name: one that exists, is enabled and is
   * not cell0 (which holds only servers that never got a host); 400 otherwise.
   */
  private async targetCell(hints: Readonly<Record<string, unknown>>): Promise<RequestedCell | undefined> {
    if (!Object.hasOwn(hints, 'target_cell')) return undefined
    const value = hints.target_cell as string // HINTS_SCHEMA has checked it is a name
    const isCell0 = (uuid: string) => uuidKey(uuid) === uuidKey(CELL0_UUID)
    if (isCell0(value)) throw new Invalid(CELL0_NOT_A_TARGET)
    const cell = findCell(await this.cellMappings.listCells(), value)
    if (isCell0(cell.uuid)) throw new Invalid(CELL0_NOT_A_TARGET)
    if (cell.disabled) {
      throw new Invalid(`Cell ${cell.name ?? cell.uuid} is disabled: no server can be scheduled to it.`)
    }
    return { uuid: cell.uuid, name: cell.name }
  }

  /** The new servers join their group as they are recorded (Nova adds them in the API too). */
  async addMembers(placement: Placement | undefined, instanceUuids: readonly string[]): Promise<void> {
    if (placement?.group) await this.groups.addMembers(placement.group.id, instanceUuids)
  }

  /** The groups a server is in (2.71's `server_groups`: at most one). */
  async groupsOf(instanceUuid: string): Promise<string[]> {
    const g = await this.groups.groupOf(instanceUuid)
    return g ? [g.uuid] : []
  }

  /** Each host's availability zone, for `OS-EXT-AZ:availability_zone`. */
  hostZones(hosts: readonly string[]): Promise<Map<string, string>> {
    return this.aggregates.hostZones(hosts)
  }

  /**
   * Nova's `_validate_host_availability_zone`: the zone asked with a forced host is kept only
   * if the host is in it; otherwise no zone is recorded (bug 1934770).
   */
  private async hostZone(zone: string | null, host: string): Promise<string | null> {
    const actual = (await this.aggregates.hostZones([host])).get(host)
    if (zone === actual) return zone
    if (zone !== null)
      this.log.warn(
        { availability_zone: zone, host },
        'Requested availability zone does not match the forced host; ignoring it (bug #1934770)',
      )
    return null
  }

  /** Nova's `_validate_host_or_node`: the requested host and/or node must be a compute node. */
  private async checkHostOrNode(host: string | null, node: string | null): Promise<void> {
    const found = await findInCells(await this.cells.withHosts(), async (c) =>
      (await c.store.nodes.exists({ host, node })) ? true : undefined,
    )
    if (!found) {
      throw new Invalid(new ComputeHostNotFound(host ?? node ?? '').message)
    }
  }

  /** The `group` hint's group: a uuid, of a group that exists (400 otherwise, as Nova). */
  private async requestedGroup(hints: Readonly<Record<string, unknown>>): Promise<ServerGroup | undefined> {
    if (!Object.hasOwn(hints, 'group')) return undefined
    const raw = hints.group
    const value = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw
    if (value === '' || value === null || value === undefined) return undefined
    if (typeof value !== 'string' || !UUID.test(value)) {
      throw new Invalid(
        `Invalid input for field/attribute group. Value: ${typeof value === 'string' ? value : JSON.stringify(value)}. ${typeof value === 'string' ? `'${value}'` : JSON.stringify(value)} is not valid under any of the given schemas`,
      )
    }
    const group = await this.groups.find(value.toLowerCase())
    if (!group) throw new Invalid(`Instance group ${value} could not be found.`)
    return group
  }

  /** The group as the request spec carries it: members still alive, and the hosts they run on. */
  private async specGroup(group: ServerGroup): Promise<RequestSpecGroup> {
    const alive = await this.groups.notDeleted(group.members)
    const members = group.members.filter((m) => alive.has(m))
    const hosts = new Set(
      await gather(await this.cells.withHosts(), (c) => c.store.instances.hostsOf(members)),
    )
    return {
      uuid: group.uuid,
      policy: group.policy,
      rules: { ...group.rules },
      members,
      hosts: [...hosts],
    }
  }
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i

const CELL0_NOT_A_TARGET = 'target_cell cannot be cell0: it only holds servers that could not be scheduled.'

/** A uuid compared as Nova compares them: case and dashes do not matter. */
function uuidKey(value: string): string {
  return value.toLowerCase().replaceAll('-', '')
}

/** The cell `target_cell` names: by uuid, else by name (which must then be unique); 400 if none. */
function findCell(cells: readonly CellMapping[], value: string): CellMapping {
  const byUuid = cells.find((c) => uuidKey(c.uuid) === uuidKey(value))
  if (byUuid) return byUuid
  const byName = cells.filter((c) => c.name === value)
  if (byName.length > 1) {
    throw new Invalid(
      `target_cell ${value} is ambiguous: ${byName.length} cells have this name; give its uuid.`,
    )
  }
  if (byName.length === 0) throw new Invalid(`target_cell ${value} is not the uuid or name of any cell.`)
  return byName[0]!
}

/**
 * Nova's `parse_availability_zone`: `az`, `az:host`, `az:host:node` or `az::node`; an empty zone
 * is `default_schedule_zone`.
 */
export function parseAvailabilityZone(
  text: string | null,
  defaultScheduleZone: string | null,
): { zone: string | null; host: string | null; node: string | null } {
  let zone: string | null = text
  let host: string | null = null
  let node: string | null = null
  if (text?.includes(':')) {
    const parts = text.split(':')
    if (parts.length === 2) [zone, host] = parts as [string, string]
    else if (parts.length === 3) {
      if (text.includes('::')) {
        const [z, n] = text.split('::') as [string, string]
        zone = z
        node = n
      } else [zone, host, node] = parts as [string, string, string]
    } else throw new Invalid('Invalid input received: Unable to parse availability_zone')
  }
  if (!zone) zone = defaultScheduleZone
  return { zone, host: host || null, node: node || null }
}
