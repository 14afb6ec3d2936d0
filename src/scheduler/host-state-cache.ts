import { type ExpressionBuilder, sql } from 'kysely'
import type { CellStore } from '../db/cell/cell-store.js'
import type { CellSchema } from '../db/cell/schema.js'
import type { ComputeNode, ResourceRequest } from '../objects/compute-node.js'
import type { GroupPolicyClaim } from '../objects/instance.js'
import type { ServiceRecord } from '../objects/service.js'
import { VmState } from '../objects/states.js'
import type { Logger } from '../shared/logger.js'
import { dbNow, fromDbTime } from '../shared/time.js'
import { HostState, type ServiceInfo, serviceInfoFrom } from './host-state.js'

/** Most ids excluded by value when re-reading the mark's millisecond; more are left to the catch-up. */
const MAX_AT_MARK = 64

/**
 * Rows stamped after `mark`, and those stamped at `mark` that were not seen there (a write in
 * the same millisecond). A heartbeat batch stamps hundreds of rows alike: then only later ones
 * are read, and the catch-up finds any missed.
 */
function since(
  eb: ExpressionBuilder<CellSchema, 'compute_nodes'> | ExpressionBuilder<CellSchema, 'services'>,
  mark: string | null,
  atMark: ReadonlySet<number>,
) {
  const e = eb as ExpressionBuilder<CellSchema, 'compute_nodes'>
  if (mark === null) return e('updated_at', '>', EPOCH)
  if (atMark.size === 0 || atMark.size > MAX_AT_MARK) return e('updated_at', '>', mark)
  return e.and([
    e('updated_at', '>=', mark),
    e.or([e('updated_at', '>', mark), e('id', 'not in', [...atMark])]),
  ])
}

/** `ids` made `length` long by repeating its last one. */
function padded(ids: readonly number[], length: number): number[] {
  const out = [...ids]
  while (out.length < length) out.push(ids.at(-1)!)
  return out
}

/** A second before a stored timestamp. */
function secondBefore(stamp: string | null): string {
  return stamp === null ? EPOCH : dbNow(new Date(fromDbTime(stamp).getTime() - 1000))
}

/** Task states Nova's io_workload counts as I/O-heavy (besides vm_state building). */
const IO_TASK_STATES = [
  'resize_migrating',
  'rebuilding',
  'resize_prep',
  'image_snapshot',
  'image_backup',
  'rescuing',
  'unshelving',
] as const

const PAGE = 500
/** How often hosts with I/O-heavy operations under way are counted again (builds finish quietly). */
const IO_RECOUNT_MS = 2000
/**
 * A recount pass is spread over up to this many requests, IO_RECOUNT_BATCH hosts or more each
 * (~0.3 ms): at ~2 µs a host, a thousand busy hosts added 3–4 ms to a single request.
 */
const IO_RECOUNT_SPREAD = 10
const IO_RECOUNT_BATCH = 100
/**
 * Each request reads the rows stamped after the newest stamp seen. A row stamped in the same
 * millisecond as that one, or stamped earlier but committed later, would be missed: so every
 * second, the stamps (ids and updated_at only) of rows from a second before the previous look
 * on are compared with the cache, and the rows that differ read whole.
 */
const CATCH_UP_MS = 1000
/** Older than any row: the watermark before anything was seen. */
const EPOCH = '1970-01-01 00:00:00'

/**
 * The scheduler's view of every compute node, kept in memory and brought up to date before each
 * request from only the rows that changed: compute_nodes and services rows whose `updated_at`
 * moved past the newest one seen (a claim, a release, a compute report, a heartbeat or an admin's
 * change all move it), read through an index. Once a second a catch-up compares recent stamps,
 * for rows committed out of order; a full re-read runs in the background every `resyncS`
 * seconds, in pages, for what no stamp shows (a deleted service, a row changed twice in one
 * millisecond).
 *
 * The view is only a hint: every claim is atomic in the database, a refused claim re-reads its
 * node, and a request nothing fits is re-tried once against a full re-read.
 */
export class HostStateCache {
  private readonly byId = new Map<number, HostState>()
  private readonly servicesByHost = new Map<string, ServiceInfo>()
  private readonly nodesByHost = new Map<string, HostState[]>()
  private sorted: HostState[] | undefined
  private nodesMark: string | null = null
  private servicesMark: string | null = null
  /** Ids of the rows stamped exactly at the mark: others stamped in that millisecond are new. */
  private nodesAtMark = new Set<number>()
  private servicesAtMark = new Set<number>()
  private loaded = false
  private resyncing: Promise<void> | undefined
  /** Epoch ms of the last full read. */
  lastFullLoad = 0
  private lastIoRecount = 0
  /** Busy hosts of the current recount pass not counted yet, and how many to count per request. */
  private ioRecountQueue: number[] = []
  private ioRecountBatch = IO_RECOUNT_BATCH
  private lastCatchUp = 0
  /** Per table: where the next catch-up starts, and the newest stamp at the last one. */
  private readonly catchUpFrom = { nodes: EPOCH, services: EPOCH }
  private readonly caughtMark: { nodes: string | null; services: string | null } = {
    nodes: null,
    services: null,
  }

  constructor(
    private readonly cell: CellStore,
    private readonly cellUuid: string,
    private readonly resyncS: number,
    private readonly log: Logger,
  ) {}

  private get k() {
    return this.cell.db.kysely
  }

  /** Every host, in compute node id order (the order Nova's stable sort keeps among equals). */
  hosts(): HostState[] {
    this.sorted ??= [...this.byId.values()].sort((a, b) => a.nodeId - b.nodeId)
    return this.sorted
  }

  get(nodeId: number): HostState | undefined {
    return this.byId.get(nodeId)
  }

  /** Bring the view up to date: everything on first use, else only what changed. */
  async refresh(): Promise<void> {
    if (!this.loaded) {
      await this.loadAll()
      return
    }
    const [nodes, services] = await Promise.all([
      this.k
        .selectFrom('compute_nodes')
        .selectAll()
        .where((eb) => since(eb, this.nodesMark, this.nodesAtMark))
        .execute(),
      this.k
        .selectFrom('services')
        .selectAll()
        .where('binary', '=', 'nova-compute')
        .where((eb) => since(eb, this.servicesMark, this.servicesAtMark))
        .execute(),
    ])
    for (const s of services) this.applyService(s as ServiceRecord)
    if (nodes.length > 0) {
      await this.applyNodes(nodes)
      await this.linkMissingServices(nodes)
    }
    await this.recountBusyHosts()
    if (Date.now() - this.lastCatchUp >= CATCH_UP_MS) await this.catchUp()
    if (this.resyncS > 0 && !this.resyncing && Date.now() - this.lastFullLoad > this.resyncS * 1000) {
      this.resyncing = this.resync()
        .catch((err) => this.log.warn({ err }, 'host state resync failed'))
        .finally(() => {
          this.resyncing = undefined
        })
    }
  }

  /** Read every node and service afresh (start-up, and before giving up on a request). */
  async loadAll(): Promise<void> {
    const started = Date.now()
    const [nodes, services] = await Promise.all([
      this.k.selectFrom('compute_nodes').selectAll().where('deleted', '=', 0).execute(),
      this.k
        .selectFrom('services')
        .selectAll()
        .where('binary', '=', 'nova-compute')
        .where('deleted', '=', 0)
        .execute(),
    ])
    this.servicesByHost.clear()
    for (const s of services) this.applyService(s as ServiceRecord)
    const seen = new Set(nodes.map((n) => n.id))
    for (const id of [...this.byId.keys()]) if (!seen.has(id)) this.drop(id)
    await this.applyNodes(nodes, { force: true })
    for (const h of this.byId.values()) h.service = this.servicesByHost.get(h.host)
    this.loaded = true
    this.lastFullLoad = started
    // Everything up to here was just read: catch-ups look from a second before it on.
    this.caughtMark.nodes = this.nodesMark
    this.caughtMark.services = this.servicesMark
    this.catchUpFrom.nodes = secondBefore(this.nodesMark)
    this.catchUpFrom.services = secondBefore(this.servicesMark)
  }

  /** Re-read one node (its claim was refused: someone else changed it). */
  async reloadNode(nodeId: number): Promise<void> {
    const row = await this.k
      .selectFrom('compute_nodes')
      .selectAll()
      .where('id', '=', nodeId)
      .executeTakeFirst()
    if (row && row.deleted === 0) await this.applyNodes([row], { force: true })
    else this.drop(nodeId)
  }

  /** Claim in the database; on success the host's state takes the claim at once. */
  async claim(
    host: HostState,
    consumerUuid: string,
    r: ResourceRequest,
    group?: GroupPolicyClaim | null,
  ): Promise<boolean> {
    const ok = await this.cell.nodes.claim(host.nodeId, consumerUuid, r, group)
    if (ok) host.consume(r)
    return ok
  }

  /** The host each of these instances is on or claimed on (those on no host, or unknown, are left out). */
  async instanceHosts(uuids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    const unique = [...new Set(uuids)]
    for (let i = 0; i < unique.length; i += PAGE) {
      const rows = await this.k
        .selectFrom('instances')
        .select(['uuid', 'host'])
        .where('uuid', 'in', unique.slice(i, i + PAGE))
        .where('deleted', '=', 0)
        .execute()
      for (const r of rows) if (r.host) out.set(r.uuid, r.host)
      // Claimed but not yet written to its cell (a build another request just placed): its claim
      // says where it goes, so group policies and host hints see it already.
      const missing = unique.slice(i, i + PAGE).filter((u) => !out.has(u))
      if (missing.length === 0) continue
      const claimed = await this.k
        .selectFrom('allocations as a')
        .innerJoin('compute_nodes as n', 'n.id', 'a.compute_node_id')
        .select(['a.consumer_uuid', 'n.host'])
        .where('a.consumer_uuid', 'in', missing)
        .execute()
      for (const r of claimed) out.set(r.consumer_uuid, r.host)
    }
    return out
  }

  // --- internals

  private drop(nodeId: number): void {
    const h = this.byId.get(nodeId)
    if (!h) return
    this.byId.delete(nodeId)
    const same = this.nodesByHost.get(h.host)?.filter((x) => x !== h) ?? []
    if (same.length > 0) this.nodesByHost.set(h.host, same)
    else this.nodesByHost.delete(h.host)
    this.sorted = undefined
  }

  private applyService(s: ServiceRecord): void {
    if (s.updated_at && (this.servicesMark === null || s.updated_at > this.servicesMark)) {
      this.servicesMark = s.updated_at
      this.servicesAtMark = new Set([s.id])
    } else if (s.updated_at === this.servicesMark) {
      this.servicesAtMark.add(s.id)
    }
    if (s.deleted !== 0) {
      const current = this.servicesByHost.get(s.host)
      if (current?.id === s.id) this.servicesByHost.delete(s.host)
    } else {
      this.servicesByHost.set(s.host, serviceInfoFrom(s))
    }
    for (const h of this.nodesByHost.get(s.host) ?? []) h.service = this.servicesByHost.get(s.host)
  }

  /**
   * Take node rows: capacity and claims from the row, instance and I/O counts from the claims
   * (each claim is an instance; those whose instance is building or in an I/O-heavy task, or
   * not written yet, are I/O). Without `force`, a row older than what the cache holds is skipped.
   */
  private async applyNodes(rows: ComputeNode[], opts: { force?: boolean } = {}): Promise<void> {
    const fresh: ComputeNode[] = []
    for (const row of rows) {
      if (row.updated_at && (this.nodesMark === null || row.updated_at > this.nodesMark)) {
        this.nodesMark = row.updated_at
        this.nodesAtMark = new Set([row.id])
      } else if (row.updated_at === this.nodesMark) {
        this.nodesAtMark.add(row.id)
      }
      if (row.deleted !== 0) {
        this.drop(row.id)
        continue
      }
      const cached = this.byId.get(row.id)
      if (!opts.force && cached?.updated && row.updated_at && row.updated_at < cached.updated) continue
      fresh.push(row)
    }
    if (fresh.length === 0) return
    // A row whose claimed sums are what this cache already holds changed by this scheduler's own
    // claim (already counted) or by a compute report: its counts stand. Others are counted again.
    const recount = fresh.filter((row) => {
      const h = this.byId.get(row.id)
      return (
        opts.force ||
        !h ||
        h.vcpus_allocated !== Number(row.vcpus_allocated) ||
        h.memory_mb_allocated !== Number(row.memory_mb_allocated) ||
        h.disk_gb_allocated !== Number(row.disk_gb_allocated)
      )
    })
    const counts = recount.length > 0 ? await this.countClaims(recount.map((r) => r.id)) : new Map()
    const counted = new Set(recount.map((r) => r.id))
    for (const row of fresh) {
      let h = this.byId.get(row.id)
      if (!h) {
        h = new HostState(row, this.cellUuid)
        h.service = this.servicesByHost.get(row.host)
        this.byId.set(row.id, h)
        this.nodesByHost.set(row.host, [...(this.nodesByHost.get(row.host) ?? []), h])
        this.sorted = undefined
      }
      h.updateFromComputeNode(row)
      if (!counted.has(row.id)) continue
      const c = counts.get(row.id)
      h.num_instances = c?.n ?? 0
      h.num_io_ops = c?.io ?? 0
    }
  }

  private async countClaims(nodeIds: readonly number[]): Promise<Map<number, { n: number; io: number }>> {
    const out = new Map<number, { n: number; io: number }>()
    const io = sql.join(IO_TASK_STATES.map((s) => sql.lit(s)))
    for (let i = 0; i < nodeIds.length; i += PAGE) {
      const rows = await this.k
        .selectFrom('allocations as a')
        .leftJoin('instances as i', (j) => j.onRef('i.uuid', '=', 'a.consumer_uuid').on('i.deleted', '=', 0))
        .select((eb) => [
          'a.compute_node_id as id',
          eb.fn.countAll<number>().as('n'),
          sql<number>`SUM(CASE WHEN i.id IS NULL OR i.vm_state = ${sql.lit(VmState.BUILDING)} OR i.task_state IN (${io}) THEN 1 ELSE 0 END)`.as(
            'io',
          ),
        ])
        .where('a.compute_node_id', 'in', nodeIds.slice(i, i + PAGE))
        .groupBy('a.compute_node_id')
        .execute()
      for (const r of rows) out.set(r.id, { n: Number(r.n), io: Number(r.io) })
    }
    return out
  }

  private async catchUp(): Promise<void> {
    const now = Date.now()
    this.lastCatchUp = now
    // A table whose newest stamp has not moved since the last look, and is old enough that no
    // write stamped before it can still be on its way, has nothing new to check.
    const settled = (mark: string | null) =>
      mark === null || now > fromDbTime(mark).getTime() + 2 * CATCH_UP_MS
    if (this.nodesMark !== this.caughtMark.nodes || !settled(this.nodesMark)) {
      const from = this.catchUpFrom.nodes
      this.caughtMark.nodes = this.nodesMark
      this.catchUpFrom.nodes = secondBefore(this.nodesMark)
      const stamps = await this.k
        .selectFrom('compute_nodes')
        .select(['id', 'updated_at'])
        .where('updated_at', '>=', from)
        .execute()
      const stale = stamps.filter((r) => this.byId.get(r.id)?.updated !== r.updated_at).map((r) => r.id)
      for (let i = 0; i < stale.length; i += PAGE) {
        const rows = await this.k
          .selectFrom('compute_nodes')
          .selectAll()
          .where('id', 'in', stale.slice(i, i + PAGE))
          .execute()
        await this.applyNodes(rows)
        await this.linkMissingServices(rows)
      }
    }
    if (this.servicesMark !== this.caughtMark.services || !settled(this.servicesMark)) {
      const from = this.catchUpFrom.services
      this.caughtMark.services = this.servicesMark
      this.catchUpFrom.services = secondBefore(this.servicesMark)
      const stamps = await this.k
        .selectFrom('services')
        .select(['id', 'host', 'updated_at'])
        .where('binary', '=', 'nova-compute')
        .where('updated_at', '>=', from)
        .execute()
      const stale = stamps
        .filter((r) => this.servicesByHost.get(r.host)?.updated_at !== r.updated_at)
        .map((r) => r.id)
      for (let i = 0; i < stale.length; i += PAGE) {
        const rows = await this.k
          .selectFrom('services')
          .selectAll()
          .where('id', 'in', stale.slice(i, i + PAGE))
          .execute()
        for (const s of rows) this.applyService(s as ServiceRecord)
      }
    }
  }

  /**
   * A build that finishes (or a resize that completes) changes no compute_nodes row, so hosts
   * counted as busy are counted again every couple of seconds (a pass over the next few requests).
   */
  private async recountBusyHosts(): Promise<void> {
    if (this.ioRecountQueue.length === 0) {
      const now = Date.now()
      if (now - this.lastIoRecount < IO_RECOUNT_MS) return
      this.lastIoRecount = now
      for (const h of this.hosts()) if (h.num_io_ops > 0) this.ioRecountQueue.push(h.nodeId)
      if (this.ioRecountQueue.length === 0) return
      const perRequest = Math.ceil(this.ioRecountQueue.length / IO_RECOUNT_SPREAD)
      this.ioRecountBatch = IO_RECOUNT_BATCH * Math.ceil(perRequest / IO_RECOUNT_BATCH)
    }
    const busy = this.ioRecountQueue.splice(0, this.ioRecountBatch)
    // Always the same number of ids (the last one repeated), so the same SQL: prepared once.
    const ids = busy.length < this.ioRecountBatch ? padded(busy, this.ioRecountBatch) : busy
    const counts = await this.countClaims(ids)
    for (const id of busy) {
      const h = this.byId.get(id)
      if (!h) continue
      const c = counts.get(id)
      h.num_instances = c?.n ?? 0
      h.num_io_ops = c?.io ?? 0
    }
  }

  /** Nodes whose host's service row was never seen (created, not yet reported): read it. */
  private async linkMissingServices(nodes: readonly ComputeNode[]): Promise<void> {
    const missing = [...new Set(nodes.filter((n) => !this.servicesByHost.has(n.host)).map((n) => n.host))]
    if (missing.length === 0) return
    const rows = await this.k
      .selectFrom('services')
      .selectAll()
      .where('binary', '=', 'nova-compute')
      .where('deleted', '=', 0)
      .where('host', 'in', missing)
      .execute()
    for (const s of rows) this.applyService(s as ServiceRecord)
  }

  /** The background full re-read, a page at a time so requests keep being served in between. */
  private async resync(): Promise<void> {
    const started = Date.now()
    const seen = new Set<number>()
    let after = 0
    for (;;) {
      const page = await this.k
        .selectFrom('compute_nodes')
        .selectAll()
        .where('id', '>', after)
        .where('deleted', '=', 0)
        .orderBy('id')
        .limit(PAGE)
        .execute()
      if (page.length === 0) break
      for (const r of page) seen.add(r.id)
      await this.applyNodes(page, { force: false })
      after = page.at(-1)!.id
      await new Promise((r) => setImmediate(r))
    }
    let afterService = 0
    for (;;) {
      const page = await this.k
        .selectFrom('services')
        .selectAll()
        .where('binary', '=', 'nova-compute')
        .where('deleted', '=', 0)
        .where('id', '>', afterService)
        .orderBy('id')
        .limit(PAGE)
        .execute()
      if (page.length === 0) break
      for (const s of page) this.applyService(s as ServiceRecord)
      afterService = page.at(-1)!.id
      await new Promise((r) => setImmediate(r))
    }
    const startedAt = dbNow(new Date(started))
    for (const h of [...this.byId.values()]) {
      // Gone from the table, and not (re)written since the resync began: deleted.
      if (!seen.has(h.nodeId) && (!h.updated || h.updated < startedAt)) this.drop(h.nodeId)
    }
    this.lastFullLoad = started
  }
}
