import type { CellStore } from '../db/cell/cell-store.js'
import type { ResourceRequest } from '../objects/compute-node.js'
import {
  hardGroupPolicy,
  type RequestSpec,
  type RequestSpecGroup,
  type Selection,
} from '../objects/instance.js'
import type { RequestContext } from '../shared/context.js'
import { NoValidHost } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { timestampClock } from '../shared/time.js'
import { AggregateCache, type AggregateSource } from './aggregate-cache.js'
import { diskGbOf } from './filters/disk-filter.js'
import type { FilterRequest, HostCheck, HostFilter } from './filters/filter.js'
import { hintList, someOf } from './filters/filter.js'
import { resolveFilters } from './filters/registry.js'
import type { HostState } from './host-state.js'
import { HostStateCache } from './host-state-cache.js'
import type { SchedulerOptions } from './options.js'
import type { SchedulerRpc, SelectDestinationsArgs } from './rpcapi.js'
import { resolveWeighers } from './weighers/registry.js'
import { type HostWeigher, topIndices, weighHosts } from './weighers/weigher.js'

/** A request nothing fits is tried again on a full re-read, at most this often. */
const FULL_RELOAD_ON_FAILURE_MS = 10_000
/** Hosts ranked beyond the subset and the alternates, for claims another scheduler may win. */
const SPARE_RANKED = 8

/** One filter's toll on a request: for the no-valid-host fault and the scheduler's log. */
export interface FilterOutcome {
  readonly filter: string
  readonly before: number
  readonly removed: number
  readonly reason: string
}

/** Why nothing fits: each stage that removed hosts, in order. */
export function noValidHostReason(total: number, outcomes: readonly FilterOutcome[]): string {
  if (total === 0) return 'There are no compute hosts.'
  const parts = outcomes.map((o) => `${o.filter} removed ${o.removed} of ${o.before} hosts: ${o.reason}`)
  return `There are not enough hosts available.${parts.length > 0 ? ` ${parts.join('; ')}.` : ''}`
}

/**
 * Picks hosts: filters, then weighers, then an atomic claim in the cell database. Host states
 * are cached and refreshed from the rows changed since the last request. Selections in one
 * process are serialised so each sees the claims before it; several scheduler processes stay
 * correct because the claim itself is atomic (a refused claim moves on to the next host).
 */
export class SchedulerManager implements SchedulerRpc {
  private readonly filters: HostFilter[]
  private readonly weighers: HostWeigher[]
  private readonly cache: HostStateCache
  /** Host aggregates from the API database (zones, tenant isolation, extra specs), if it is reachable. */
  private readonly aggregates: AggregateCache | undefined
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly cell: CellStore,
    private readonly options: SchedulerOptions,
    private readonly log: Logger,
    private readonly sources: SchedulerSources = {},
  ) {
    this.filters = resolveFilters(options.enabledFilters)
    this.weighers = resolveWeighers(options.weightClasses)
    this.cache = new HostStateCache(cell, options.cellUuid, options.hostStateResyncS, log)
    this.aggregates = sources.aggregates ? new AggregateCache(sources.aggregates, log) : undefined
  }

  /** Read every host state now, rather than on the first request. */
  async start(): Promise<void> {
    await Promise.all([this.cache.loadAll(), this.aggregates?.refresh()])
  }

  select_destinations(_ctx: RequestContext, args: SelectDestinationsArgs): Promise<Selection[][]> {
    const run = this.queue.then(() =>
      this.select(args.spec_obj, args.instance_uuids, args.return_alternates !== false),
    )
    this.queue = run.catch(() => undefined)
    return run
  }

  private async select(
    spec: RequestSpec,
    instanceUuids: readonly string[],
    alternates: boolean,
  ): Promise<Selection[][]> {
    await Promise.all([this.cache.refresh(), this.aggregates?.refresh()])
    try {
      return await this.selectAll(spec, instanceUuids, alternates)
    } catch (err) {
      // The cached view may have missed a release: judge once more against a full read.
      if (!(err instanceof NoValidHost) || Date.now() - this.cache.lastFullLoad < FULL_RELOAD_ON_FAILURE_MS)
        throw err
      await this.cache.loadAll()
      return await this.selectAll(spec, instanceUuids, alternates)
    }
  }

  private async selectAll(
    spec: RequestSpec,
    instanceUuids: readonly string[],
    alternates: boolean,
  ): Promise<Selection[][]> {
    const group = await this.currentGroup(spec.instance_group ?? undefined)
    /** Hosts chosen so far in this request, which the group's filters must see (Nova does the same). */
    const chosen: string[] = []
    const named = [
      ...hintList(spec, 'same_host'),
      ...hintList(spec, 'different_host'),
      ...(group ? [...group.members, spec.instance_uuid] : []),
    ]
    const instanceHosts = named.length > 0 ? await this.cache.instanceHosts(named) : new Map<string, string>()
    // Each instance is judged against every host (its predecessors' claims already counted), so
    // the no-valid-host message always speaks of all hosts.
    const hosts = this.cache.hosts()
    this.aggregates?.apply(hosts)
    const results: Selection[][] = []
    const claimed: string[] = []
    try {
      for (const uuid of instanceUuids) {
        // Instances of one request see each other's hosts (Nova adds each to the group as it goes).
        const req: FilterRequest = {
          spec: group
            ? { ...spec, instance_uuid: uuid, instance_group: withRequest(group, instanceUuids, chosen) }
            : { ...spec, instance_uuid: uuid },
          options: this.options,
          now: timestampClock().now(),
          instanceHosts,
        }
        const { selections, claimedNow } = await this.selectOne(hosts, req, uuid, alternates)
        // Only claims this request made are its to give back: one found held belongs to an
        // earlier delivery of the request, whose build may be going ahead.
        if (claimedNow) claimed.push(uuid)
        results.push(selections)
        instanceHosts.set(uuid, selections[0]!.service_host)
        chosen.push(selections[0]!.service_host)
      }
    } catch (err) {
      // All or nothing, as Nova: give back the claims made for the earlier instances.
      for (const uuid of claimed) await this.cell.nodes.release(uuid)
      throw err
    }
    return results
  }

  /**
   * The request's group with its members as they are now (Nova's conductor re-reads the group
   * too): servers that joined after this request was made, and may be placed already, count.
   */
  private async currentGroup(group: RequestSpecGroup | undefined): Promise<RequestSpecGroup | undefined> {
    if (!group || !this.sources.groupMembers) return group
    try {
      const now = await this.sources.groupMembers(group.uuid)
      return now ? { ...group, members: [...new Set([...group.members, ...now])] } : group
    } catch (err) {
      this.log.warn({ err, group: group.uuid }, 'could not read the server group; using the request spec')
      return group
    }
  }

  private async selectOne(
    all: readonly HostState[],
    req: FilterRequest,
    instanceUuid: string,
    withAlternates: boolean,
  ): Promise<{ selections: Selection[]; claimedNow: boolean }> {
    const { candidates, outcomes } = this.filterHosts(all, req)
    if (candidates.length === 0) {
      // A redelivered request whose instance already holds a claim: its own claim may be what
      // fills the host now, so the filters refuse it; the answer is the host it holds.
      const held = await this.heldSelection(instanceUuid)
      if (held) return { selections: [held], claimedNow: false }
      this.log.info({ instance_uuid: instanceUuid, filters: outcomes }, 'no valid host')
      throw new NoValidHost(noValidHostReason(this.cache.hosts().length, outcomes))
    }
    const weights = weighHosts(candidates, req, this.weighers, this.log)
    const order = this.ranking(weights)
    const r: ResourceRequest = {
      vcpus: req.spec.flavor.vcpus,
      memory_mb: req.spec.flavor.memory_mb,
      disk_gb: diskGbOf(req.spec),
    }
    const numAlternates = withAlternates ? Math.max(0, this.options.maxAttempts - 1) : 0
    for (let pos = 0; ; pos++) {
      const idx = order.at(pos)
      if (idx === undefined) break
      const host = candidates[idx]!
      if (await this.cache.claim(host, instanceUuid, r, hardGroupPolicy(req.spec))) {
        const alternates: HostState[] = []
        for (let p = pos + 1; alternates.length < numAlternates; p++) {
          const alt = order.at(p)
          if (alt === undefined) break
          if (candidates[alt]!.host !== host.host) alternates.push(candidates[alt]!)
        }
        return { selections: [host, ...alternates].map((h) => this.selection(h)), claimedNow: true }
      }
      // Asked again for an instance that already holds a claim (a redelivered request): same answer.
      const held = await this.heldSelection(instanceUuid)
      if (held) return { selections: [held], claimedNow: false }
      // Another scheduler took the room first: see the node as it is now, and try the next.
      await this.cache.reloadNode(host.nodeId)
    }
    throw new NoValidHost(
      `There are not enough hosts available. ${candidates.length} host(s) passed the filters but every claim was refused (other schedulers took the room first).`,
    )
  }

  /** The node an instance's claim is already on, if it holds one. */
  private async heldSelection(instanceUuid: string): Promise<Selection | undefined> {
    const held = await this.cell.nodes.allocationNode(instanceUuid)
    if (held === undefined) return undefined
    if (!this.cache.get(held)) await this.cache.reloadNode(held)
    const holder = this.cache.get(held)
    return holder && this.selection(holder)
  }

  /**
   * Run the placement checks and the enabled filters, noting what each removed and why. One pass
   * over the hosts, each host tried against the checks in order until one refuses it: the same
   * outcome (and per-filter counts) as running the filters one after another.
   */
  private filterHosts(
    all: readonly HostState[],
    req: FilterRequest,
  ): { candidates: HostState[]; outcomes: FilterOutcome[] } {
    const outcomes: FilterOutcome[] = []
    const hosts = this.requestedHosts(all, req.spec, outcomes)
    const names: string[] = []
    const checks: HostCheck[] = []
    for (const filter of this.filters) {
      const check = filter.check(req)
      if (check) {
        names.push(filter.name)
        checks.push(check)
      }
    }
    const rejected: HostState[][] = checks.map(() => [])
    // Filled in place (no growing array: ten thousand hosts per request add up for the GC).
    const candidates: HostState[] = new Array(hosts.length)
    let kept = 0
    const nChecks = checks.length
    for (let i = 0; i < hosts.length; i++) {
      const h = hosts[i]!
      let j = 0
      while (j < nChecks && checks[j]!.passes(h)) j++
      if (j === nChecks) candidates[kept++] = h
      else rejected[j]!.push(h)
    }
    candidates.length = kept
    let before = hosts.length
    for (let j = 0; j < nChecks; j++) {
      const r = rejected[j]!
      if (r.length === 0) continue
      outcomes.push({ filter: names[j]!, before, removed: r.length, reason: checks[j]!.why(r) })
      before -= r.length
    }
    return { candidates, outcomes }
  }

  /**
   * ignore_hosts, force_hosts / force_nodes and requested_destination (cell, host, node) narrow
   * the hosts first.
   */
  private requestedHosts(
    all: readonly HostState[],
    spec: RequestSpec,
    outcomes: FilterOutcome[],
  ): HostState[] {
    let hosts = all as HostState[]
    const narrow = (name: string, keep: (h: HostState) => boolean, reason: string) => {
      const kept = hosts.filter(keep)
      if (kept.length < hosts.length) {
        outcomes.push({ filter: name, before: hosts.length, removed: hosts.length - kept.length, reason })
      }
      hosts = kept
    }
    const ignore = spec.ignore_hosts ?? []
    if (ignore.length > 0)
      narrow('ignore_hosts', (h) => !ignore.includes(h.host), `ignoring ${someOf(ignore)}`)
    const forceHosts = (spec.force_hosts ?? []).map((h) => h.toLowerCase())
    if (forceHosts.length > 0) {
      narrow(
        'force_hosts',
        (h) => forceHosts.includes(h.host.toLowerCase()),
        `forced to ${someOf(forceHosts)}`,
      )
    }
    const forceNodes = (spec.force_nodes ?? []).map((n) => n.toLowerCase())
    if (forceNodes.length > 0) {
      narrow(
        'force_nodes',
        (h) => forceNodes.includes(h.nodename.toLowerCase()),
        `forced to ${someOf(forceNodes)}`,
      )
    }
    const dest = spec.requested_destination
    // Nova's requested_destination.cell: only the compute nodes of that cell are considered.
    const cell = dest?.cell
    if (cell)
      narrow('requested_destination', (h) => h.cell_uuid === cell.uuid, `requested cell ${cellLabel(cell)}`)
    if (dest?.host)
      narrow('requested_destination', (h) => h.host === dest.host, `requested host ${dest.host}`)
    if (dest?.node)
      narrow('requested_destination', (h) => h.nodename === dest.node, `requested node ${dest.node}`)
    return hosts
  }

  /**
   * The order to try hosts in: best first (ties shuffled with shuffle_best_same_weighed_hosts),
   * one of the best `host_subset_size` picked at random to go first. Only the top few are ranked;
   * the rest are sorted only if every one of those is refused.
   */
  private ranking(weights: Float64Array): { at(pos: number): number | undefined } {
    const n = weights.length
    const subset = Math.max(1, Math.min(this.options.hostSubsetSize, n))
    let order = topIndices(weights, subset + this.options.maxAttempts + SPARE_RANKED)
    if (this.options.shuffleBestSameWeighedHosts && n > 1) {
      const best = weights[order[0]!]!
      const ties: number[] = []
      for (let i = 0; i < n; i++) if (weights[i] === best) ties.push(i)
      shuffle(ties)
      order = [...ties, ...order.filter((i) => weights[i] !== best)]
    }
    const first = Math.floor(Math.random() * subset)
    if (first > 0) order.unshift(...order.splice(first, 1))
    let complete = order.length === n
    return {
      at: (pos) => {
        if (pos >= order.length && !complete) {
          order = [...order, ...sortedIndices(weights, new Set(order))]
          complete = true
        }
        return order[pos]
      },
    }
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
}

/** What the scheduler reads from the API database, when it has one. */
export interface SchedulerSources {
  /** Host aggregates, for HostState.aggregates. */
  readonly aggregates?: AggregateSource
  /** A server group's current members (undefined if the group is gone). */
  readonly groupMembers?: (groupUuid: string) => Promise<readonly string[] | undefined>
}

/** The request's group, with every instance of this request a member and the hosts chosen so far. */
function withRequest(
  group: RequestSpecGroup,
  uuids: readonly string[],
  chosen: readonly string[],
): RequestSpecGroup {
  return {
    ...group,
    members: [...new Set([...group.members, ...uuids])],
    hosts: [...new Set([...(group.hosts ?? []), ...chosen])],
  }
}

/** The cell a request is restricted to (hint `target_cell`). */
type RequestedCell = NonNullable<NonNullable<RequestSpec['requested_destination']>['cell']>

/** A cell as the no-valid-host fault names it: its name and uuid, or the uuid alone. */
function cellLabel(cell: RequestedCell): string {
  return cell.name ? `${cell.name} (${cell.uuid})` : cell.uuid
}

/** Every index not in `exclude`, heaviest first, earlier first among equals. */
function sortedIndices(weights: Float64Array, exclude: ReadonlySet<number>): number[] {
  const out: number[] = []
  for (let i = 0; i < weights.length; i++) if (!exclude.has(i)) out.push(i)
  return out.sort((a, b) => weights[b]! - weights[a]! || a - b)
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
}
