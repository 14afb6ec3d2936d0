import type { FastifyInstance } from 'fastify'
import type { ServerGroupApi } from '../../compute-api/server-groups.js'
import type { ServerGroup } from '../../objects/server-group.js'
import type { RequestContext } from '../../shared/context.js'
import { InstanceGroupNotFound, Invalid, PolicyNotAuthorized } from '../../shared/errors.js'
import type { ApiVersion } from '../microversion.js'
import { one, type Query } from '../params.js'
import { validateServerGroupCreate, validateServerGroupIndexQuery } from '../schemas/server-groups.js'

const POLICY = (action: string) => `os_compute_api:os-server-groups:${action}`

/** One group in the microversion's shape, with only its members that still exist. */
function view(g: ServerGroup, v: ApiVersion, live: ReadonlySet<string>): Record<string, unknown> {
  const body: Record<string, unknown> = { id: g.uuid, name: g.name }
  if (v.atLeast('2.64')) {
    body.policy = g.policy
    body.rules = { ...g.rules }
  } else {
    body.policies = g.policy ? [g.policy] : []
    body.metadata = {}
  }
  body.members = g.members.filter((m) => live.has(m))
  if (v.atLeast('2.13')) {
    body.project_id = g.project_id
    body.user_id = g.user_id
  }
  return body
}

/** A group the caller may act on: its own project's, or any for an admin (403 otherwise, as Nova). */
function authorizeGroup(ctx: RequestContext, g: ServerGroup, action: string): void {
  if (!ctx.isAdmin && g.project_id !== ctx.projectId) throw new PolicyNotAuthorized(POLICY(action))
}

/** `/os-server-groups`: list, create, show, delete. */
export function osServerGroupRoutes(app: FastifyInstance, groups: ServerGroupApi, maxLimit: number): void {
  app.get<{ Querystring: Query }>('/os-server-groups', async (request) => {
    const v = request.apiVersion
    const q = request.query
    validateServerGroupIndexQuery(v)(q)
    const ctx = request.ctx
    const all = await groups.list(ctx, 'all_projects' in q && ctx.isAdmin)
    const offset = Number(one(q.offset) ?? 0)
    const limit = Math.min(maxLimit, Number(one(q.limit) ?? 0) || maxLimit)
    const page = all.slice(offset, offset + limit)
    const live = await groups.liveMembers(page)
    return { server_groups: page.map((g) => view(g, v, live)) }
  })

  app.post<{ Body: unknown }>('/os-server-groups', async (request) => {
    const v = request.apiVersion
    const ctx = request.ctx
    const body = validateServerGroupCreate(v)(request.body).server_group
    let policy: string
    let rules: Record<string, number> = {}
    if (v.atLeast('2.64')) {
      policy = body.policy!
      const given = body.rules ?? {}
      if (policy !== 'anti-affinity' && Object.keys(given).length > 0) {
        throw new Invalid('Only anti-affinity policy supports rules.')
      }
      if (given.max_server_per_host !== undefined)
        rules = { max_server_per_host: Number(given.max_server_per_host) }
    } else {
      policy = body.policies![0]!
    }
    const group = await groups.create(ctx, { name: body.name, policy, rules })
    return { server_group: view(group, v, new Set()) }
  })

  app.get<{ Params: { id: string } }>('/os-server-groups/:id', async (request) => {
    const group = await groups.find(request.params.id)
    if (!group) throw new InstanceGroupNotFound(request.params.id)
    authorizeGroup(request.ctx, group, 'show')
    const live = await groups.liveMembers([group])
    return { server_group: view(group, request.apiVersion, live) }
  })

  app.delete<{ Params: { id: string } }>('/os-server-groups/:id', async (request, reply) => {
    const group = await groups.find(request.params.id)
    if (!group) throw new InstanceGroupNotFound(request.params.id)
    authorizeGroup(request.ctx, group, 'delete')
    if (!(await groups.delete(group.uuid))) throw new InstanceGroupNotFound(request.params.id)
    return reply.code(204).send()
  })
}
