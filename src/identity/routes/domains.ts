/** `/v3/domains`. */
import type { FastifyInstance } from 'fastify'
import { Forbidden } from '../../shared/errors.js'
import { ForbiddenAction } from '../errors.js'
import { isAdmin } from '../identity-service.js'
import { domainSchemas, entityOf } from '../schemas.js'
import { domainView, listLinks } from '../views.js'
import type { IdentityRouteContext } from './helpers.js'

export function domainRoutes(app: FastifyInstance, c: IdentityRouteContext): void {
  const { store } = c
  app.get('/v3/domains', async (request) => {
    await c.admin(request, 'list_domains')
    const q = c.query(request)
    let domains = await store.listDomains({ name: q.name })
    if (q.enabled !== undefined)
      domains = domains.filter((d) => String(d.enabled) === q.enabled?.toLowerCase())
    return {
      domains: domains.map((d) => domainView(d, c.base(request))),
      links: listLinks(c.base(request), '/domains'),
    }
  })
  app.post('/v3/domains', async (request, reply) => {
    await c.admin(request, 'create_domain')
    const e = domainSchemas.create(entityOf(request.body, 'domain'))
    const d = await store.createDomain({
      name: e.name,
      description: e.description ?? null,
      enabled: e.enabled,
    })
    return reply.code(201).send({ domain: domainView(d, c.base(request)) })
  })
  app.get<{ Params: { id: string } }>('/v3/domains/:id', async (request) => {
    const caller = await c.caller(request)
    const d = await c.getDomain(request.params.id)
    if (!isAdmin(caller) && caller.project?.domain_id !== d.id && caller.domain?.id !== d.id)
      throw new ForbiddenAction('identity:get_domain')
    return { domain: domainView(d, c.base(request)) }
  })
  app.patch<{ Params: { id: string } }>('/v3/domains/:id', async (request) => {
    await c.admin(request, 'update_domain')
    const d = await c.getDomain(request.params.id)
    const e = domainSchemas.update(entityOf(request.body, 'domain'))
    await store.updateDomain(d.id, {
      ...(e.name !== undefined ? { name: e.name } : {}),
      ...(e.description !== undefined ? { description: e.description } : {}),
      ...(e.enabled !== undefined ? { enabled: e.enabled } : {}),
    })
    return { domain: domainView(await c.getDomain(d.id), c.base(request)) }
  })
  app.delete<{ Params: { id: string } }>('/v3/domains/:id', async (request, reply) => {
    await c.admin(request, 'delete_domain')
    const d = await c.getDomain(request.params.id)
    if (d.enabled) throw new Forbidden('Cannot delete a domain that is enabled, please disable it first.')
    if (
      (await store.listProjects({ domainId: d.id })).length ||
      (await store.listUsers({ domainId: d.id })).length
    ) {
      throw new Forbidden(`Cannot delete domain ${d.id}: it still holds projects or users.`)
    }
    await store.deleteDomain(d.id)
    return reply.code(204).send()
  })
}
