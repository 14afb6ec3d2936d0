import type { FastifyInstance } from 'fastify'
import {
  type AggregateApi,
  AggregateHostNotFound,
  InvalidAggregateAction,
} from '../../compute-api/aggregates.js'
import { authorizeAdmin } from '../../compute-api/policy.js'
import type { Aggregate } from '../../objects/aggregate.js'
import { AggregateNotFound, ComputeHostNotFound, Conflict, Invalid, NotFound } from '../../shared/errors.js'
import { isoMicros } from '../../shared/time.js'
import type { ApiVersion } from '../microversion.js'
import { integerId } from '../params.js'
import {
  validateAddHost,
  validateAggregateCreate,
  validateAggregateUpdate,
  validateRemoveHost,
  validateSetMetadata,
} from '../schemas/aggregates.js'

const POLICY = (action: string) => `os_compute_api:os-aggregates:${action}`

/** An aggregate as Nova marshals it: every field, `uuid` from 2.41. */
function view(a: Aggregate, v: ApiVersion, withMembers = true): Record<string, unknown> {
  const body: Record<string, unknown> = {
    availability_zone: a.metadata.availability_zone ?? null,
    created_at: isoMicros(a.created_at),
    deleted: false,
    deleted_at: null,
  }
  if (withMembers) body.hosts = [...a.hosts]
  body.id = a.id
  if (withMembers) body.metadata = { ...a.metadata }
  body.name = a.name
  body.updated_at = isoMicros(a.updated_at)
  if (v.atLeast('2.41')) body.uuid = a.uuid
  return body
}

function aggregateId(id: string): number {
  const n = integerId(id)
  if (n === undefined) throw new Invalid('Invalid input received: id must be an integer')
  return n
}

/** `/os-aggregates` (admin only): CRUD, and the add_host / remove_host / set_metadata actions. */
export function osAggregateRoutes(app: FastifyInstance, aggregates: AggregateApi): void {
  app.get('/os-aggregates', async (request) => {
    authorizeAdmin(request.ctx, POLICY('index'))
    const all = await aggregates.list()
    return { aggregates: all.map((a) => view(a, request.apiVersion)) }
  })

  app.post<{ Body: unknown }>('/os-aggregates', async (request) => {
    const body = validateAggregateCreate(request.body).aggregate
    authorizeAdmin(request.ctx, POLICY('create'))
    const name = body.name.trim()
    const zone = typeof body.availability_zone === 'string' ? body.availability_zone.trim() : null
    const created = await aggregates.create(name, zone || null)
    return { aggregate: view(created, request.apiVersion, false) }
  })

  app.get<{ Params: { id: string } }>('/os-aggregates/:id', async (request) => {
    authorizeAdmin(request.ctx, POLICY('show'))
    const a = await aggregates.get(aggregateId(request.params.id))
    return { aggregate: view(a, request.apiVersion) }
  })

  app.put<{ Params: { id: string }; Body: unknown }>('/os-aggregates/:id', async (request) => {
    const body = validateAggregateUpdate(request.body).aggregate
    authorizeAdmin(request.ctx, POLICY('update'))
    const id = aggregateId(request.params.id)
    const values: { name?: string; availability_zone?: string | null } = {}
    if (typeof body.name === 'string') values.name = body.name.trim()
    if ('availability_zone' in body) values.availability_zone = body.availability_zone ?? null
    const updated = await aggregates.update(id, values)
    return { aggregate: view(updated, request.apiVersion) }
  })

  app.delete<{ Params: { id: string } }>('/os-aggregates/:id', async (request, reply) => {
    authorizeAdmin(request.ctx, POLICY('delete'))
    await aggregates.delete(aggregateId(request.params.id))
    return reply.code(200).send()
  })

  app.post<{ Params: { id: string }; Body: unknown }>('/os-aggregates/:id/action', async (request) => {
    const raw = request.body
    const v = request.apiVersion
    const action =
      typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? Object.keys(raw)[0] : undefined
    switch (action) {
      case 'add_host': {
        const { host } = validateAddHost(raw).add_host!
        authorizeAdmin(request.ctx, POLICY('add_host'))
        const id = aggregateId(request.params.id)
        try {
          return { aggregate: view(await aggregates.addHost(id, host), v) }
        } catch (err) {
          if (err instanceof InvalidAggregateAction) throw new Conflict(err.message)
          throw err
        }
      }
      case 'remove_host': {
        const { host } = validateRemoveHost(raw).remove_host!
        authorizeAdmin(request.ctx, POLICY('remove_host'))
        const id = aggregateId(request.params.id)
        try {
          return { aggregate: view(await aggregates.removeHost(id, host), v) }
        } catch (err) {
          if (
            err instanceof AggregateNotFound ||
            err instanceof AggregateHostNotFound ||
            err instanceof ComputeHostNotFound
          ) {
            request.log.error({ err, host, aggregate: id }, 'failed to remove host from aggregate')
            throw new NotFound(`Cannot remove host ${host} in aggregate ${id}`)
          }
          if (err instanceof InvalidAggregateAction) throw new Conflict(err.message)
          throw err
        }
      }
      case 'set_metadata': {
        const { metadata } = validateSetMetadata(raw).set_metadata
        authorizeAdmin(request.ctx, POLICY('set_metadata'))
        const id = aggregateId(request.params.id)
        return { aggregate: view(await aggregates.setMetadata(id, metadata), v) }
      }
    }
    throw new Invalid(`There is no such action: ${action ?? 'None'}`)
  })
}
