import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import type { ComputeNode, ComputeNodeReport, ResourceRequest } from '../../objects/compute-node.js'
import type { GroupPolicyClaim } from '../../objects/instance.js'
import { dbNow } from '../../shared/time.js'
import type { Db } from '../connect.js'
import type { CellSchema } from './schema.js'

/** The compute nodes of one cell, and the scheduler's claims on them. */
export class ComputeNodeStore {
  constructor(private readonly db: Db<CellSchema>) {}

  private get k() {
    return this.db.kysely
  }

  /** Record a compute host's report; creates its node on first report. */
  async update(serviceId: number, report: ComputeNodeReport): Promise<ComputeNode> {
    const now = dbNow()
    const values = {
      ...report,
      service_id: serviceId,
      free_ram_mb: report.memory_mb - report.memory_mb_used,
      free_disk_gb: report.local_gb - report.local_gb_used,
      disk_available_least: report.local_gb - report.local_gb_used,
      updated_at: now,
    }
    const res = await this.k
      .updateTable('compute_nodes')
      .set(values)
      .where('host', '=', report.host)
      .where('hypervisor_hostname', '=', report.hypervisor_hostname)
      .where('deleted', '=', 0)
      .executeTakeFirst()
    if (Number(res.numUpdatedRows) === 0) {
      try {
        await this.k
          .insertInto('compute_nodes')
          .values({ ...values, uuid: randomUUID(), current_workload: 0, created_at: now, deleted_at: null })
          .execute()
      } catch (err) {
        if (!(await this.find(report.host, report.hypervisor_hostname))) throw err
      }
    }
    return (await this.find(report.host, report.hypervisor_hostname))!
  }

  async find(host: string, nodename: string): Promise<ComputeNode | undefined> {
    return this.k
      .selectFrom('compute_nodes')
      .selectAll()
      .where('host', '=', host)
      .where('hypervisor_hostname', '=', nodename)
      .where('deleted', '=', 0)
      .executeTakeFirst()
  }

  /** Whether a live compute node has this host and/or this hypervisor hostname. */
  async exists(which: { host: string | null; node: string | null }): Promise<boolean> {
    let q = this.k.selectFrom('compute_nodes').select('id').where('deleted', '=', 0)
    if (which.host) q = q.where('host', '=', which.host)
    if (which.node) q = q.where('hypervisor_hostname', '=', which.node)
    return (await q.executeTakeFirst()) !== undefined
  }

  async list(): Promise<ComputeNode[]> {
    return this.k.selectFrom('compute_nodes').selectAll().where('deleted', '=', 0).orderBy('id').execute()
  }

  /**
   * Claim resources on a node for a consumer, atomically: one conditional UPDATE checks capacity
   * ((total - reserved) × ratio) against what is already allocated, so concurrent schedulers can
   * never overcommit. Returns false when the node has no room. Idempotent per consumer.
   */
  async claim(
    nodeId: number,
    consumerUuid: string,
    r: ResourceRequest,
    group?: GroupPolicyClaim | null,
  ): Promise<boolean> {
    try {
      return await this.k.transaction().execute(async (tx) => {
        const res = await tx
          .updateTable('compute_nodes')
          .set({
            // updated_at moves with every claim and release: schedulers re-read changed rows by it.
            updated_at: dbNow(),
            vcpus_allocated: sql<number>`vcpus_allocated + ${r.vcpus}`,
            memory_mb_allocated: sql<number>`memory_mb_allocated + ${r.memory_mb}`,
            disk_gb_allocated: sql<number>`disk_gb_allocated + ${r.disk_gb}`,
          })
          .where('id', '=', nodeId)
          .where('deleted', '=', 0)
          .where(
            sql<boolean>`vcpus_allocated + ${r.vcpus} <= (vcpus - reserved_vcpus) * cpu_allocation_ratio`,
          )
          .where(
            sql<boolean>`memory_mb_allocated + ${r.memory_mb} <= (memory_mb - reserved_memory_mb) * ram_allocation_ratio`,
          )
          .where(
            sql<boolean>`disk_gb_allocated + ${r.disk_gb} <= (local_gb - reserved_disk_gb) * disk_allocation_ratio`,
          )
          .executeTakeFirst()
        if (Number(res.numUpdatedRows) === 0) return false
        // The UPDATE above holds the node's row lock until commit, so no other claim on this node
        // can pass the group check at the same time (Nova's parallel anti-affinity race).
        if (group && !(await groupAllows(tx, nodeId, consumerUuid, group))) throw new GroupPolicyRefused()
        // Unique per consumer: a second claim for the same instance fails here and rolls back.
        await tx
          .insertInto('allocations')
          .values({
            consumer_uuid: consumerUuid,
            compute_node_id: nodeId,
            ...r,
            instance_group_uuid: group?.uuid ?? null,
            created_at: dbNow(),
          })
          .execute()
        return true
      })
    } catch (err) {
      if (err instanceof GroupPolicyRefused) return false
      const held = await this.allocationNode(consumerUuid)
      if (held !== undefined) return held === nodeId
      throw err
    }
  }

  /** The compute node a consumer's claim is on, if it holds one. */
  async allocationNode(consumerUuid: string): Promise<number | undefined> {
    const row = await this.k
      .selectFrom('allocations')
      .select('compute_node_id')
      .where('consumer_uuid', '=', consumerUuid)
      .executeTakeFirst()
    return row?.compute_node_id
  }

  /** Give a consumer's claim back. Safe to call twice: only the first call releases anything. */
  async release(consumerUuid: string): Promise<void> {
    await this.k.transaction().execute(async (tx) => {
      const alloc = await tx
        .selectFrom('allocations')
        .selectAll()
        .where('consumer_uuid', '=', consumerUuid)
        .executeTakeFirst()
      if (!alloc) return
      const res = await tx.deleteFrom('allocations').where('id', '=', alloc.id).executeTakeFirst()
      if (Number(res.numDeletedRows) === 0) return
      await tx
        .updateTable('compute_nodes')
        .set({
          updated_at: dbNow(),
          vcpus_allocated: sql<number>`vcpus_allocated - ${alloc.vcpus}`,
          memory_mb_allocated: sql<number>`memory_mb_allocated - ${alloc.memory_mb}`,
          disk_gb_allocated: sql<number>`disk_gb_allocated - ${alloc.disk_gb}`,
        })
        .where('id', '=', alloc.compute_node_id)
        .execute()
    })
  }

  /** One live compute node by its integer id (before 2.53) or its uuid (from 2.53). */
  async getBy(key: { id: number } | { uuid: string }): Promise<ComputeNode | undefined> {
    let q = this.k.selectFrom('compute_nodes').selectAll().where('deleted', '=', 0)
    q = 'id' in key ? q.where('id', '=', key.id) : q.where('uuid', '=', key.uuid)
    return q.executeTakeFirst()
  }
}

class GroupPolicyRefused extends Error {}

async function groupAllows(
  tx: Transaction<CellSchema>,
  nodeId: number,
  consumerUuid: string,
  group: GroupPolicyClaim,
): Promise<boolean> {
  const members = tx
    .selectFrom('allocations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('instance_group_uuid', '=', group.uuid)
    .where('consumer_uuid', '!=', consumerUuid)
  if (group.policy === 'anti-affinity') {
    const row = await members.where('compute_node_id', '=', nodeId).executeTakeFirstOrThrow()
    return Number(row.n) < group.maxServerPerHost
  }
  const elsewhere = await members.where('compute_node_id', '!=', nodeId).executeTakeFirstOrThrow()
  return Number(elsewhere.n) === 0
}
