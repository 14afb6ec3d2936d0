/** `/v3/roles`. */
import type { FastifyInstance } from 'fastify'
import { entityOf, roleSchemas } from '../schemas.js'
import { listLinks, roleView } from '../views.js'
import type { IdentityRouteContext } from './helpers.js'

export function roleRoutes(app: FastifyInstance, c: IdentityRouteContext): void {
  const { identity, store } = c
  app.get('/v3/roles', async (request) => {
    await c.admin(request, 'list_roles')
    const roles = await store.listRoles({ name: c.query(request).name })
    return {
      roles: roles.map((r) => roleView(r, c.base(request))),
      links: listLinks(c.base(request), '/roles'),
    }
  })
  app.post('/v3/roles', async (request, reply) => {
    await c.admin(request, 'create_role')
    const e = roleSchemas.create(entityOf(request.body, 'role'))
    const r = await store.createRole({ name: e.name, description: e.description ?? null })
    return reply.code(201).send({ role: roleView(r, c.base(request)) })
  })
  app.get<{ Params: { id: string } }>('/v3/roles/:id', async (request) => {
    await c.admin(request, 'get_role')
    return { role: roleView(await c.getRole(request.params.id), c.base(request)) }
  })
  app.patch<{ Params: { id: string } }>('/v3/roles/:id', async (request) => {
    await c.admin(request, 'update_role')
    const r = await c.getRole(request.params.id)
    const e = roleSchemas.update(entityOf(request.body, 'role'))
    await store.updateRole(r.id, {
      ...(e.name !== undefined ? { name: e.name } : {}),
      ...(e.description !== undefined ? { description: e.description } : {}),
    })
    return { role: roleView(await c.getRole(r.id), c.base(request)) }
  })
  app.delete<{ Params: { id: string } }>('/v3/roles/:id', async (request, reply) => {
    await c.admin(request, 'delete_role')
    const r = await c.getRole(request.params.id)
    const holders = await store.listAssignments({ roleId: r.id })
    await store.deleteRole(r.id)
    for (const a of holders) {
      await identity.revokeUserTokens(a.actor_id, a.type === 'UserProject' ? a.target_id : null)
    }
    return reply.code(204).send()
  })
}
