import { randomUUID } from 'node:crypto'
import { type Kysely, sql, type Transaction } from 'kysely'
import type { Aggregate } from '../../objects/aggregate.js'
import { AggregateNameExists, AggregateNotFound } from '../../shared/errors.js'
import { dbNow } from '../../shared/time.js'
import type { Db } from '../connect.js'
import type { ApiSchema } from './schema.js'

type Tx = Kysely<ApiSchema> | Transaction<ApiSchema>

/** Reads and writes of host aggregates, their hosts and metadata (API database). */
export class AggregateStore {
  constructor(private readonly db: Db<ApiSchema>) {}

  private get k(): Kysely<ApiSchema> {
    return this.db.kysely
  }

  /** Every aggregate with its hosts and metadata, in id order. */
  async list(): Promise<Aggregate[]> {
    const [rows, hosts, metadata] = await Promise.all([
      this.k.selectFrom('aggregates').selectAll().orderBy('id').execute(),
      this.k.selectFrom('aggregate_hosts').select(['aggregate_id', 'host']).orderBy('id').execute(),
      this.k
        .selectFrom('aggregate_metadata')
        .select(['aggregate_id', 'key', 'value'])
        .orderBy('id')
        .execute(),
    ])
    const hostsOf = groupBy(hosts)
    const metadataOf = groupBy(metadata)
    return rows.map((r) => assemble(r, hostsOf.get(r.id) ?? [], metadataOf.get(r.id) ?? []))
  }

  async find(id: number): Promise<Aggregate | undefined> {
    return this.findIn(this.k, id)
  }

  async get(id: number): Promise<Aggregate> {
    const a = await this.find(id)
    if (!a) throw new AggregateNotFound(id)
    return a
  }

  /**
   * A cheap fingerprint of every aggregate: it changes whenever one is created, deleted, renamed,
   * or has a host or metadata key added or removed (each bumps its `generation`).
   */
  async stamp(): Promise<string> {
    const row = await this.k
      .selectFrom('aggregates')
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        sql<number>`COALESCE(SUM(generation), 0)`.as('g'),
        sql<number>`COALESCE(SUM(id), 0)`.as('s'),
      ])
      .executeTakeFirst()
    return `${Number(row?.n ?? 0)}:${Number(row?.g ?? 0)}:${Number(row?.s ?? 0)}`
  }

  /** Create an aggregate (with `metadata`, e.g. its availability zone); the name must be new. */
  async create(name: string, metadata: Readonly<Record<string, string>>): Promise<Aggregate> {
    const uuid = randomUUID()
    const now = dbNow()
    try {
      await this.k.transaction().execute(async (tx) => {
        await this.assertNameFree(tx, name)
        await tx
          .insertInto('aggregates')
          .values({ uuid, name, generation: 1, created_at: now, updated_at: null })
          .execute()
        const row = await tx
          .selectFrom('aggregates')
          .select('id')
          .where('uuid', '=', uuid)
          .executeTakeFirstOrThrow()
        const entries = Object.entries(metadata)
        if (entries.length > 0) {
          await tx
            .insertInto('aggregate_metadata')
            .values(
              entries.map(([key, value]) => ({
                aggregate_id: row.id,
                key,
                value,
                created_at: now,
                updated_at: null,
              })),
            )
            .execute()
        }
      })
    } catch (err) {
      if (err instanceof AggregateNameExists) throw err
      // Two creates racing past the check: the unique index decides.
      if (await this.nameTaken(name)) throw new AggregateNameExists(name)
      throw err
    }
    const row = await this.k
      .selectFrom('aggregates')
      .select('id')
      .where('uuid', '=', uuid)
      .executeTakeFirstOrThrow()
    return this.get(row.id)
  }

  /** Rename. */
  async rename(id: number, name: string): Promise<void> {
    try {
      await this.k.transaction().execute(async (tx) => {
        await this.assertNameFree(tx, name, id)
        const res = await tx
          .updateTable('aggregates')
          .set({ name, updated_at: dbNow(), generation: sql<number>`generation + 1` })
          .where('id', '=', id)
          .executeTakeFirst()
        if (Number(res.numUpdatedRows) === 0) throw new AggregateNotFound(id)
      })
    } catch (err) {
      if (err instanceof AggregateNameExists || err instanceof AggregateNotFound) throw err
      if (await this.nameTaken(name, id)) throw new AggregateNameExists(name)
      throw err
    }
  }

  /**
   * Nova's `Aggregate.update_metadata`: a null value removes the key, any other sets it; keys
   * not named are kept.
   */
  async updateMetadata(id: number, changes: Readonly<Record<string, string | null>>): Promise<void> {
    const now = dbNow()
    await this.k.transaction().execute(async (tx) => {
      await this.bump(tx, id, true)
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) {
          await tx
            .deleteFrom('aggregate_metadata')
            .where('aggregate_id', '=', id)
            .where('key', '=', key)
            .execute()
          continue
        }
        const res = await tx
          .updateTable('aggregate_metadata')
          .set({ value, updated_at: now })
          .where('aggregate_id', '=', id)
          .where('key', '=', key)
          .executeTakeFirst()
        if (Number(res.numUpdatedRows) === 0) {
          await tx
            .insertInto('aggregate_metadata')
            .values({ aggregate_id: id, key, value, created_at: now, updated_at: null })
            .execute()
        }
      }
    })
  }

  /** Add a host; false if it was already there. */
  async addHost(id: number, host: string): Promise<boolean> {
    try {
      return await this.k.transaction().execute(async (tx) => {
        await this.bump(tx, id, false)
        const existing = await tx
          .selectFrom('aggregate_hosts')
          .select('id')
          .where('aggregate_id', '=', id)
          .where('host', '=', host)
          .executeTakeFirst()
        if (existing) return false
        await tx
          .insertInto('aggregate_hosts')
          .values({ aggregate_id: id, host, created_at: dbNow(), updated_at: null })
          .execute()
        return true
      })
    } catch (err) {
      if (err instanceof AggregateNotFound) throw err
      // A concurrent add of the same host: the unique index refused ours.
      const again = await this.find(id)
      if (again?.hosts.includes(host)) return false
      throw err
    }
  }

  /** Remove a host; false if it was not there. */
  async removeHost(id: number, host: string): Promise<boolean> {
    return this.k.transaction().execute(async (tx) => {
      await this.bump(tx, id, false)
      const res = await tx
        .deleteFrom('aggregate_hosts')
        .where('aggregate_id', '=', id)
        .where('host', '=', host)
        .executeTakeFirst()
      return Number(res.numDeletedRows) > 0
    })
  }

  /** Delete an aggregate that has no hosts; false if it was already gone. */
  async delete(id: number): Promise<boolean> {
    return this.k.transaction().execute(async (tx) => {
      await tx.deleteFrom('aggregate_metadata').where('aggregate_id', '=', id).execute()
      await tx.deleteFrom('aggregate_hosts').where('aggregate_id', '=', id).execute()
      const res = await tx.deleteFrom('aggregates').where('id', '=', id).executeTakeFirst()
      return Number(res.numDeletedRows) > 0
    })
  }

  private async findIn(k: Tx, id: number): Promise<Aggregate | undefined> {
    const row = await k.selectFrom('aggregates').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) return undefined
    const [hosts, metadata] = await Promise.all([
      k
        .selectFrom('aggregate_hosts')
        .select(['aggregate_id', 'host'])
        .where('aggregate_id', '=', id)
        .orderBy('id')
        .execute(),
      k
        .selectFrom('aggregate_metadata')
        .select(['aggregate_id', 'key', 'value'])
        .where('aggregate_id', '=', id)
        .orderBy('id')
        .execute(),
    ])
    return assemble(row, hosts, metadata)
  }

  /** Move the aggregate's generation (and, for name or metadata changes, updated_at). */
  private async bump(tx: Tx, id: number, touch: boolean): Promise<void> {
    const res = await tx
      .updateTable('aggregates')
      .set(
        touch
          ? { generation: sql<number>`generation + 1`, updated_at: dbNow() }
          : { generation: sql<number>`generation + 1` },
      )
      .where('id', '=', id)
      .executeTakeFirst()
    if (Number(res.numUpdatedRows) === 0) throw new AggregateNotFound(id)
  }

  private async assertNameFree(k: Tx, name: string, except?: number): Promise<void> {
    let q = k.selectFrom('aggregates').select('id').where('name', '=', name)
    if (except !== undefined) q = q.where('id', '!=', except)
    if (await q.executeTakeFirst()) throw new AggregateNameExists(name)
  }

  private async nameTaken(name: string, except?: number): Promise<boolean> {
    let q = this.k.selectFrom('aggregates').select('id').where('name', '=', name)
    if (except !== undefined) q = q.where('id', '!=', except)
    return (await q.executeTakeFirst()) !== undefined
  }
}

function assemble(
  r: { id: number; uuid: string; name: string; created_at: string | null; updated_at: string | null },
  hosts: readonly { aggregate_id: number; host: string }[],
  metadata: readonly { aggregate_id: number; key: string; value: string }[],
): Aggregate {
  return {
    id: r.id,
    uuid: r.uuid,
    name: r.name,
    hosts: hosts.map((h) => h.host),
    metadata: Object.fromEntries(metadata.map((m) => [m.key, m.value])),
    created_at: r.created_at,
    updated_at: r.updated_at,
  }
}

function groupBy<T extends { aggregate_id: number }>(rows: readonly T[]): Map<number, T[]> {
  const out = new Map<number, T[]>()
  for (const r of rows) {
    const list = out.get(r.aggregate_id)
    if (list) list.push(r)
    else out.set(r.aggregate_id, [r])
  }
  return out
}
