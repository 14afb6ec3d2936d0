import { type ExpressionBuilder, type Selectable, sql } from 'kysely'
import type { CellMapping } from '../../objects/cell-mapping.js'
import type { Flavor } from '../../objects/flavor.js'
import { DEFAULT_FLAVORS } from '../../objects/flavor.js'
import type { BuildRequestInstance, RequestSpec } from '../../objects/instance.js'
import { FlavorExists, FlavorIdExists, FlavorNotFound } from '../../shared/errors.js'
import { dbNow } from '../../shared/time.js'
import type { Db } from '../connect.js'
import type { ApiSchema, FlavorsTable } from './schema.js'

/** A unique constraint refused the row (SQLite, MariaDB and PostgreSQL each word it their way). */
function isDuplicate(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown }
  return (
    e?.code === 'ER_DUP_ENTRY' ||
    e?.code === '23505' ||
    /UNIQUE constraint|Duplicate entry|duplicate key/i.test(String(e?.message ?? ''))
  )
}

/** A conductor took a build request first: the transaction undoing a create rolls back. */
class BuildRequestTaken extends Error {}

/** Reads and writes of the API database. */
export class ApiStore {
  constructor(readonly db: Db<ApiSchema>) {}

  private get k() {
    return this.db.kysely
  }

  // --- flavors

  /**
   * Flavors, as Nova's `FlavorList.get_all`: `visibleTo` (a non-admin's project) hides private
   * flavors the project has no access to; `isPublic` true lists public flavors plus those
   * `accessProject` was given, false only private ones, null every flavor.
   */
  async listFlavors(
    options: {
      isPublic?: boolean | null
      accessProject?: string | null
      visibleTo?: string | null
      disabled?: boolean
      minMemoryMb?: number
      minRootGb?: number
    } = {},
  ): Promise<Flavor[]> {
    let q = this.k.selectFrom('flavors').selectAll().orderBy('flavorid').orderBy('id')
    if (options.visibleTo !== undefined) q = q.where((eb) => this.publicOrAccess(eb, options.visibleTo!))
    if (options.disabled !== undefined) q = q.where('disabled', '=', options.disabled)
    if (options.minMemoryMb !== undefined) q = q.where('memory_mb', '>=', options.minMemoryMb)
    if (options.minRootGb !== undefined) q = q.where('root_gb', '>=', options.minRootGb)
    if (options.isPublic === true && options.accessProject != null) {
      q = q.where((eb) => this.publicOrAccess(eb, options.accessProject!))
    } else if (options.isPublic != null) {
      q = q.where('is_public', '=', options.isPublic)
    }
    const rows = await q.execute()
    return this.withExtraSpecs(rows)
  }

  private publicOrAccess(eb: ExpressionBuilder<ApiSchema, 'flavors'>, projectId: string | null) {
    return eb.or([
      eb('is_public', '=', true),
      eb(
        'flavors.id',
        'in',
        eb
          .selectFrom('flavor_projects')
          .select('flavor_projects.flavor_id')
          .where('flavor_projects.project_id', '=', projectId ?? ''),
      ),
    ])
  }

  /** One flavor by its API id; with `visibleTo` (a non-admin's project), private ones need access. */
  async getFlavor(flavorid: string, visibleTo?: string | null): Promise<Flavor> {
    let q = this.k.selectFrom('flavors').selectAll().where('flavorid', '=', flavorid).orderBy('id')
    if (visibleTo !== undefined) q = q.where((eb) => this.publicOrAccess(eb, visibleTo))
    const row = await q.executeTakeFirst()
    if (!row) throw new FlavorNotFound(flavorid)
    const [flavor] = await this.withExtraSpecs([row])
    return flavor!
  }

  /** Nova's `Flavor.create`: 409 when the name or the id is taken (the id is checked first). */
  async createFlavor(f: Omit<Flavor, 'id' | 'extra_specs'>): Promise<Flavor> {
    try {
      await this.k
        .insertInto('flavors')
        .values({ ...f, created_at: dbNow(), updated_at: null })
        .execute()
    } catch (err) {
      if (!isDuplicate(err)) throw err
      const taken = (column: 'flavorid' | 'name', value: string) =>
        this.k.selectFrom('flavors').select('id').where(column, '=', value).executeTakeFirst()
      if (await taken('flavorid', f.flavorid)) throw new FlavorIdExists(f.flavorid)
      if (await taken('name', f.name)) throw new FlavorExists(f.name)
      throw err
    }
    return this.getFlavor(f.flavorid)
  }

  async updateFlavorDescription(flavorid: string, description: string | null): Promise<Flavor> {
    const res = await this.k
      .updateTable('flavors')
      .set({ description, updated_at: dbNow() })
      .where('flavorid', '=', flavorid)
      .executeTakeFirst()
    if (Number(res.numUpdatedRows) === 0) throw new FlavorNotFound(flavorid)
    return this.getFlavor(flavorid)
  }

  /** Nova's `_flavor_destroy`: the flavor, its access list and its extra specs. */
  async deleteFlavor(flavorid: string): Promise<void> {
    await this.k.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('flavors')
        .select('id')
        .where('flavorid', '=', flavorid)
        .orderBy('id')
        .executeTakeFirst()
      if (!row) throw new FlavorNotFound(flavorid)
      await tx.deleteFrom('flavor_projects').where('flavor_id', '=', row.id).execute()
      await tx.deleteFrom('flavor_extra_specs').where('flavor_id', '=', row.id).execute()
      await tx.deleteFrom('flavors').where('id', '=', row.id).execute()
    })
  }

  /** Add or overwrite extra specs (Nova's `_flavor_extra_specs_add`, retried on a racing insert). */
  async setFlavorExtraSpecs(flavorPk: number, specs: Readonly<Record<string, string>>): Promise<void> {
    const keys = Object.keys(specs)
    if (keys.length === 0) return
    for (let attempt = 0; ; attempt++) {
      try {
        await this.k.transaction().execute(async (tx) => {
          const existing = await tx
            .selectFrom('flavor_extra_specs')
            .select('key')
            .where('flavor_id', '=', flavorPk)
            .where('key', 'in', keys)
            .execute()
          const have = new Set(existing.map((r) => r.key))
          for (const key of have) {
            await tx
              .updateTable('flavor_extra_specs')
              .set({ value: specs[key]! })
              .where('flavor_id', '=', flavorPk)
              .where('key', '=', key)
              .execute()
          }
          const fresh = keys.filter((k) => !have.has(k))
          if (fresh.length > 0) {
            await tx
              .insertInto('flavor_extra_specs')
              .values(fresh.map((key) => ({ flavor_id: flavorPk, key, value: specs[key]! })))
              .execute()
          }
        })
        return
      } catch (err) {
        if (!isDuplicate(err) || attempt >= 9) throw err
      }
    }
  }

  /** False when the flavor had no such key. */
  async deleteFlavorExtraSpec(flavorPk: number, key: string): Promise<boolean> {
    const res = await this.k
      .deleteFrom('flavor_extra_specs')
      .where('flavor_id', '=', flavorPk)
      .where('key', '=', key)
      .executeTakeFirst()
    return Number(res.numDeletedRows) > 0
  }

  /** The projects given access to a flavor, in the order they were given it. */
  async listFlavorProjects(flavorPk: number): Promise<string[]> {
    const rows = await this.k
      .selectFrom('flavor_projects')
      .select('project_id')
      .where('flavor_id', '=', flavorPk)
      .orderBy('id')
      .execute()
    return rows.map((r) => r.project_id)
  }

  /** False when the project already had access. */
  async addFlavorAccess(flavorPk: number, projectId: string): Promise<boolean> {
    try {
      await this.k
        .insertInto('flavor_projects')
        .values({ flavor_id: flavorPk, project_id: projectId, created_at: dbNow(), updated_at: null })
        .execute()
      return true
    } catch (err) {
      if (isDuplicate(err)) return false
      throw err
    }
  }

  /** False when the project had no access. */
  async removeFlavorAccess(flavorPk: number, projectId: string): Promise<boolean> {
    const res = await this.k
      .deleteFrom('flavor_projects')
      .where('flavor_id', '=', flavorPk)
      .where('project_id', '=', projectId)
      .executeTakeFirst()
    return Number(res.numDeletedRows) > 0
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

  /** The cell id a compute host is mapped to (Nova's HostMapping), if it is mapped. */
  async getHostMapping(host: string): Promise<number | undefined> {
    const row = await this.k
      .selectFrom('host_mappings')
      .select('cell_id')
      .where('host', '=', host)
      .executeTakeFirst()
    return row?.cell_id
  }

  /**
   * Map a compute host to its cell; a host already mapped keeps its mapping (true when this call
   * made it). Many computes registering at once each insert their own row.
   */
  async mapHost(host: string, cellId: number): Promise<boolean> {
    if ((await this.getHostMapping(host)) !== undefined) return false
    try {
      await this.k
        .insertInto('host_mappings')
        .values({ host, cell_id: cellId, created_at: dbNow(), updated_at: null })
        .execute()
      return true
    } catch (err) {
      if (isDuplicate(err)) return false
      throw err
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

  /**
   * Undo a create whose request never reached a conductor: its build requests, request specs,
   * instance mappings and group memberships go, in one transaction. False (and nothing undone)
   * when a conductor already took one of the build requests: the request did arrive after all.
   */
  async withdrawBuildRequests(instanceUuids: readonly string[]): Promise<boolean> {
    if (instanceUuids.length === 0) return true
    try {
      await this.k.transaction().execute(async (tx) => {
        const res = await tx
          .deleteFrom('build_requests')
          .where('instance_uuid', 'in', instanceUuids)
          .executeTakeFirst()
        if (Number(res.numDeletedRows) !== instanceUuids.length) throw new BuildRequestTaken()
        await tx.deleteFrom('request_specs').where('instance_uuid', 'in', instanceUuids).execute()
        await tx.deleteFrom('instance_mappings').where('instance_uuid', 'in', instanceUuids).execute()
        await tx.deleteFrom('instance_group_member').where('instance_uuid', 'in', instanceUuids).execute()
      })
      return true
    } catch (err) {
      if (err instanceof BuildRequestTaken) return false
      throw err
    }
  }

  /**
   * The user deleted a server no conductor took yet: delete its build request and mark its
   * mapping queued for delete together, so a conductor that finds the build request gone can
   * tell this delete (queued) from a twin delivery of its own request that took it (not queued).
   * False when a conductor took it first.
   */
  async cancelBuildRequest(instanceUuid: string): Promise<boolean> {
    return this.k.transaction().execute(async (tx) => {
      const res = await tx
        .deleteFrom('build_requests')
        .where('instance_uuid', '=', instanceUuid)
        .executeTakeFirst()
      if (Number(res.numDeletedRows) === 0) return false
      await tx
        .updateTable('instance_mappings')
        .set({ queued_for_delete: true, updated_at: dbNow() })
        .where('instance_uuid', '=', instanceUuid)
        .execute()
      await tx.deleteFrom('instance_group_member').where('instance_uuid', '=', instanceUuid).execute()
      return true
    })
  }

  /**
   * Build requests no conductor has taken, unchanged since `before` (stored-format time), oldest
   * first, each with its request spec: what the conductor's re-drive sends again.
   */
  async listStalledBuildRequests(
    before: string,
    limit: number,
  ): Promise<{ instance: BuildRequestInstance; spec: RequestSpec; redrives: number }[]> {
    const rows = await this.k
      .selectFrom('build_requests')
      .innerJoin('request_specs', 'request_specs.instance_uuid', 'build_requests.instance_uuid')
      .select(['build_requests.instance', 'request_specs.spec', 'build_requests.redrive_count'])
      .where((eb) =>
        eb(eb.fn.coalesce('build_requests.updated_at', 'build_requests.created_at'), '<', before),
      )
      .orderBy('build_requests.id')
      .limit(limit)
      .execute()
    return rows.map((r) => ({
      instance: JSON.parse(r.instance) as BuildRequestInstance,
      spec: JSON.parse(r.spec) as RequestSpec,
      redrives: r.redrive_count,
    }))
  }

  /**
   * Mark a stalled build request as re-driven now; false if it changed since `before` or is gone.
   * Of several conductors re-driving at once, one wins each build request.
   */
  async touchStalledBuildRequest(instanceUuid: string, before: string): Promise<boolean> {
    const res = await this.k
      .updateTable('build_requests')
      .set({ updated_at: dbNow(), redrive_count: sql<number>`redrive_count + 1` })
      .where('instance_uuid', '=', instanceUuid)
      .where((eb) => eb(eb.fn.coalesce('updated_at', 'created_at'), '<', before))
      .executeTakeFirst()
    return Number(res.numUpdatedRows) > 0
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
    // A deleted server leaves its server group (Nova hides it, then archives the row).
    await this.k.deleteFrom('instance_group_member').where('instance_uuid', '=', instanceUuid).execute()
  }

  async close(): Promise<void> {
    await this.k.destroy()
  }
}
