import type { CellRouter } from '../cells/cell-router.js'
import type { AggregateStore } from '../db/api/aggregate-store.js'
import type { Aggregate } from '../objects/aggregate.js'
import type { ServiceRecord } from '../objects/service.js'
import { AggregateNameExists, ComputeHostNotFound, Conflict, Invalid, NotFound } from '../shared/errors.js'
import { pyRepr } from '../shared/python.js'
import { INTERNAL_SERVICE_AVAILABILITY_ZONE } from './hosts.js'
import { gather } from './scatter.js'

/** Nova's InvalidAggregateAction*: which action refused, for the message's first words. */
type AggregateAction = 'Add' | 'Delete' | 'Update' | 'UpdateMeta'

const ACTION_WORDS: Record<AggregateAction, string> = {
  Add: 'Cannot add host to aggregate',
  Delete: 'Cannot remove host from aggregate',
  Update: 'Cannot update aggregate',
  UpdateMeta: 'Cannot update metadata of aggregate',
}

/** Nova's InvalidAggregateAction: a 400 unless the route says otherwise. */
export class InvalidAggregateAction extends Invalid {
  constructor(
    readonly action: AggregateAction,
    id: number,
    reason: string,
  ) {
    super(`${ACTION_WORDS[action]} ${id}. Reason: ${reason}.`)
  }
}

export class AggregateHostExists extends Conflict {
  constructor(id: number, host: string) {
    super(`Aggregate ${id} already has host ${host}.`)
  }
}

export class AggregateHostNotFound extends NotFound {
  constructor(id: number, host: string) {
    super(`Aggregate ${id} has no host ${host}.`)
  }
}

const AZ_KEY = 'availability_zone'

/**
 * The API side of host aggregates (Nova's `AggregateAPI`) and of availability zones, which are
 * aggregates' `availability_zone` metadata: a host is in the zone of its zone aggregate, else in
 * `default_availability_zone`; non-compute services are in `internal`.
 */
export class AggregateApi {
  constructor(
    readonly store: AggregateStore,
    private readonly cells: CellRouter,
    readonly options: { readonly defaultAvailabilityZone: string },
  ) {}

  list(): Promise<Aggregate[]> {
    return this.store.list()
  }

  get(id: number): Promise<Aggregate> {
    return this.store.get(id)
  }

  /** Create, with the zone as `availability_zone` metadata. A taken name is a 409. */
  async create(name: string, availabilityZone: string | null): Promise<Aggregate> {
    try {
      return await this.store.create(name, availabilityZone ? { [AZ_KEY]: availabilityZone } : {})
    } catch (err) {
      if (err instanceof AggregateNameExists) throw new Conflict(err.message)
      throw err
    }
  }

  /** Rename and/or move to another zone (Nova's `update_aggregate`). */
  async update(id: number, values: { name?: string; availability_zone?: string | null }): Promise<Aggregate> {
    const aggregate = await this.store.get(id)
    const metadata: Record<string, string | null> = {}
    if ('availability_zone' in values) metadata[AZ_KEY] = values.availability_zone ?? null
    await this.checkZoneChange(aggregate, metadata, 'Update')
    if (values.name !== undefined) {
      try {
        await this.store.rename(id, values.name)
      } catch (err) {
        if (err instanceof AggregateNameExists) throw new Conflict(err.message)
        throw err
      }
    }
    if (Object.keys(metadata).length > 0) await this.store.updateMetadata(id, metadata)
    return this.store.get(id)
  }

  /** Merge metadata: a null value removes its key (Nova's `update_aggregate_metadata`). */
  async setMetadata(id: number, metadata: Readonly<Record<string, string | null>>): Promise<Aggregate> {
    const aggregate = await this.store.get(id)
    await this.checkZoneChange(aggregate, metadata, 'UpdateMeta')
    await this.store.updateMetadata(id, metadata)
    return this.store.get(id)
  }

  /** Delete an aggregate with no hosts left (400 otherwise, as Nova). */
  async delete(id: number): Promise<void> {
    const aggregate = await this.store.get(id)
    if (aggregate.hosts.length > 0)
      throw new InvalidAggregateAction('Delete', id, 'Host aggregate is not empty')
    if (!(await this.store.delete(id))) throw new NotFound(`Aggregate ${id} could not be found.`)
  }

  /** Add a compute host; it may not end up in two zones, nor move its servers to another zone. */
  async addHost(id: number, host: string): Promise<Aggregate> {
    await this.computeService(host)
    const aggregate = await this.store.get(id)
    const all = await this.store.list()
    await this.checkZoneChange(aggregate, aggregate.metadata, 'Add', [host], all)
    const newZone = aggregate.metadata[AZ_KEY]
    if (newZone) {
      const oldZone = zoneOf(all, host)
      if (oldZone !== newZone) await this.noInstancesMove(host, aggregate, 'Add', oldZone, newZone)
    }
    if (!(await this.store.addHost(id, host))) throw new AggregateHostExists(id, host)
    return this.store.get(id)
  }

  /** Remove a host; refused if its servers would change zone. */
  async removeHost(id: number, host: string): Promise<Aggregate> {
    await this.computeService(host)
    const aggregate = await this.store.get(id)
    const currentZone = aggregate.metadata[AZ_KEY]
    if (currentZone && aggregate.hosts.includes(host)) {
      const others = (await this.store.list()).filter((a) => a.id !== id)
      const newZone = zoneOf(others, host)
      if (newZone !== currentZone) await this.noInstancesMove(host, aggregate, 'Delete', currentZone, newZone)
    }
    if (!(await this.store.removeHost(id, host))) throw new AggregateHostNotFound(id, host)
    return this.store.get(id)
  }

  // --- availability zones

  /** The zone of each host (Nova's `get_host_availability_zone`): its zone aggregate's, else the default. */
  async hostZones(hosts: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    if (hosts.length === 0) return out
    const all = await this.store.list()
    for (const h of hosts) out.set(h, zoneOf(all, h) ?? this.options.defaultAvailabilityZone)
    return out
  }

  /**
   * Each service's zone, as Nova's `set_availability_zones`: a compute in its aggregates' zones
   * (comma-joined), or the default one; any other service in `internal`.
   */
  async serviceZones(services: readonly ServiceRecord[]): Promise<Map<ServiceRecord, string>> {
    const all = await this.store.list()
    const out = new Map<ServiceRecord, string>()
    for (const s of services) {
      if (s.binary !== 'nova-compute') {
        out.set(s, INTERNAL_SERVICE_AVAILABILITY_ZONE)
        continue
      }
      const zones = zonesOf(all, s.host)
      out.set(s, zones.length > 0 ? zones.join(',') : this.options.defaultAvailabilityZone)
    }
    return out
  }

  /** Zones with an enabled service (`get_availability_zones(get_only_available=True)`), sorted. */
  async availableZones(): Promise<string[]> {
    const services = (await gather(await this.cells.withHosts(), (c) => c.store.services.list())).filter(
      (s) => !s.disabled,
    )
    const zones = await this.serviceZones(services)
    return [...new Set(zones.values())].sort()
  }

  // --- checks

  /** Live instances on these hosts, in whichever cells they are. */
  private async instancesOn(hosts: readonly string[]): Promise<number> {
    const counts = await gather(await this.cells.withHosts(), async (c) => [
      await c.store.instances.countByHosts(hosts),
    ])
    return counts.reduce((a, b) => a + b, 0)
  }

  /** `_get_service_in_cell_by_host`: the host must run nova-compute. */
  private async computeService(host: string): Promise<ServiceRecord> {
    const service = await (await this.cells.forHost(host))?.store.services.find(host, 'nova-compute')
    // A case-insensitive database (MariaDB) may find `Host1` for `host1`: not the same host.
    if (!service || service.host !== host) throw new ComputeHostNotFound(host)
    return service
  }

  /** Nova's `is_safe_to_update_az`. */
  private async checkZoneChange(
    aggregate: Aggregate,
    metadata: Readonly<Record<string, string | null>>,
    action: AggregateAction,
    hosts?: readonly string[],
    all?: readonly Aggregate[],
  ): Promise<void> {
    if (!Object.hasOwn(metadata, AZ_KEY)) return
    const zone = metadata[AZ_KEY]
    if (!zone) {
      throw new InvalidAggregateAction(
        action,
        aggregate.id,
        `Aggregate ${aggregate.name} does not support empty named availability zone`,
      )
    }
    const checked = hosts && hosts.length > 0 ? hosts : aggregate.hosts
    const aggregates = all ?? (await this.store.list())
    const conflicting = aggregates
      .filter(
        (a) =>
          a.id !== aggregate.id &&
          Object.hasOwn(a.metadata, AZ_KEY) &&
          a.metadata[AZ_KEY] !== zone &&
          a.hosts.some((h) => checked.includes(h)),
      )
      .map((a) => a.metadata[AZ_KEY]!)
    if (conflicting.length > 0) {
      throw new InvalidAggregateAction(
        action,
        aggregate.id,
        `One or more hosts already in availability zone(s) ${pyRepr(conflicting)}`,
      )
    }
    // Servers never change zone under their feet (only for update / set_metadata, as Nova).
    if (action !== 'Add' && aggregate.metadata[AZ_KEY] !== zone && (await this.instancesOn(checked)) > 0) {
      throw new InvalidAggregateAction(
        action,
        aggregate.id,
        'One or more hosts contain instances in this zone',
      )
    }
  }

  /** Nova's `ensure_no_instances_need_to_move_az_when_host_added` / `_removed`. */
  private async noInstancesMove(
    host: string,
    aggregate: Aggregate,
    action: AggregateAction,
    from: string | undefined,
    to: string | undefined,
  ): Promise<void> {
    const n = await this.instancesOn([host])
    if (n === 0) return
    const verb = action === 'Add' ? 'added to' : 'removed from'
    throw new InvalidAggregateAction(
      action,
      aggregate.id,
      `The host cannot be ${verb} the aggregate as the availability zone of the host would change from '${from ?? 'None'}' to '${to ?? 'None'}' but the host already has ${n} instance(s). Changing the AZ of an existing instance is not supported by this action. Move the instances away from this host then try again. If you need to move the instances between AZs then you can use shelve_offload and unshelve to achieve this.`,
    )
  }
}

/** The zones of a host's zone aggregates, in aggregate order, without repeats. */
function zonesOf(all: readonly Aggregate[], host: string): string[] {
  const zones: string[] = []
  for (const a of all) {
    const z = a.metadata[AZ_KEY]
    if (z && a.hosts.includes(host) && !zones.includes(z)) zones.push(z)
  }
  return zones
}

/** The zone of a host: its first zone aggregate's (there is only one, the API sees to it). */
function zoneOf(all: readonly Aggregate[], host: string): string | undefined {
  return zonesOf(all, host)[0]
}
