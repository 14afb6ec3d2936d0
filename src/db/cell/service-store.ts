import { randomUUID } from 'node:crypto'
import { type Selectable, sql } from 'kysely'
import type { ServiceRecord } from '../../objects/service.js'
import { dbNow } from '../../shared/time.js'
import type { Db } from '../connect.js'
import type { CellSchema, ServicesTable } from './schema.js'

/** The services of one cell: registration, heartbeats, and the admin's changes. */
export class ServiceStore {
  constructor(private readonly db: Db<CellSchema>) {}

  private get k() {
    return this.db.kysely
  }

  async getOrCreate(s: {
    host: string
    binary: string
    topic: string
    version: number
  }): Promise<ServiceRecord> {
    const existing = await this.find(s.host, s.binary)
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
      const raced = await this.find(s.host, s.binary)
      if (raced) return raced
      throw err
    }
    return (await this.find(s.host, s.binary))!
  }

  async find(host: string, binary: string): Promise<ServiceRecord | undefined> {
    const row = await this.k
      .selectFrom('services')
      .selectAll()
      .where('host', '=', host)
      .where('binary', '=', binary)
      .where('deleted', '=', 0)
      .executeTakeFirst()
    return row ? toService(row) : undefined
  }

  async list(filter: { host?: string; binary?: string } = {}): Promise<ServiceRecord[]> {
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
  async reportStates(serviceIds: readonly number[]): Promise<void> {
    if (serviceIds.length === 0) return
    const now = dbNow()
    await this.k
      .updateTable('services')
      .set({ report_count: sql<number>`report_count + 1`, last_seen_up: now, updated_at: now })
      .where('id', 'in', serviceIds)
      .where('deleted', '=', 0)
      .execute()
  }

  /** One live service by its integer id (before 2.53) or its uuid (from 2.53). */
  async getBy(key: { id: number } | { uuid: string }): Promise<ServiceRecord | undefined> {
    let q = this.k.selectFrom('services').selectAll().where('deleted', '=', 0)
    q = 'id' in key ? q.where('id', '=', key.id) : q.where('uuid', '=', key.uuid)
    const row = await q.executeTakeFirst()
    return row ? toService(row) : undefined
  }

  /**
   * An admin's change to a service (enable/disable, forced_down). Moves updated_at but never
   * last_seen_up: only a heartbeat says a service is alive.
   */
  async update(
    serviceId: number,
    values: { disabled?: boolean; disabled_reason?: string | null; forced_down?: boolean },
  ): Promise<ServiceRecord | undefined> {
    await this.k
      .updateTable('services')
      .set({ ...values, updated_at: dbNow() })
      .where('id', '=', serviceId)
      .where('deleted', '=', 0)
      .execute()
    return this.getBy({ id: serviceId })
  }

  /**
   * Soft-delete a service, as Nova's `service_destroy`: a nova-compute takes its compute nodes
   * with it (matched by service_id or host; `mapped` reset, `updated_at` kept). False if unknown.
   */
  async destroy(serviceId: number): Promise<boolean> {
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
}

function toService(row: Selectable<ServicesTable>): ServiceRecord {
  return { ...row, disabled: Boolean(row.disabled), forced_down: Boolean(row.forced_down) }
}
