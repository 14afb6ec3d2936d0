import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { ServerGroup } from '../../objects/server-group.js'
import { InstanceGroupNotFound } from '../../shared/errors.js'
import { dbNow } from '../../shared/time.js'
import type { Db } from '../connect.js'
import type { ApiSchema } from './schema.js'

/** Reads and writes of server groups and their members (API database). */
export class ServerGroupStore {
  constructor(private readonly db: Db<ApiSchema>) {}

  private get k(): Kysely<ApiSchema> {
    return this.db.kysely
  }

  async create(g: {
    name: string
    project_id: string | null
    user_id: string | null
    policy: string
    rules: Readonly<Record<string, number>>
  }): Promise<ServerGroup> {
    const uuid = randomUUID()
    const now = dbNow()
    await this.k.transaction().execute(async (tx) => {
      await tx
        .insertInto('instance_groups')
        .values({
          uuid,
          name: g.name,
          project_id: g.project_id,
          user_id: g.user_id,
          created_at: now,
          updated_at: null,
        })
        .execute()
      const row = await tx
        .selectFrom('instance_groups')
        .select('id')
        .where('uuid', '=', uuid)
        .executeTakeFirstOrThrow()
      const rules = Object.fromEntries(Object.entries(g.rules).map(([k, v]) => [k, String(v)]))
      await tx
        .insertInto('instance_group_policy')
        .values({
          group_id: row.id,
          policy: g.policy,
          rules: Object.keys(rules).length > 0 ? JSON.stringify(rules) : null,
          created_at: now,
          updated_at: null,
        })
        .execute()
    })
    return this.get(uuid)
  }

  async find(uuid: string): Promise<ServerGroup | undefined> {
    const [group] = await this.load((q) => q.where('g.uuid', '=', uuid))
    return group
  }

  async get(uuid: string): Promise<ServerGroup> {
    const group = await this.find(uuid)
    if (!group) throw new InstanceGroupNotFound(uuid)
    return group
  }

  /** Every group (projectId null), or one project's, in creation order. */
  list(projectId: string | null): Promise<ServerGroup[]> {
    return this.load((q) => (projectId === null ? q : q.where('g.project_id', '=', projectId)))
  }

  /** Delete a group and its memberships; false if it was already gone. */
  async delete(uuid: string): Promise<boolean> {
    return this.k.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('instance_groups')
        .select('id')
        .where('uuid', '=', uuid)
        .executeTakeFirst()
      if (!row) return false
      await tx.deleteFrom('instance_group_member').where('group_id', '=', row.id).execute()
      await tx.deleteFrom('instance_group_policy').where('group_id', '=', row.id).execute()
      const res = await tx.deleteFrom('instance_groups').where('id', '=', row.id).executeTakeFirst()
      return Number(res.numDeletedRows) > 0
    })
  }

  /** Add servers to a group (Nova does it as the API records them, before they are scheduled). */
  async addMembers(groupId: number, instanceUuids: readonly string[]): Promise<void> {
    if (instanceUuids.length === 0) return
    const now = dbNow()
    await this.k
      .insertInto('instance_group_member')
      .values(
        instanceUuids.map((u) => ({
          group_id: groupId,
          instance_uuid: u,
          created_at: now,
          updated_at: null,
        })),
      )
      .execute()
  }

  /** The group a server is in, if any (Nova's `InstanceGroup.get_by_instance_uuid`). */
  async groupOf(instanceUuid: string): Promise<ServerGroup | undefined> {
    const row = await this.k
      .selectFrom('instance_group_member as m')
      .innerJoin('instance_groups as g', 'g.id', 'm.group_id')
      .select('g.uuid')
      .where('m.instance_uuid', '=', instanceUuid)
      .executeTakeFirst()
    return row ? this.find(row.uuid) : undefined
  }

  /**
   * Which of these servers still exist: not deleted, nor queued for deletion (Nova's
   * `_get_not_deleted`, answered from the instance mappings).
   */
  async notDeleted(instanceUuids: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>()
    const unique = [...new Set(instanceUuids)]
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.k
        .selectFrom('instance_mappings')
        .select(['instance_uuid', 'queued_for_delete'])
        .where('instance_uuid', 'in', unique.slice(i, i + 500))
        .execute()
      for (const r of rows) if (!r.queued_for_delete) out.add(r.instance_uuid)
    }
    return out
  }

  private async load(where: (q: GroupQuery) => GroupQuery): Promise<ServerGroup[]> {
    const rows = await where(groupQuery(this.k)).orderBy('g.id').execute()
    if (rows.length === 0) return []
    const ids = rows.map((r) => r.id)
    const members = new Map<number, string[]>()
    for (let i = 0; i < ids.length; i += 500) {
      const ms = await this.k
        .selectFrom('instance_group_member')
        .select(['group_id', 'instance_uuid'])
        .where('group_id', 'in', ids.slice(i, i + 500))
        .orderBy('id')
        .execute()
      for (const m of ms) members.set(m.group_id, [...(members.get(m.group_id) ?? []), m.instance_uuid])
    }
    return rows.map((r) => ({
      id: r.id,
      uuid: r.uuid,
      name: r.name,
      project_id: r.project_id,
      user_id: r.user_id,
      policy: r.policy ?? '',
      rules: parseRules(r.rules),
      members: members.get(r.id) ?? [],
    }))
  }
}

function groupQuery(k: Kysely<ApiSchema>) {
  return k
    .selectFrom('instance_groups as g')
    .leftJoin('instance_group_policy as p', 'p.group_id', 'g.id')
    .select(['g.id', 'g.uuid', 'g.name', 'g.project_id', 'g.user_id', 'p.policy', 'p.rules'])
}
type GroupQuery = ReturnType<typeof groupQuery>

function parseRules(text: string | null): { max_server_per_host?: number } {
  if (!text) return {}
  const raw = JSON.parse(text) as Record<string, unknown>
  return raw.max_server_per_host === undefined ? {} : { max_server_per_host: Number(raw.max_server_per_host) }
}
