import type { ServerGroupStore } from '../db/api/server-group-store.js'
import type { ServerGroup } from '../objects/server-group.js'
import type { RequestContext } from '../shared/context.js'

/** The API side of server groups (Nova's `server_groups` controller logic, minus HTTP). */
export class ServerGroupApi {
  constructor(readonly store: ServerGroupStore) {}

  create(
    ctx: RequestContext,
    g: { name: string; policy: string; rules: Readonly<Record<string, number>> },
  ): Promise<ServerGroup> {
    return this.store.create({ ...g, project_id: ctx.projectId, user_id: ctx.userId })
  }

  find(uuid: string): Promise<ServerGroup | undefined> {
    return this.store.find(uuid)
  }

  /** Every group (admins asking for all projects), else the caller's project's. */
  list(ctx: RequestContext, allProjects: boolean): Promise<ServerGroup[]> {
    return this.store.list(allProjects ? null : ctx.projectId)
  }

  delete(uuid: string): Promise<boolean> {
    return this.store.delete(uuid)
  }

  /** The members of these groups that are not deleted (Nova shows only those). */
  liveMembers(groups: readonly ServerGroup[]): Promise<Set<string>> {
    return this.store.notDeleted(groups.flatMap((g) => g.members))
  }
}
