import { randomUUID } from 'node:crypto'
import {
  type ExpressionBuilder,
  type Insertable,
  type Kysely,
  type Selectable,
  sql,
  type Transaction,
} from 'kysely'
import type { ComputeNode, ComputeNodeReport, ResourceRequest } from '../../objects/compute-node.js'
import type { Flavor } from '../../objects/flavor.js'
import type {
  GroupPolicyClaim,
  Instance,
  InstanceFault,
  InstanceUpdates,
  NewFault,
  NewInstance,
} from '../../objects/instance.js'
import type { ServiceRecord } from '../../objects/service.js'
import { VmState } from '../../objects/states.js'
import {
  InstanceNotFound,
  UnexpectedDeletingTaskStateError,
  UnexpectedTaskStateError,
} from '../../shared/errors.js'
import { dbNow } from '../../shared/time.js'
import type { Db } from '../connect.js'
import { InstanceActionStore } from './instance-action-store.js'
import type { CellSchema, InstancesTable, ServicesTable } from './schema.js'

/** The state of instances whose work the conductor's re-drive looks for. */
export interface StalledState {
  readonly taskState: string
  readonly vmState?: string
}

/** Live, in `state`, and unchanged since `before`. */
function stalledIn(eb: ExpressionBuilder<CellSchema, 'instances'>, state: StalledState, before: string) {
  return eb.and([
    eb('deleted', '=', 0),
    eb('task_state', '=', state.taskState),
    eb('updated_at', '<', before),
    ...(state.vmState ? [eb('vm_state', '=', state.vmState)] : []),
  ])
}

/** Reads and writes of one cell's database. Only conductor, scheduler and api hold one. */
export class CellStore {
  /** What happened to each instance, at whose request (`os-instance-actions`). */
  readonly actions: InstanceActionStore

  constructor(readonly db: Db<CellSchema>) {
    this.actions = new InstanceActionStore(db)
  }

  private get k() {
    return this.db.kysely
  }

  // --- instances

  /**
   * Insert a new instance; `created` is false when it already existed (a duplicate request). A
   * fault given is written in the same transaction, so an instance born in ERROR is never seen
   * without the fault that says why.
   */
  async createInstance(n: NewInstance, fault?: NewFault): Promise<{ instance: Instance; created: boolean }> {
    const { flavor, metadata, ...rest } = n
    const values = {
      ...rest,
      power_state: 0,
      instance_type_id: flavor.id,
      flavor: JSON.stringify(flavor),
      metadata: JSON.stringify(metadata),
      memory_mb: flavor.memory_mb,
      vcpus: flavor.vcpus,
      root_gb: flavor.root_gb,
      ephemeral_gb: flavor.ephemeral_gb,
      launched_on: n.host,
      progress: 0,
      locked: false,
      // Now, not the request's created_at: the conductor's re-drive measures a stall from here.
      updated_at: dbNow(),
    }
    let id: number
    try {
      id = fault
        ? await this.k.transaction().execute(async (tx) => {
            const inserted = await this.insertReturningId(tx, values)
            await insertFault(tx, n.uuid, fault)
            return inserted
          })
        : await this.insertReturningId(this.k, values)
    } catch (err) {
      // Already there (a redelivered build message): return it as it is.
      const existing = await this.findInstance(n.uuid, true)
      if (existing) return { instance: existing, created: false }
      throw err
    }
    return {
      instance: toInstance({ ...nullInstanceColumns, ...values, id, deleted: 0, deleted_at: null }, null),
      created: true,
    }
  }

  private async insertReturningId(
    db: Kysely<CellSchema> | Transaction<CellSchema>,
    values: Insertable<InstancesTable>,
  ): Promise<number> {
    if (this.db.dialect === 'postgres') {
      const row = await db.insertInto('instances').values(values).returning('id').executeTakeFirstOrThrow()
      return row.id
    }
    const res = await db.insertInto('instances').values(values).executeTakeFirstOrThrow()
    return Number(res.insertId)
  }

  async findInstance(uuid: string, withDeleted = false): Promise<Instance | undefined> {
    let q = this.k.selectFrom('instances').selectAll().where('uuid', '=', uuid)
    if (!withDeleted) q = q.where('deleted', '=', 0)
    const row = await q.executeTakeFirst()
    if (!row) return undefined
    const [instance] = await this.withFaults([row])
    return instance
  }

  async getInstance(uuid: string, withDeleted = false): Promise<Instance> {
    const instance = await this.findInstance(uuid, withDeleted)
    if (!instance) throw new InstanceNotFound(uuid)
    return instance
  }

  async listInstances(filter: { projectId?: string | null; host?: string } = {}): Promise<Instance[]> {
    let q = this.k.selectFrom('instances').selectAll().where('deleted', '=', 0)
    if (filter.projectId) q = q.where('project_id', '=', filter.projectId)
    if (filter.host) q = q.where('host', '=', filter.host)
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute()
    return this.withFaults(rows)
  }

  private async withFaults(rows: Selectable<InstancesTable>[]): Promise<Instance[]> {
    const erroring = rows.filter((r) => r.vm_state === VmState.ERROR || r.vm_state === VmState.DELETED)
    const faults = new Map<string, InstanceFault>()
    if (erroring.length > 0) {
      const faultRows = await this.k
        .selectFrom('instance_faults')
        .selectAll()
        .where(
          'instance_uuid',
          'in',
          erroring.map((r) => r.uuid),
        )
        .orderBy('id', 'desc')
        .execute()
      for (const f of faultRows) {
        if (!faults.has(f.instance_uuid)) {
          faults.set(f.instance_uuid, {
            code: f.code,
            message: f.message,
            details: f.details,
            host: f.host,
            created_at: f.created_at,
          })
        }
      }
    }
    return rows.map((r) => toInstance(r, faults.get(r.uuid) ?? null))
  }

  /**
   * Write state changes, compare-and-swap on task_state as Nova's `instance.save(expected_task_state=…)`:
   * the write happens only if task_state is one of `expectedTaskState`, otherwise it raises.
   */
  async updateInstance(
    uuid: string,
    updates: InstanceUpdates,
    expectedTaskState?: readonly (string | null)[],
    expectedVmState?: string,
  ): Promise<void> {
    let q = this.k
      .updateTable('instances')
      .set({ ...updates, updated_at: dbNow() })
      .where('uuid', '=', uuid)
      .where('deleted', '=', 0)
    if (expectedVmState) q = q.where('vm_state', '=', expectedVmState)
    if (expectedTaskState) {
      const values = expectedTaskState.filter((s): s is string => s !== null)
      const allowNull = expectedTaskState.includes(null)
      q = q.where((eb) => {
        const ors = []
        if (values.length > 0) ors.push(eb('task_state', 'in', values))
        if (allowNull) ors.push(eb('task_state', 'is', null))
        return eb.or(ors)
      })
    }
    const res = await q.executeTakeFirst()
    if (Number(res.numUpdatedRows) > 0) return
    // Nothing matched: say why (gone, or another task got there first).
    const current = await this.getInstance(uuid)
    if (expectedTaskState) {
      const Err =
        current.task_state === 'deleting' ? UnexpectedDeletingTaskStateError : UnexpectedTaskStateError
      throw new Err(uuid, expectedTaskState, current.task_state)
    }
  }

  /**
   * Live instances in `state` unchanged since `before` (stored-format time), oldest first: work
   * whose message may have been lost, for the conductor's re-drive.
   */
  async listStalledInstances(state: StalledState, before: string, limit: number): Promise<Instance[]> {
    const rows = await this.k
      .selectFrom('instances')
      .selectAll()
      .where((eb) => stalledIn(eb, state, before))
      .orderBy('updated_at')
      .orderBy('id')
      .limit(limit)
      .execute()
    return this.withFaults(rows)
  }

  /**
   * Mark a stalled instance as re-driven now; false if it changed since `before` or left `state`.
   * Of several conductors re-driving at once, one wins each instance.
   */
  async touchStalledInstance(uuid: string, state: StalledState, before: string): Promise<boolean> {
    const res = await this.k
      .updateTable('instances')
      .set({ updated_at: dbNow() })
      .where('uuid', '=', uuid)
      .where((eb) => stalledIn(eb, state, before))
      .executeTakeFirst()
    return Number(res.numUpdatedRows) > 0
  }

  /** Soft-delete the row (Nova sets `deleted = id`), so it no longer shows but stays for audit. */
  async destroyInstance(uuid: string): Promise<boolean> {
    const now = dbNow()
    const res = await this.k
      .updateTable('instances')
      .set({
        deleted: sql<number>`id`,
        deleted_at: now,
        terminated_at: now,
        vm_state: VmState.DELETED,
        task_state: null,
        power_state: 0,
        updated_at: now,
      })
      .where('uuid', '=', uuid)
      .where('deleted', '=', 0)
      .executeTakeFirst()
    return Number(res.numUpdatedRows) > 0
  }

  async addFault(uuid: string, fault: NewFault): Promise<void> {
    await insertFault(this.k, uuid, fault)
  }

  // --- services

  async getOrCreateService(s: {
    host: string
    binary: string
    topic: string
    version: number
  }): Promise<ServiceRecord> {
    const existing = await this.findService(s.host, s.binary)
    if (existing) {
      if (existing.version !== s.version) {
        await this.k
          .updateTable('services')
          .set({ version: s.version })
          .where('id', '=', existing.id)
          .execute()
      }
      return { ...existing, version: s.version }
    }
    const now = dbNow()
    try {
      await this.k
        .insertInto('services')
        .values({
          uuid: randomUUID(),
          host: s.host,
          binary: s.binary,
          topic: s.topic,
          report_count: 0,
          disabled: false,
          disabled_reason: null,
          last_seen_up: null,
          forced_down: false,
          version: s.version,
          created_at: now,
          updated_at: null,
          deleted_at: null,
        })
        .execute()
    } catch (err) {
      // Two processes of one host started together: the other one created the row.
      const raced = await this.findService(s.host, s.binary)
      if (raced) return raced
      throw err
    }
    return (await this.findService(s.host, s.binary))!
  }

  async findService(host: string, binary: string): Promise<ServiceRecord | undefined> {
    const row = await this.k
      .selectFrom('services')
      .selectAll()
      .where('host', '=', host)
      .where('binary', '=', binary)
      .where('deleted', '=', 0)
      .executeTakeFirst()
    return row ? toService(row) : undefined
  }

  async listServices(filter: { host?: string; binary?: string } = {}): Promise<ServiceRecord[]> {
    let q = this.k.selectFrom('services').selectAll().where('deleted', '=', 0)
    if (filter.host) q = q.where('host', '=', filter.host)
    if (filter.binary) q = q.where('binary', '=', filter.binary)
    const rows = await q.orderBy('id').execute()
    return rows.map(toService)
  }

  /**
   * Heartbeats: bump report_count and last_seen_up of many services in one statement (only a
   * report moves last_seen_up, so an admin's update never fakes liveness).
   */
  async reportServiceStates(serviceIds: readonly number[]): Promise<void> {
    if (serviceIds.length === 0) return
    const now = dbNow()
    await this.k
      .updateTable('services')
      .set({ report_count: sql<number>`report_count + 1`, last_seen_up: now, updated_at: now })
      .where('id', 'in', serviceIds)
      .where('deleted', '=', 0)
      .execute()
  }

  // --- compute nodes and claims

  /** Record a compute host's report; creates its node on first report. */
  async updateComputeNode(serviceId: number, report: ComputeNodeReport): Promise<ComputeNode> {
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
        if (!(await this.findComputeNode(report.host, report.hypervisor_hostname))) throw err
      }
    }
    return (await this.findComputeNode(report.host, report.hypervisor_hostname))!
  }

  async findComputeNode(host: string, nodename: string): Promise<ComputeNode | undefined> {
    return this.k
      .selectFrom('compute_nodes')
      .selectAll()
      .where('host', '=', host)
      .where('hypervisor_hostname', '=', nodename)
      .where('deleted', '=', 0)
      .executeTakeFirst()
  }

  async listComputeNodes(): Promise<ComputeNode[]> {
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

  // --- services and compute nodes, for the admin APIs (os-services, os-hypervisors)

  /** One live service by its integer id (before 2.53) or its uuid (from 2.53). */
  async getServiceBy(key: { id: number } | { uuid: string }): Promise<ServiceRecord | undefined> {
    let q = this.k.selectFrom('services').selectAll().where('deleted', '=', 0)
    q = 'id' in key ? q.where('id', '=', key.id) : q.where('uuid', '=', key.uuid)
    const row = await q.executeTakeFirst()
    return row ? toService(row) : undefined
  }

  /**
   * An admin's change to a service (enable/disable, forced_down). Moves updated_at but never
   * last_seen_up: only a heartbeat says a service is alive.
   */
  async updateService(
    serviceId: number,
    values: { disabled?: boolean; disabled_reason?: string | null; forced_down?: boolean },
  ): Promise<ServiceRecord | undefined> {
    await this.k
      .updateTable('services')
      .set({ ...values, updated_at: dbNow() })
      .where('id', '=', serviceId)
      .where('deleted', '=', 0)
      .execute()
    return this.getServiceBy({ id: serviceId })
  }

  /**
   * Soft-delete a service, as Nova's `service_destroy`: a nova-compute takes its compute nodes
   * with it (matched by service_id or host; `mapped` reset, `updated_at` kept). False if unknown.
   */
  async destroyService(serviceId: number): Promise<boolean> {
    return this.k.transaction().execute(async (tx) => {
      const service = await tx
        .selectFrom('services')
        .selectAll()
        .where('id', '=', serviceId)
        .where('deleted', '=', 0)
        .executeTakeFirst()
      if (!service) return false
      const now = dbNow()
      const res = await tx
        .updateTable('services')
        .set({ deleted: sql<number>`id`, deleted_at: now })
        .where('id', '=', serviceId)
        .where('deleted', '=', 0)
        .executeTakeFirst()
      if (Number(res.numUpdatedRows) === 0) return false
      if (service.binary === 'nova-compute') {
        await tx
          .updateTable('compute_nodes')
          .set({ deleted: sql<number>`id`, deleted_at: now, mapped: 0 })
          .where('deleted', '=', 0)
          .where((eb) => eb.or([eb('service_id', '=', serviceId), eb('host', '=', service.host)]))
          .execute()
      }
      return true
    })
  }

  /** Live instances on these hosts (Nova's `InstanceList.get_count_by_hosts`). */
  async countInstancesByHosts(hosts: readonly string[]): Promise<number> {
    if (hosts.length === 0) return 0
    const row = await this.k
      .selectFrom('instances')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('deleted', '=', 0)
      .where('host', 'in', [...hosts])
      .executeTakeFirst()
    return Number(row?.n ?? 0)
  }

  /** One live compute node by its integer id (before 2.53) or its uuid (from 2.53). */
  async getComputeNodeBy(key: { id: number } | { uuid: string }): Promise<ComputeNode | undefined> {
    let q = this.k.selectFrom('compute_nodes').selectAll().where('deleted', '=', 0)
    q = 'id' in key ? q.where('id', '=', key.id) : q.where('uuid', '=', key.uuid)
    return q.executeTakeFirst()
  }

  async close(): Promise<void> {
    await this.k.destroy()
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

/** Columns a new instance row starts without. */
const nullInstanceColumns = {
  launched_at: null,
  terminated_at: null,
  locked_by: null,
  root_device_name: null,
} as const

function toService(row: Selectable<ServicesTable>): ServiceRecord {
  return { ...row, disabled: Boolean(row.disabled), forced_down: Boolean(row.forced_down) }
}

async function insertFault(
  db: Kysely<CellSchema> | Transaction<CellSchema>,
  uuid: string,
  fault: NewFault,
): Promise<void> {
  await db
    .insertInto('instance_faults')
    .values({
      instance_uuid: uuid,
      code: fault.code,
      message: fault.message.slice(0, 255),
      details: fault.details ?? null,
      host: fault.host ?? null,
      created_at: dbNow(),
      updated_at: null,
      deleted_at: null,
    })
    .execute()
}

function toInstance(r: Selectable<InstancesTable>, fault: InstanceFault | null): Instance {
  return {
    id: r.id,
    uuid: r.uuid,
    user_id: r.user_id,
    project_id: r.project_id,
    display_name: r.display_name,
    display_description: r.display_description,
    hostname: r.hostname,
    vm_state: r.vm_state,
    task_state: r.task_state,
    power_state: r.power_state,
    host: r.host,
    node: r.node,
    image_ref: r.image_ref,
    flavor: JSON.parse(r.flavor ?? '{}') as Flavor,
    availability_zone: r.availability_zone,
    reservation_id: r.reservation_id,
    launch_index: r.launch_index,
    key_name: r.key_name,
    user_data: r.user_data,
    metadata: JSON.parse(r.metadata ?? '{}') as Record<string, string>,
    config_drive: r.config_drive,
    access_ip_v4: r.access_ip_v4,
    access_ip_v6: r.access_ip_v6,
    progress: r.progress,
    locked: Boolean(r.locked),
    locked_by: r.locked_by,
    root_device_name: r.root_device_name,
    launched_at: r.launched_at,
    terminated_at: r.terminated_at,
    created_at: r.created_at,
    updated_at: r.updated_at,
    deleted: r.deleted !== 0,
    fault,
  }
}
