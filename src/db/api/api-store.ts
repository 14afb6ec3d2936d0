import type { Selectable } from 'kysely'
import type { Flavor } from '../../objects/flavor.js'
import { DEFAULT_FLAVORS } from '../../objects/flavor.js'
import type { BuildRequestInstance, RequestSpec } from '../../objects/instance.js'
import { FlavorNotFound } from '../../shared/errors.js'
import { dbNow } from '../../shared/time.js'
import type { Db } from '../connect.js'
import type { ApiSchema, FlavorsTable } from './schema.js'

export interface CellMapping {
  readonly id: number
  readonly uuid: string
  readonly name: string | null
  readonly transport_url: string
  readonly database_connection: string
  readonly disabled: boolean
}

/** cell0 always has this uuid: the cell of instances that never got a host. */
export const CELL0_UUID = '00000000-0000-0000-0000-000000000000'

/** Reads and writes of the API database. */
export class ApiStore {
  constructor(readonly db: Db<ApiSchema>) {}

  private get k() {
    return this.db.kysely
  }

  // --- flavors

  async listFlavors(options: { isPublic?: boolean | null } = {}): Promise<Flavor[]> {
    let q = this.k.selectFrom('flavors').selectAll().orderBy('flavorid')
    if (options.isPublic != null) q = q.where('is_public', '=', options.isPublic)
    const rows = await q.execute()
    return this.withExtraSpecs(rows)
  }

  async getFlavor(flavorid: string): Promise<Flavor> {
    const row = await this.k
      .selectFrom('flavors')
      .selectAll()
      .where('flavorid', '=', flavorid)
      .executeTakeFirst()
    if (!row) throw new FlavorNotFound(flavorid)
    const [flavor] = await this.withExtraSpecs([row])
    return flavor!
  }

  private async withExtraSpecs(rows: Selectable<FlavorsTable>[]): Promise<Flavor[]> {
    if (rows.length === 0) return []
    const specs = await this.k
      .selectFrom('flavor_extra_specs')
      .selectAll()
      .where(
        'flavor_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute()
    return rows.map((r) => ({
      id: r.id,
      flavorid: r.flavorid,
      name: r.name,
      memory_mb: r.memory_mb,
      vcpus: r.vcpus,
      root_gb: r.root_gb,
      ephemeral_gb: r.ephemeral_gb,
      swap: r.swap,
      rxtx_factor: Number(r.rxtx_factor),
      vcpu_weight: r.vcpu_weight,
      disabled: Boolean(r.disabled),
      is_public: Boolean(r.is_public),
      description: r.description,
      extra_specs: Object.fromEntries(specs.filter((s) => s.flavor_id === r.id).map((s) => [s.key, s.value])),
    }))
  }

  /** Seed devstack's m1.* flavors into an empty flavors table. */
  async seedDefaultFlavors(): Promise<number> {
    const existing = await this.k.selectFrom('flavors').select('id').limit(1).execute()
    if (existing.length > 0) return 0
    const now = dbNow()
    await this.k
      .insertInto('flavors')
      .values(DEFAULT_FLAVORS.map((f) => ({ ...f, created_at: now, updated_at: null })))
      .execute()
    return DEFAULT_FLAVORS.length
  }

  // --- cells

  async listCells(): Promise<CellMapping[]> {
    const rows = await this.k.selectFrom('cell_mappings').selectAll().orderBy('id').execute()
    return rows.map((r) => ({ ...r, disabled: Boolean(r.disabled) }))
  }

  /** Create or update the cell mapping with this name (`cell_v2 create_cell` / `map_cell0`). */
  async upsertCell(cell: {
    uuid: string
    name: string
    transport_url: string
    database_connection: string
  }): Promise<void> {
    const now = dbNow()
    const existing = await this.k
      .selectFrom('cell_mappings')
      .select('id')
      .where('uuid', '=', cell.uuid)
      .executeTakeFirst()
    if (existing) {
      await this.k
        .updateTable('cell_mappings')
        .set({
          name: cell.name,
          transport_url: cell.transport_url,
          database_connection: cell.database_connection,
          updated_at: now,
        })
        .where('id', '=', existing.id)
        .execute()
    } else {
      await this.k
        .insertInto('cell_mappings')
        .values({ ...cell, disabled: false, created_at: now, updated_at: null })
        .execute()
    }
  }

  // --- build requests: a server between POST /servers and its cell

  /** Record everything a new server needs before the conductor takes it, in one transaction. */
  async createBuildRequests(
    items: readonly { instance: BuildRequestInstance; spec: RequestSpec }[],
  ): Promise<void> {
    const now = dbNow()
    await this.k.transaction().execute(async (tx) => {
      await tx
        .insertInto('request_specs')
        .values(
          items.map((i) => ({
            instance_uuid: i.instance.uuid,
            spec: JSON.stringify(i.spec),
            created_at: now,
            updated_at: null,
          })),
        )
        .execute()
      await tx
        .insertInto('build_requests')
        .values(
          items.map((i) => ({
            instance_uuid: i.instance.uuid,
            project_id: i.instance.project_id,
            instance: JSON.stringify(i.instance),
            created_at: now,
            updated_at: null,
          })),
        )
        .execute()
      await tx
        .insertInto('instance_mappings')
        .values(
          items.map((i) => ({
            instance_uuid: i.instance.uuid,
            cell_id: null,
            project_id: i.instance.project_id,
            user_id: i.instance.user_id,
            queued_for_delete: false,
            created_at: now,
            updated_at: null,
          })),
        )
        .execute()
    })
  }

  async getBuildRequest(instanceUuid: string): Promise<BuildRequestInstance | undefined> {
    const row = await this.k
      .selectFrom('build_requests')
      .select('instance')
      .where('instance_uuid', '=', instanceUuid)
      .executeTakeFirst()
    return row ? (JSON.parse(row.instance) as BuildRequestInstance) : undefined
  }

  async listBuildRequests(projectId: string | null): Promise<BuildRequestInstance[]> {
    let q = this.k.selectFrom('build_requests').select('instance')
    if (projectId !== null) q = q.where('project_id', '=', projectId)
    const rows = await q.execute()
    return rows.map((r) => JSON.parse(r.instance) as BuildRequestInstance)
  }

  /** Which of these servers still wait for a cell (not taken by a conductor, nor deleted). */
  async buildRequestsExisting(instanceUuids: readonly string[]): Promise<Set<string>> {
    if (instanceUuids.length === 0) return new Set()
    const rows = await this.k
      .selectFrom('build_requests')
      .select('instance_uuid')
      .where('instance_uuid', 'in', instanceUuids)
      .execute()
    return new Set(rows.map((r) => r.instance_uuid))
  }

  /** Delete a build request; false if it was already gone (the conductor took it, or a delete won). */
  async deleteBuildRequest(instanceUuid: string): Promise<boolean> {
    const res = await this.k
      .deleteFrom('build_requests')
      .where('instance_uuid', '=', instanceUuid)
      .executeTakeFirst()
    return Number(res.numDeletedRows) > 0
  }

  async getRequestSpec(instanceUuid: string): Promise<RequestSpec | undefined> {
    const row = await this.k
      .selectFrom('request_specs')
      .select('spec')
      .where('instance_uuid', '=', instanceUuid)
      .executeTakeFirst()
    return row ? (JSON.parse(row.spec) as RequestSpec) : undefined
  }

  // --- instance mappings

  async getInstanceMapping(
    instanceUuid: string,
  ): Promise<{ cell_id: number | null; project_id: string; queued_for_delete: boolean } | undefined> {
    const row = await this.k
      .selectFrom('instance_mappings')
      .select(['cell_id', 'project_id', 'queued_for_delete'])
      .where('instance_uuid', '=', instanceUuid)
      .executeTakeFirst()
    return row ? { ...row, queued_for_delete: Boolean(row.queued_for_delete) } : undefined
  }

  async setInstanceCell(instanceUuid: string, cellId: number): Promise<void> {
    await this.k
      .updateTable('instance_mappings')
      .set({ cell_id: cellId, updated_at: dbNow() })
      .where('instance_uuid', '=', instanceUuid)
      .execute()
  }

  async queueForDelete(instanceUuid: string): Promise<void> {
    await this.k
      .updateTable('instance_mappings')
      .set({ queued_for_delete: true, updated_at: dbNow() })
      .where('instance_uuid', '=', instanceUuid)
      .execute()
  }

  /** Forget a server entirely once it is deleted from its cell (or never reached one). */
  async deleteInstanceRecords(instanceUuid: string): Promise<void> {
    await this.k.transaction().execute(async (tx) => {
      await tx.deleteFrom('request_specs').where('instance_uuid', '=', instanceUuid).execute()
      await tx.deleteFrom('build_requests').where('instance_uuid', '=', instanceUuid).execute()
    })
  }

  async close(): Promise<void> {
    await this.k.destroy()
  }
}
