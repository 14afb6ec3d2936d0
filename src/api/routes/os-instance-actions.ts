import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ComputeApi } from '../../compute-api/servers.js'
import type { Instance } from '../../objects/instance.js'
import type { ActionPage, InstanceAction, InstanceActionEvent } from '../../objects/instance-action.js'
import { Invalid, NotFound } from '../../shared/errors.js'
import { dbNow, isoMicros } from '../../shared/time.js'
import { parseIsoTime } from '../../validation/formats.js'
import type { ApiVersion } from '../microversion.js'
import { one, type Query } from '../params.js'
import { validateInstanceActionsQuery } from '../schemas/instance-actions.js'
import { hostId } from '../views/servers.js'

type Params = { server_id: string }

function actionView(a: InstanceAction, v: ApiVersion): Record<string, unknown> {
  return {
    action: a.action,
    instance_uuid: a.instance_uuid,
    request_id: a.request_id,
    user_id: a.user_id,
    project_id: a.project_id,
    start_time: isoMicros(a.start_time),
    message: a.message,
    ...(v.atLeast('2.58') ? { updated_at: isoMicros(a.updated_at) } : {}),
  }
}

/**
 * What of an event the caller sees. Nova's default policy: tracebacks (and from 2.62 the host)
 * for admins only (`os-instance-actions:events`); events for everyone from 2.51; the hashed
 * `hostId` for everyone from 2.62; `details` for admins from 2.84 (`events:details`).
 */
function eventView(
  e: InstanceActionEvent,
  projectId: string | null,
  v: ApiVersion,
  isAdmin: boolean,
): Record<string, unknown> {
  const view: Record<string, unknown> = {
    event: e.event,
    start_time: isoMicros(e.start_time),
    finish_time: isoMicros(e.finish_time),
    result: e.result,
  }
  if (isAdmin) view.traceback = e.traceback
  if (isAdmin && v.atLeast('2.62')) view.host = e.host
  if (v.atLeast('2.62')) view.hostId = hostId(projectId, e.host)
  if (isAdmin && v.atLeast('2.84')) view.details = e.details
  return view
}

/**
 * `/servers/{id}/os-instance-actions`: what was done to a server, at whose request, and (per
 * action) each service's part in it. From 2.21 a deleted server's actions stay readable.
 * Listing and showing are the owner's or an admin's (other projects get 404 from the lookup).
 */
export function osInstanceActionRoutes(
  app: FastifyInstance,
  compute: ComputeApi,
  baseUrl: (host: string | undefined) => string,
  maxLimit: number,
): void {
  const server = (request: FastifyRequest<{ Params: Params }>): Promise<Instance> =>
    compute.get(request.ctx, request.params.server_id, request.apiVersion.atLeast('2.21'))

  app.get<{ Params: Params; Querystring: Query }>(
    '/servers/:server_id/os-instance-actions',
    async (request) => {
      const v = request.apiVersion
      const q = request.query
      validateInstanceActionsQuery(v)(q)
      const instance = await server(request)
      if (!v.atLeast('2.58')) {
        const actions = (await compute.actions.list(instance.uuid)) ?? []
        return { instanceActions: actions.map((a) => actionView(a, v)) }
      }
      const page = pageOf(q, maxLimit)
      const actions = await compute.actions.list(instance.uuid, page)
      if (!actions) throw new Invalid(`Marker ${page.marker} could not be found.`)
      const body: Record<string, unknown> = { instanceActions: actions.map((a) => actionView(a, v)) }
      // Nova's collection links: a next page is offered whenever this one is full.
      if (page.limit && actions.length === page.limit) {
        const params = new URLSearchParams(
          Object.entries({ ...singleValues(q), marker: actions.at(-1)!.request_id }).sort(([a], [b]) =>
            a.localeCompare(b),
          ),
        )
        const path = `servers/${request.params.server_id}/os-instance-actions`
        body.links = [{ rel: 'next', href: `${baseUrl(request.headers.host)}/v2.1/${path}?${params}` }]
      }
      return body
    },
  )

  app.get<{ Params: Params & { request_id: string } }>(
    '/servers/:server_id/os-instance-actions/:request_id',
    async (request) => {
      const v = request.apiVersion
      const ctx = request.ctx
      const instance = await server(request)
      const action = await compute.actions.find(instance.uuid, request.params.request_id)
      if (!action) throw new NotFound(`Action ${request.params.request_id} not found`)
      const body = actionView(action, v)
      // Before 2.51 only those who may see tracebacks see events at all.
      if (ctx.isAdmin || v.atLeast('2.51')) {
        const projectId = action.project_id ?? instance.project_id
        const events = await compute.actions.events(instance.uuid, action.id)
        body.events = events.map((e) => eventView(e, projectId, v, ctx.isAdmin))
      }
      return { instanceAction: body }
    },
  )
}

/** Nova's `get_limit_and_marker` plus the 2.58/2.66 time window (validated already). */
function pageOf(q: Query, maxLimit: number): ActionPage {
  const limitText = one(q.limit)
  const since = one(q['changes-since'])
  const before = one(q['changes-before'])
  const changesSince = since === undefined ? undefined : parseIsoTime(since)
  const changesBefore = before === undefined ? undefined : parseIsoTime(before)
  if (changesSince && changesBefore && changesBefore < changesSince) {
    throw new Invalid('The value of changes-since must be less than or equal to changes-before.')
  }
  return {
    limit: Math.min(maxLimit, limitText === undefined ? maxLimit : Number(limitText)),
    marker: one(q.marker),
    changesSince: changesSince && dbNow(changesSince),
    changesBefore: changesBefore && dbNow(changesBefore),
  }
}

function singleValues(q: Query): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(q)) {
    const value = one(v)
    if (value !== undefined) out[k] = value
  }
  return out
}
