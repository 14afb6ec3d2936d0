/** `/v3/users`, a user's password, projects and groups. */
import type { FastifyInstance } from 'fastify'
import { AuthenticationRequired, ForbiddenAction, ValidationError } from '../errors.js'
import { isAdmin } from '../identity-service.js'
import { DEFAULT_DOMAIN_ID } from '../identity-store.js'
import { hashPassword, verifyPassword } from '../password.js'
import { entityOf, userSchemas, validatePasswordChange } from '../schemas.js'
import { listLinks, projectView, userView } from '../views.js'
import type { IdentityRouteContext } from './helpers.js'

export function userRoutes(app: FastifyInstance, c: IdentityRouteContext): void {
  const { identity, store } = c
  app.get('/v3/users', async (request) => {
    await c.admin(request, 'list_users')
    const q = c.query(request)
    let users = await store.listUsers({ name: q.name, domainId: q.domain_id })
    if (q.enabled !== undefined) users = users.filter((u) => String(u.enabled) === q.enabled?.toLowerCase())
    return {
      users: users.map((u) => userView(u, c.base(request))),
      links: listLinks(c.base(request), '/users'),
    }
  })
  app.post('/v3/users', async (request, reply) => {
    const caller = await c.admin(request, 'create_user')
    const e = userSchemas.create(entityOf(request.body, 'user'))
    const domainId = e.domain_id ?? caller.domain?.id ?? DEFAULT_DOMAIN_ID
    await c.getDomain(domainId).catch(() => {
      throw new ValidationError(`Could not find domain: ${domainId}.`)
    })
    if (e.default_project_id) await c.getProject(e.default_project_id)
    const u = await store.createUser({
      name: e.name,
      domain_id: domainId,
      enabled: e.enabled,
      password_hash: typeof e.password === 'string' ? await hashPassword(e.password) : null,
      default_project_id: e.default_project_id ?? null,
      email: e.email ?? null,
      description: e.description ?? null,
    })
    return reply.code(201).send({ user: userView(u, c.base(request)) })
  })
  app.get<{ Params: { id: string } }>('/v3/users/:id', async (request) => {
    const caller = await c.caller(request)
    if (!isAdmin(caller) && caller.user.id !== request.params.id)
      throw new ForbiddenAction('identity:get_user')
    return { user: userView(await c.getUser(request.params.id), c.base(request)) }
  })
  app.patch<{ Params: { id: string } }>('/v3/users/:id', async (request) => {
    await c.admin(request, 'update_user')
    const u = await c.getUser(request.params.id)
    const e = userSchemas.update(entityOf(request.body, 'user'))
    if (e.default_project_id) await c.getProject(e.default_project_id)
    const password = typeof e.password === 'string' ? e.password : undefined
    await store.updateUser(u.id, {
      ...(e.name !== undefined ? { name: e.name } : {}),
      ...(e.enabled !== undefined ? { enabled: e.enabled } : {}),
      ...(password !== undefined ? { password_hash: await hashPassword(password) } : {}),
      ...(e.default_project_id !== undefined ? { default_project_id: e.default_project_id } : {}),
      ...(e.email !== undefined ? { email: e.email } : {}),
      ...(e.description !== undefined ? { description: e.description } : {}),
    })
    if (password !== undefined || e.enabled === false) await identity.revokeUserTokens(u.id)
    return { user: userView(await c.getUser(u.id), c.base(request)) }
  })
  app.delete<{ Params: { id: string } }>('/v3/users/:id', async (request, reply) => {
    await c.admin(request, 'delete_user')
    const u = await c.getUser(request.params.id)
    await store.deleteUser(u.id)
    await identity.revokeUserTokens(u.id)
    return reply.code(204).send()
  })
  app.post<{ Params: { id: string } }>('/v3/users/:id/password', async (request, reply) => {
    const caller = await c.caller(request)
    if (caller.user.id !== request.params.id) throw new ForbiddenAction('identity:change_password')
    const e = validatePasswordChange(entityOf(request.body, 'user'))
    if (!(await verifyPassword(e.original_password, caller.user.password_hash))) {
      throw new AuthenticationRequired()
    }
    await store.updateUser(caller.user.id, { password_hash: await hashPassword(e.password) })
    await identity.revokeUserTokens(caller.user.id)
    return reply.code(204).send()
  })
  app.get<{ Params: { id: string } }>('/v3/users/:id/projects', async (request) => {
    const caller = await c.caller(request)
    if (!isAdmin(caller) && caller.user.id !== request.params.id)
      throw new ForbiddenAction('identity:list_user_projects')
    const u = await c.getUser(request.params.id)
    const projects = await identity.userProjects(u.id)
    return {
      projects: projects.map((p) => projectView(p, c.base(request))),
      links: listLinks(c.base(request), `/users/${u.id}/projects`),
    }
  })
  app.get<{ Params: { id: string } }>('/v3/users/:id/groups', async (request) => {
    const caller = await c.caller(request)
    if (!isAdmin(caller) && caller.user.id !== request.params.id)
      throw new ForbiddenAction('identity:list_groups_for_user')
    await c.getUser(request.params.id)
    return { groups: [], links: listLinks(c.base(request), `/users/${request.params.id}/groups`) }
  })
}
