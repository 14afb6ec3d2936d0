import type { CellStore } from '../db/cell/cell-store.js'
import type { RequestSpec, Selection } from '../objects/instance.js'
import { isServiceUp } from '../servicegroup/servicegroup.js'
import type { RequestContext } from '../shared/context.js'
import { NoValidHost } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { ComputeFilter } from './filters/compute-filter.js'
import type { HostFilter } from './filters/filter.js'
import { DiskFilter, RamFilter, VcpuFilter } from './filters/resource-filters.js'
import { type HostState, hostStateFrom } from './host-state.js'
import type { SchedulerRpc, SelectDestinationsArgs } from './rpcapi.js'
import { ramWeigher } from './weighers/ram-weigher.js'
import { type HostWeigher, weighHosts } from './weighers/weigher.js'

export interface SchedulerOptions {
  readonly cellUuid: string
  readonly serviceDownTimeS: number
  readonly maxAttempts: number
  readonly hostSubsetSize: number
  readonly shuffleBestSameWeighedHosts: boolean
  readonly ramWeightMultiplier: number
}

/** The filters Nova's default list needs today; the resource checks always run (Placement's part). */
const RESOURCE_FILTERS: readonly HostFilter[] = [VcpuFilter, RamFilter, DiskFilter]
const KNOWN_FILTERS: Readonly<Record<string, HostFilter | null>> = {
  ComputeFilter,
  // Accepted by name; they pass every host until the request fields they check exist.
  AvailabilityZoneFilter: null,
  ComputeCapabilitiesFilter: null,
  ImagePropertiesFilter: null,
  ServerGroupAntiAffinityFilter: null,
  ServerGroupAffinityFilter: null,
}

/**
 * Picks hosts: filters, then weighers, then an atomic claim in the cell database. Selections in
 * one process are serialised so each sees the claims before it; several scheduler processes stay
 * correct because the claim itself is atomic.
 */
export class SchedulerManager implements SchedulerRpc {
  private readonly filters: HostFilter[]
  private readonly weighers: HostWeigher[]
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly cell: CellStore,
    private readonly options: SchedulerOptions,
    enabledFilters: readonly string[],
    private readonly log: Logger,
  ) {
    const unknown = enabledFilters.filter((f) => !(f in KNOWN_FILTERS))
    if (unknown.length > 0) {
      throw new Error(
        `Unknown filter(s) in [filter_scheduler] enabled_filters: ${unknown.join(', ')}. Valid: ${Object.keys(KNOWN_FILTERS).join(', ')}`,
      )
    }
    this.filters = [
      ...enabledFilters.map((f) => KNOWN_FILTERS[f]).filter((f): f is HostFilter => f != null),
      ...RESOURCE_FILTERS,
    ]
    this.weighers = [ramWeigher(options.ramWeightMultiplier)]
  }

  select_destinations(_ctx: RequestContext, args: SelectDestinationsArgs): Promise<Selection[][]> {
    const run = this.queue.then(() => this.select(args.spec_obj, args.instance_uuids))
    this.queue = run.catch(() => undefined)
    return run
  }

  private async select(spec: RequestSpec, instanceUuids: readonly string[]): Promise<Selection[][]> {
    const hosts = await this.hostStates()
    const results: Selection[][] = []
    const claimed: string[] = []
    try {
      for (const uuid of instanceUuids) {
        const selection = await this.selectOne(hosts, spec, uuid)
        claimed.push(uuid)
        results.push(selection)
      }
    } catch (err) {
      // All or nothing, as Nova: give back the claims made for the earlier instances.
      for (const uuid of claimed) await this.cell.release(uuid)
      throw err
    }
    return results
  }

  private async selectOne(hosts: HostState[], spec: RequestSpec, instanceUuid: string): Promise<Selection[]> {
    // Asked again for an instance that already holds a claim (a redelivered request): same answer.
    const held = await this.cell.allocationNode(instanceUuid)
    const holder = held === undefined ? undefined : hosts.find((h) => h.nodeId === held)
    if (holder) return [this.selection(holder)]
    let candidates = hosts.filter((h) => !spec.ignore_hosts.includes(h.host))
    const removed: string[] = []
    for (const filter of this.filters) {
      const kept = candidates.filter((h) => filter.passes(h, spec))
      if (kept.length < candidates.length) {
        const rejected = candidates.filter((h) => !kept.includes(h))
        removed.push(
          `${filter.name} removed ${rejected.length} of ${candidates.length} hosts: ${filter.why(rejected, spec)}`,
        )
      }
      candidates = kept
      if (candidates.length === 0) break
    }
    if (candidates.length === 0) {
      const reason =
        hosts.length === 0
          ? 'There are no compute hosts.'
          : `There are not enough hosts available. ${removed.join('; ')}.`
      this.log.info({ instance_uuid: instanceUuid, filters: removed }, 'no valid host')
      throw new NoValidHost(reason)
    }
    let ranked = weighHosts(candidates, spec, this.weighers)
    if (this.options.shuffleBestSameWeighedHosts) ranked = shuffleTies(ranked)
    const order = ranked.map((w) => w.host)
    const subset = Math.max(1, Math.min(this.options.hostSubsetSize, order.length))
    const first = Math.floor(Math.random() * subset)
    order.unshift(...order.splice(first, 1))

    for (let i = 0; i < order.length; i++) {
      const host = order[i]!
      const ok = await this.cell.claim(host.nodeId, instanceUuid, {
        vcpus: spec.flavor.vcpus,
        memory_mb: spec.flavor.memory_mb,
        disk_gb: spec.flavor.root_gb + spec.flavor.ephemeral_gb,
      })
      if (!ok) continue // another scheduler took the room first; the next host may still fit
      host.freeVcpus -= spec.flavor.vcpus
      host.freeRamMb -= spec.flavor.memory_mb
      host.freeDiskGb -= spec.flavor.root_gb + spec.flavor.ephemeral_gb
      host.numInstances += 1
      const alternates = order
        .slice(i + 1)
        .filter((h) => h.host !== host.host)
        .slice(0, this.options.maxAttempts - 1)
      return [host, ...alternates].map((h) => this.selection(h))
    }
    throw new NoValidHost('There are not enough hosts available. Every claim was refused.')
  }

  private selection(h: HostState): Selection {
    return {
      compute_node_uuid: h.uuid,
      service_host: h.host,
      nodename: h.nodename,
      cell_uuid: this.options.cellUuid,
      limits: {},
    }
  }

  private async hostStates(): Promise<HostState[]> {
    const [nodes, services] = await Promise.all([
      this.cell.listComputeNodes(),
      this.cell.listServices({ binary: 'nova-compute' }),
    ])
    const byHost = new Map(services.map((s) => [s.host, s]))
    const now = Date.now()
    return nodes.map((n) => {
      const service = byHost.get(n.host)
      return hostStateFrom(
        n,
        service,
        service ? isServiceUp(service, this.options.serviceDownTimeS, now) : false,
      )
    })
  }
}

/** Randomise the order among hosts of equal best weight (Nova's shuffle_best_same_weighed_hosts). */
function shuffleTies<T extends { weight: number }>(ranked: T[]): T[] {
  if (ranked.length < 2) return ranked
  const best = ranked[0]!.weight
  const ties = ranked.filter((r) => r.weight === best)
  for (let i = ties.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[ties[i], ties[j]] = [ties[j]!, ties[i]!]
  }
  return [...ties, ...ranked.slice(ties.length)]
}
