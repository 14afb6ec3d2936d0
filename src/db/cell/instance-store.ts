import {
  type ExpressionBuilder,
  type Insertable,
  type Kysely,
  type RawBuilder,
  type Selectable,
  sql,
  type Transaction,
} from 'kysely'
import type { Flavor } from '../../objects/flavor.js'
import {
  type Instance,
  type InstanceFault,
  type InstanceUpdates,
  type NewFault,
  type NewInstance,
  SystemMetadataKey,
} from '../../objects/instance.js'
import {
  type InstancePageQuery,
  NULL_SORT_VALUE,
  SORT_COLUMNS,
  type SortColumn,
  type SortValue,
} from '../../objects/instance-list.js'
import { VmState } from '../../objects/states.js'
import {
  InstanceNotFound,
  UnexpectedDeletingTaskStateError,
  UnexpectedTaskStateError,
  UnexpectedVmStateError,
} from '../../shared/errors.js'
import { dbNow } from '../../shared/time.js'
import type { Db } from '../connect.js'
import type { CellSchema, InstancesTable } from './schema.js'

/** The state of instances whose work the conductor's re-drive looks for. */
export interface StalledState {
  /** The task_state, or any of several. */
  readonly taskState: string | readonly string[]
  readonly vmState?: string
}

/** A stalled instance and how many times its work was re-driven already. */
export interface StalledInstance {
  readonly instance: Instance
  readonly redrives: number
}

/** Live, in `state`, and unchanged since `before`. */
function stalledIn(eb: ExpressionBuilder<CellSchema, 'instances'>, state: StalledState, before: string) {
  return eb.and([
    eb('deleted', '=', 0),
    typeof state.taskState === 'string'
      ? eb('task_state', '=', state.taskState)
      : eb('task_state', 'in', [...state.taskState]),
    eb('updated_at', '<', before),
    ...(state.vmState ? [eb('vm_state', '=', state.vmState)] : []),
  ])
}

/** The instances of one cell and their faults. */
export class InstanceStore {
  constructor(private readonly db: Db<CellSchema>) {}

  private get k() {
    return this.db.kysely
  }

  /**
   * Insert a new instance; `created` is false when it already existed (a duplicate request). A
   * fault given is written in the same transaction, so an instance born in ERROR is never seen
   * without the fault that says why.
   */
  async create(n: NewInstance, fault?: NewFault): Promise<{ instance: Instance; created: boolean }> {
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
      const existing = await this.find(n.uuid, true)
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

  async find(uuid: string, withDeleted = false): Promise<Instance | undefined> {
    let q = this.k.selectFrom('instances').selectAll().where('uuid', '=', uuid)
    if (!withDeleted) q = q.where('deleted', '=', 0)
    const row = await q.executeTakeFirst()
    if (!row) return undefined
    const [instance] = await this.withFaults([row])
    return instance
  }

  async get(uuid: string, withDeleted = false): Promise<Instance> {
    const instance = await this.find(uuid, withDeleted)
    if (!instance) throw new InstanceNotFound(uuid)
    return instance
  }

  async list(filter: { projectId?: string | null; host?: string } = {}): Promise<Instance[]> {
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
  async update(
    uuid: string,
    updates: InstanceUpdates,
    expectedTaskState?: readonly (string | null)[],
    expectedVmState?: string,
  ): Promise<void> {
    // A new task starts its re-drive count afresh.
    const count = updates.task_state !== undefined ? { redrive_count: 0 } : {}
    let q = this.k
      .updateTable('instances')
      .set({ ...updates, ...count, updated_at: dbNow() })
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
    const current = await this.get(uuid)
    if (expectedTaskState && !expectedTaskState.includes(current.task_state)) {
      const Err =
        current.task_state === 'deleting' ? UnexpectedDeletingTaskStateError : UnexpectedTaskStateError
      throw new Err(uuid, expectedTaskState, current.task_state)
    }
    if (expectedVmState && current.vm_state !== expectedVmState) {
      throw new UnexpectedVmStateError(uuid, expectedVmState, current.vm_state)
    }
    if (expectedTaskState) {
      // It matched when read again: a change in between, which lost the race all the same.
      throw new UnexpectedTaskStateError(uuid, expectedTaskState, current.task_state)
    }
  }

  /**
   * Live instances in `state` unchanged since `before` (stored-format time), oldest first: work
   * whose message may have been lost, for the conductor's re-drive.
   */
  async listStalled(state: StalledState, before: string, limit: number): Promise<StalledInstance[]> {
    const rows = await this.k
      .selectFrom('instances')
      .selectAll()
      .where((eb) => stalledIn(eb, state, before))
      .orderBy('updated_at')
      .orderBy('id')
      .limit(limit)
      .execute()
    const instances = await this.withFaults(rows)
    return instances.map((instance, i) => ({ instance, redrives: rows[i]!.redrive_count }))
  }

  /**
   * Mark a stalled instance as re-driven now; false if it changed since `before` or left `state`.
   * Of several conductors re-driving at once, one wins each instance.
   */
  async touchStalled(uuid: string, state: StalledState, before: string): Promise<boolean> {
    const res = await this.k
      .updateTable('instances')
      .set({ updated_at: dbNow(), redrive_count: sql<number>`redrive_count + 1` })
      .where('uuid', '=', uuid)
      .where((eb) => stalledIn(eb, state, before))
      .executeTakeFirst()
    return Number(res.numUpdatedRows) > 0
  }

  /** Soft-delete the row (Nova sets `deleted = id`), so it no longer shows but stays for audit. */
  async destroy(uuid: string): Promise<boolean> {
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

  /**
   * Lock or unlock (Nova's `lock` / `unlock`): `locked_by` is `owner` or `admin`, or null to
   * unlock; the reason goes into system metadata, whose other keys are kept. No task_state is
   * compared: a lock may be taken whatever the server is doing.
   */
  async setLock(
    uuid: string,
    lock: { lockedBy: 'owner' | 'admin'; reason: string | null } | null,
  ): Promise<void> {
    await this.k.transaction().execute(async (tx) => {
      let read = tx
        .selectFrom('instances')
        .select('system_metadata')
        .where('uuid', '=', uuid)
        .where('deleted', '=', 0)
      // Read and write under the row's lock, so a concurrent change of other keys is not lost.
      if (this.db.dialect !== 'sqlite') read = read.forUpdate()
      const row = await read.executeTakeFirst()
      if (!row) throw new InstanceNotFound(uuid)
      const sysmeta = JSON.parse(row.system_metadata ?? '{}') as Record<string, string>
      if (!lock) delete sysmeta[SystemMetadataKey.LOCKED_REASON]
      else if (lock.reason) sysmeta[SystemMetadataKey.LOCKED_REASON] = lock.reason
      await tx
        .updateTable('instances')
        .set({
          locked: lock !== null,
          locked_by: lock?.lockedBy ?? null,
          system_metadata: JSON.stringify(sysmeta),
          updated_at: dbNow(),
        })
        .where('uuid', '=', uuid)
        .where('deleted', '=', 0)
        .execute()
    })
  }

  /**
   * One page of servers, filtered and sorted in SQL, starting after the `after` sort values
   * (keyset paging: no offset, so a page costs the same wherever it is).
   */
  async listPage(q: InstancePageQuery): Promise<Instance[]> {
    if (q.limit <= 0) return []
    const f = q.filters
    let query = this.k.selectFrom('instances').selectAll()
    if (f.deleted === true) query = query.where('deleted', '!=', 0)
    else if (f.deleted === false) query = query.where('deleted', '=', 0)
    if (f.projectId !== undefined) query = query.where('project_id', '=', f.projectId)
    if (f.userId !== undefined) query = query.where('user_id', '=', f.userId)
    if (f.host !== undefined) query = query.where('host', '=', f.host)
    if (f.node !== undefined) query = query.where('node', '=', f.node)
    if (f.reservationId !== undefined) query = query.where('reservation_id', '=', f.reservationId)
    if (f.imageRef !== undefined) query = query.where('image_ref', '=', f.imageRef)
    if (f.flavorPk !== undefined) query = query.where('instance_type_id', '=', f.flavorPk)
    if (f.uuid !== undefined) query = query.where('uuid', '=', f.uuid)
    if (f.locked !== undefined) query = query.where('locked', '=', f.locked)
    if (f.availabilityZone !== undefined) query = query.where('availability_zone', '=', f.availabilityZone)
    if (f.vmStates) query = query.where('vm_state', 'in', f.vmStates.length ? [...f.vmStates] : [''])
    const taskStates = f.taskStates
    if (taskStates) {
      query = query.where((eb) => {
        const named = taskStates.filter((t): t is string => t !== null)
        return eb.or([
          ...(named.length > 0 ? [eb('task_state', 'in', named)] : []),
          ...(taskStates.includes(null) ? [eb('task_state', 'is', null)] : []),
        ])
      })
    }
    if (f.changesSince !== undefined) query = query.where('updated_at', '>=', f.changesSince)
    if (f.changesBefore !== undefined) query = query.where('updated_at', '<=', f.changesBefore)
    const exprs = q.sort.map((s) => this.sortExpression(s.key))
    const after = q.after
    if (after) {
      query = query.where((eb) =>
        eb.or(
          q.sort.map((s, i) =>
            eb.and([
              ...exprs.slice(0, i).map((e, j) => eb(e, '=', after[j]!)),
              eb(exprs[i]!, s.dir === 'asc' ? '>' : '<', after[i]!),
            ]),
          ),
        ),
      )
    }
    for (const [i, s] of q.sort.entries()) query = query.orderBy(exprs[i]!, s.dir)
    const rows = await query.limit(q.limit).execute()
    return this.withFaults(rows)
  }

  /**
   * A sort key as SQL orders and compares it, the same way in every dialect and as
   * `compareSortValues` does: nulls as the kind's lowest value, text in binary order.
   */
  private sortExpression(key: SortColumn): RawBuilder<SortValue> {
    const kind = SORT_COLUMNS[key]
    const column = sql.ref(key)
    if (key === 'id' || key === 'uuid') return sql<SortValue>`${column}`
    const valued = sql<SortValue>`COALESCE(${column}, ${NULL_SORT_VALUE[kind]})`
    if (kind !== 'text') return valued
    if (this.db.dialect === 'mysql') return sql<SortValue>`${valued} COLLATE utf8mb4_bin`
    if (this.db.dialect === 'postgres') return sql<SortValue>`${valued} COLLATE "C"`
    return valued
  }

  /** The hosts these live instances run on (each once; instances without a host add none). */
  async hostsOf(uuids: readonly string[]): Promise<string[]> {
    const hosts = new Set<string>()
    for (let i = 0; i < uuids.length; i += 500) {
      const rows = await this.k
        .selectFrom('instances')
        .select('host')
        .where('uuid', 'in', uuids.slice(i, i + 500))
        .where('deleted', '=', 0)
        .execute()
      for (const r of rows) if (r.host) hosts.add(r.host)
    }
    return [...hosts]
  }

  /** Live instances on these hosts (Nova's `InstanceList.get_count_by_hosts`). */
  async countByHosts(hosts: readonly string[]): Promise<number> {
    if (hosts.length === 0) return 0
    const row = await this.k
      .selectFrom('instances')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('deleted', '=', 0)
      .where('host', 'in', [...hosts])
      .executeTakeFirst()
    return Number(row?.n ?? 0)
  }
}

/** Columns a new instance row starts without. */
const nullInstanceColumns = {
  redrive_count: 0,
  launched_at: null,
  terminated_at: null,
  locked_by: null,
  system_metadata: null,
  root_device_name: null,
} as const

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
    system_metadata: JSON.parse(r.system_metadata ?? '{}') as Record<string, string>,
    root_device_name: r.root_device_name,
    launched_at: r.launched_at,
    terminated_at: r.terminated_at,
    created_at: r.created_at,
    updated_at: r.updated_at,
    deleted: r.deleted !== 0,
    fault,
  }
}
