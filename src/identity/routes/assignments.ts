/** Role assignments: grants on projects and domains, and `/v3/role_assignments`. */
import type { FastifyInstance } from 'fastify'
import { ForbiddenAction, NotFoundError } from '../errors.js'
import { isAdmin } from '../identity-service.js'
import { type AssignmentType, DEFAULT_DOMAIN_ID } from '../identity-store.js'
import { listLinks, roleView } from '../views.js'
import type { IdentityRouteContext } from './helpers.js'

export function assignmentRoutes(app: FastifyInstance, c: IdentityRouteContext): void {
  const { identity, store } = c
  // --- role assignments: /v3/{projects|domains}/{target}/users/{user}/roles[/{role}]

  for (const [kind, type] of [
    ['projects', 'UserProject'],
    ['domains', 'UserDomain'],
  ] as const) {
    const target = (id: string) => (type === 'UserProject' ? c.getProject(id) : c.getDomain(id))
    type P = { target: string; user: string; role: string }
    const path = `/v3/${kind}/:target/users/:user/roles`
    const resolve = async (p: P) => {
      await target(p.target)
      await c.getUser(p.user)
      await c.getRole(p.role)
      return { type: type as AssignmentType, actor_id: p.user, target_id: p.target, role_id: p.role }
    }
    app.get<{ Params: Omit<P, 'role'> }>(path, async (request) => {
      const caller = await c.caller(request)
      if (!isAdmin(caller) && caller.user.id !== request.params.user)
        throw new ForbiddenAction('identity:list_grants')
      await target(request.params.target)
      await c.getUser(request.params.user)
      const assigned = await store.listAssignments({
        type,
        actorId: request.params.user,
        targetId: request.params.target,
      })
      const roles = (await store.listRoles()).filter((r) => assigned.some((a) => a.role_id === r.id))
      return {
        roles: roles.map((r) => roleView(r, c.base(request))),
        links: listLinks(
          c.base(request),
          `/${kind}/${request.params.target}/users/${request.params.user}/roles`,
        ),
      }
    })
    app.put<{ Params: P }>(`${path}/:role`, async (request, reply) => {
      await c.admin(request, 'create_grant')
      await store.grant(await resolve(request.params))
      return reply.code(204).send()
    })
    app.get<{ Params: P }>(`${path}/:role`, async (request, reply) => {
      await c.admin(request, 'check_grant')
      const a = await resolve(request.params)
      const held = await store.listAssignments({
        type,
        actorId: a.actor_id,
        targetId: a.target_id,
        roleId: a.role_id,
      })
      if (held.length === 0) throw new NotFoundError('role assignment', `${a.role_id}`)
      return reply.code(204).send()
    })
    app.delete<{ Params: P }>(`${path}/:role`, async (request, reply) => {
      await c.admin(request, 'revoke_grant')
      const a = await resolve(request.params)
      if (!(await store.revoke(a))) throw new NotFoundError('role assignment', a.role_id)
      await identity.revokeUserTokens(a.actor_id, type === 'UserProject' ? a.target_id : null)
      return reply.code(204).send()
    })
  }

  app.get('/v3/role_assignments', async (request) => {
    const caller = await c.caller(request)
    const q = c.query(request)
    if (!isAdmin(caller) && q['user.id'] !== caller.user.id)
      throw new ForbiddenAction('identity:list_role_assignments')
    const projectId = q['scope.project.id']
    const domainId = q['scope.domain.id']
    let assignments = await store.listAssignments({
      actorId: q['user.id'],
      roleId: q['role.id'],
      targetId: projectId ?? domainId,
      type: projectId ? 'UserProject' : domainId ? 'UserDomain' : undefined,
    })
    if (q['group.id']) assignments = []
    const withNames = 'include_names' in q
    const [roles, users, projects, domains] = withNames
      ? await Promise.all([store.listRoles(), store.listUsers(), store.listProjects(), store.listDomains()])
      : [[], [], [], []]
    const name = <T extends { id: string; name: string }>(list: readonly T[], id: string) =>
      list.find((x) => x.id === id)
    const domainRef = (id: string) => ({ id, name: name(domains, id)?.name ?? id })
    const b = c.base(request)
    return {
      role_assignments: assignments.map((a) => {
        const user = name(users, a.actor_id)
        const project = a.type === 'UserProject' ? name(projects, a.target_id) : undefined
        const scope =
          a.type === 'UserProject'
            ? {
                project: withNames
                  ? {
                      id: a.target_id,
                      name: project?.name,
                      domain: domainRef(project?.domain_id ?? DEFAULT_DOMAIN_ID),
                    }
                  : { id: a.target_id },
              }
            : { domain: withNames ? domainRef(a.target_id) : { id: a.target_id } }
        return {
          role: withNames ? { id: a.role_id, name: name(roles, a.role_id)?.name } : { id: a.role_id },
          user: withNames
            ? { id: a.actor_id, name: user?.name, domain: domainRef(user?.domain_id ?? DEFAULT_DOMAIN_ID) }
            : { id: a.actor_id },
          scope,
          links: {
            assignment: `${b}/${a.type === 'UserProject' ? 'projects' : 'domains'}/${a.target_id}/users/${a.actor_id}/roles/${a.role_id}`,
          },
        }
      }),
      links: listLinks(b, '/role_assignments'),
    }
  })
}
