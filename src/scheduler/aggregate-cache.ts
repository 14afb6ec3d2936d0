import type { Aggregate } from '../objects/aggregate.js'
import type { Logger } from '../shared/logger.js'
import type { AggregateInfo, HostState } from './host-state.js'

/** Where the scheduler reads aggregates from (the API database's AggregateStore). */
export interface AggregateSource {
  /** Changes whenever any aggregate, host membership or metadata key changes. */
  stamp(): Promise<string>
  list(): Promise<Aggregate[]>
}

/** Re-read everything at least this often, whatever the stamp says. */
const FULL_RELOAD_MS = 60_000

/**
 * The scheduler's copy of the host aggregates (Nova's HostManager keeps one too, refreshed by
 * the API's `update_aggregates` casts). Here each request first asks the API database for a
 * one-row fingerprint; only when it moved are the aggregates read again. The copy is then put on
 * each HostState (`aggregates`), by host name, whenever it or the set of hosts changed.
 */
export class AggregateCache {
  private stamp: string | undefined
  private byHost = new Map<string, AggregateInfo[]>()
  private version = 0
  private lastLoad = 0
  private appliedTo: readonly HostState[] | undefined
  private appliedVersion = -1

  constructor(
    private readonly source: AggregateSource,
    private readonly log: Logger,
  ) {}

  /** Bring the copy up to date; on a database error keep the old one (and say so). */
  async refresh(): Promise<void> {
    try {
      const stamp = await this.source.stamp()
      if (stamp === this.stamp && Date.now() - this.lastLoad < FULL_RELOAD_MS) return
      const started = Date.now()
      const all = await this.source.list()
      const byHost = new Map<string, AggregateInfo[]>()
      for (const a of all) {
        const info: AggregateInfo = { id: a.id, name: a.name, metadata: a.metadata }
        for (const h of a.hosts) {
          const list = byHost.get(h)
          if (list) list.push(info)
          else byHost.set(h, [info])
        }
      }
      this.byHost = byHost
      this.stamp = stamp
      this.lastLoad = started
      this.version++
    } catch (err) {
      this.log.warn({ err }, 'could not read host aggregates; using the last copy')
    }
  }

  /** Put each host's aggregates on its state (only when the copy or the hosts changed). */
  apply(hosts: readonly HostState[]): void {
    if (hosts === this.appliedTo && this.version === this.appliedVersion) return
    for (const h of hosts) h.aggregates = this.byHost.get(h.host) ?? NONE
    this.appliedTo = hosts
    this.appliedVersion = this.version
  }
}

const NONE: readonly AggregateInfo[] = []
