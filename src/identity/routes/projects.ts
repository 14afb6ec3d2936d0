/** `/v3/projects`. */
import type { FastifyInstance } from 'fastify'
import { ForbiddenAction, ValidationError } from '../errors.js'
import { isAdmin } from '../identity-service.js'
import { DEFAULT_DOMAIN_ID } from '../identity-store.js'
import { entityOf, projectSchemas } from '../schemas.js'
import { listLinks, projectView } from '../views.js'
import type { IdentityRouteContext } from './helpers.js'

export function projectRoutes(app: FastifyInstance, c: IdentityRouteContext): void {
  const { identity, store } = c
  app.get('/v3/projects', async (request) => {
    await c.admin(request, 'list_projects')
    const q = c.query(request)
    let projects = await store.listProjects({ name: q.name, domainId: q.domain_id })
    if (q.enabled !== undefined)
      projects = projects.filter((p) => String(p.enabled) === q.enabled?.toLowerCase())
    return {
      projects: projects.map((p) => projectView(p, c.base(request))),
      links: listLinks(c.base(request), '/projects'),
    }
  })
  app.post('/v3/projects', async (request, reply) => {
    const caller = await c.admin(request, 'create_project')
    const e = projectSchemas.create(entityOf(request.body, 'project'))
    if (e.is_domain === true) throw new ValidationError('Projects acting as domains are not supported.')
    const domainId = e.domain_id ?? caller.domain?.id ?? DEFAULT_DOMAIN_ID
    await c.getDomain(domainId).catch(() => {
      throw new ValidationError(`Could not find domain: ${domainId}.`)
    })
    const p = await store.createProject({
      name: e.name,
      domain_id: domainId,
      description: e.description ?? null,
      enabled: e.enabled,
    })
    return reply.code(201).send({ project: projectView(p, c.base(request)) })
  })
  app.get<{ Params: { id: string } }>('/v3/projects/:id', async (request) => {
    const caller = await c.caller(request)
    if (!isAdmin(caller) && caller.project?.id !== request.params.id)
      throw new ForbiddenAction('identity:get_project')
    return { project: projectView(await c.getProject(request.params.id), c.base(request)) }
  })
  app.patch<{ Params: { id: string } }>('/v3/projects/:id', async (request) => {
    await c.admin(request, 'update_project')
    const p = await c.getProject(request.params.id)
    const e = projectSchemas.update(entityOf(request.body, 'project'))
    await store.updateProject(p.id, {
      ...(e.name !== undefined ? { name: e.name } : {}),
      ...(e.description !== undefined ? { description: e.description } : {}),
      ...(e.enabled !== undefined ? { enabled: e.enabled } : {}),
    })
    if (e.enabled === false) await identity.revokeUserTokens(null, p.id)
    return { project: projectView(await c.getProject(p.id), c.base(request)) }
  })
  app.delete<{ Params: { id: string } }>('/v3/projects/:id', async (request, reply) => {
    await c.admin(request, 'delete_project')
    const p = await c.getProject(request.params.id)
    await store.deleteProject(p.id)
    await identity.revokeUserTokens(null, p.id)
    return reply.code(204).send()
  })
}
