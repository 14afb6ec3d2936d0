import type { FastifyInstance } from 'fastify'
import type { ServerGroupApi } from '../../compute-api/server-groups.js'
import type { ServerGroup } from '../../objects/server-group.js'
import type { RequestContext } from '../../shared/context.js'
import { InstanceGroupNotFound, Invalid, PolicyNotAuthorized } from '../../shared/errors.js'
import { pyRepr } from '../../shared/python.js'
import type { ApiVersion } from '../microversion.js'
import {
  enumField,
  type FieldCheck,
  type FieldsSchema,
  nameField,
  nestedBody,
  objectField,
  positiveIntegerField,
} from '../nested-body.js'
import {
  nonNegativeIntegerCheck,
  type ObjectSchema,
  one,
  type Query,
  stringCheck,
  validateQuery,
} from '../validation.js'

const POLICY = (action: string) => `os_compute_api:os-server-groups:${action}`

const HARD = ['anti-affinity', 'affinity'] as const
const ALL = ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity'] as const

/** Before 2.64: `policies`, a list of exactly one policy. */
const policiesField =
  (allowed: readonly string[]): FieldCheck =>
  (v) => {
    if (!Array.isArray(v)) return `${pyRepr(v)} is not of type 'array'`
    if (v.length > 0) {
      const first = v[0]
      const bad = enumField(allowed)(first)
      if (bad)
        return { whole: `Invalid input for field/attribute 0. Value: ${String(first)}. ${bad as string}` }
    }
    if (new Set(v.map((x) => JSON.stringify(x))).size !== v.length)
      return `${pyRepr(v)} has non-unique elements`
    if (v.length < 1) return `${pyRepr(v)} is too short`
    if (v.length > 1) return `${pyRepr(v)} is too long`
    return undefined
  }

const createSchema = (policies: readonly string[]): FieldsSchema => ({
  properties: { name: nameField, policies: policiesField(policies) },
  required: ['name', 'policies'],
  additionalProperties: false,
})
const createSchemaV21 = createSchema(HARD)
const createSchemaV215 = createSchema(ALL)
const createSchemaV264: FieldsSchema = {
  properties: {
    name: nameField,
    policy: enumField(ALL),
    rules: objectField(
      () => 'unexpected',
      () => undefined,
      { max_server_per_host: positiveIntegerField },
    ),
  },
  required: ['name', 'policy'],
  additionalProperties: false,
}

const listParam = stringCheck(0, Number.MAX_SAFE_INTEGER)
const indexQuery: ObjectSchema = {
  properties: { all_projects: listParam, limit: nonNegativeIntegerCheck, offset: nonNegativeIntegerCheck },
  additionalProperties: true,
}
const indexQueryV275: ObjectSchema = { ...indexQuery, additionalProperties: false }

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
    validateQuery(q, v.atLeast('2.75') ? indexQueryV275 : indexQuery)
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
    const schema = v.atLeast('2.64')
      ? createSchemaV264
      : v.atLeast('2.15')
        ? createSchemaV215
        : createSchemaV21
    const body = nestedBody(request.body, 'server_group', schema)
    let policy: string
    let rules: Record<string, number> = {}
    if (v.atLeast('2.64')) {
      policy = body.policy as string
      const given = (body.rules ?? {}) as Record<string, unknown>
      if (policy !== 'anti-affinity' && Object.keys(given).length > 0) {
        throw new Invalid('Only anti-affinity policy supports rules.')
      }
      if (given.max_server_per_host !== undefined)
        rules = { max_server_per_host: Number(given.max_server_per_host) }
    } else {
      policy = (body.policies as string[])[0]!
    }
    const group = await groups.create(ctx, { name: body.name as string, policy, rules })
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
