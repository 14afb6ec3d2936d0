import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { HostApi } from '../../compute-api/hosts.js'
import { authorizeAdmin } from '../../compute-api/policy.js'
import type { ServiceRecord } from '../../objects/service.js'
import type { RequestContext } from '../../shared/context.js'
import { Invalid, NotFound, ServiceNotFound } from '../../shared/errors.js'
import { timestampClock } from '../../shared/time.js'
import type { ApiVersion } from '../microversion.js'
import { boolFromString, canonicalUuid, integerId, isUuidLike, one, type Query } from '../params.js'
import {
  type LegacyServiceUpdate,
  validateLegacyServiceUpdate,
  validateServiceIndexQuery,
  validateServiceUpdate,
} from '../schemas/services.js'
import { serviceDetail } from '../views/os-services.js'

const POLICY = (action: string) => `os_compute_api:os-services:${action}`

type ServiceChanges = { disabled?: boolean; disabled_reason?: string | null; forced_down?: boolean }

/**
 * `/os-services` (admin only): list services with their liveness, enable/disable and force down
 * nova-compute services (by uuid from 2.53, by host and binary before), and delete services.
 */
export function osServiceRoutes(app: FastifyInstance, hosts: HostApi): void {
  const view = (s: ServiceRecord, version: ApiVersion, now = timestampClock().now(), zone = hosts.zone(s)) =>
    serviceDetail(s, { version, up: hosts.isUp(s, now), zone })

  app.get<{ Querystring: Query }>('/os-services', async (request) => {
    const v = request.apiVersion
    validateServiceIndexQuery(v)(request.query)
    authorizeAdmin(request.ctx, POLICY('list'))
    const services = await hosts.listServices({
      host: one(request.query.host) || undefined,
      binary: one(request.query.binary) || undefined,
    })
    const now = timestampClock().now()
    const zones = await hosts.zones(services)
    return { services: services.map((s) => view(s, v, now, zones.get(s))) }
  })

  app.put<{ Params: { service_id: string }; Body: unknown }>(
    '/os-services/:service_id',
    async (request: FastifyRequest<{ Params: { service_id: string }; Body: unknown }>) => {
      const v = request.apiVersion
      const id = request.params.service_id
      if (v.atLeast('2.53')) return updateV253(request.ctx, v, id, request.body)
      const body = validateLegacyServiceUpdate(v)(request.body)
      authorizeAdmin(request.ctx, POLICY('update'))
      return legacyAction(v, id, body)
    },
  )

  /** From 2.53: the service by uuid; the body says what changes; answers the whole service. */
  const updateV253 = async (ctx: RequestContext, v: ApiVersion, id: string, raw: unknown) => {
    const body = validateServiceUpdate(raw)
    if (!isUuidLike(id)) throw new Invalid(`Invalid uuid ${id}`)
    authorizeAdmin(ctx, POLICY('update'))
    const service = await hosts.getService({ uuid: canonicalUuid(id) })
    if (!service) throw new ServiceNotFound(id)
    if (service.binary !== 'nova-compute') {
      throw new Invalid(
        `Updating a ${service.binary} service is not supported. Only nova-compute services can be updated.`,
      )
    }
    const changes: ServiceChanges = {}
    if (body.status === 'enabled') {
      if (body.disabled_reason) {
        throw new Invalid("Specifying 'disabled_reason' with status 'enabled' is invalid.")
      }
      changes.disabled = false
      changes.disabled_reason = null
    } else if (body.status === 'disabled') {
      changes.disabled = true
      changes.disabled_reason = body.disabled_reason ?? null
    }
    if ('forced_down' in body) changes.forced_down = boolFromString(body.forced_down)
    if (Object.keys(changes).length === 0) {
      throw new Invalid("No updates were requested. Fields 'status' or 'forced_down' should be specified.")
    }
    const updated = await hosts.updateService(service, changes)
    return { service: view(updated, v, undefined, (await hosts.zones([updated])).get(updated)) }
  }

  /** Before 2.53: `PUT /os-services/<action>` with host and binary in the body. */
  const legacyAction = async (v: ApiVersion, action: string, body: LegacyServiceUpdate) => {
    const { host, binary } = body
    const update = async (changes: ServiceChanges) => {
      if (binary !== 'nova-compute') {
        throw new Invalid(
          `Updating a ${binary} service is not supported. Only nova-compute services can be updated.`,
        )
      }
      const service = await hosts.findService(host, binary)
      // Nova finds the host's cell first: a host without a compute service is not mapped to one.
      if (!service) throw new NotFound(`Host '${host}' is not mapped to any cell`)
      await hosts.updateService(service, changes)
    }
    switch (action) {
      case 'enable':
        await update({ disabled: false, disabled_reason: null })
        return { service: { host, binary, status: 'enabled' } }
      case 'disable':
        await update({ disabled: true, disabled_reason: null })
        return { service: { host, binary, status: 'disabled' } }
      case 'disable-log-reason': {
        if (!('disabled_reason' in body)) throw new Invalid('Missing disabled reason field')
        const reason = body.disabled_reason!
        await update({ disabled: true, disabled_reason: reason })
        return { service: { host, binary, status: 'disabled', disabled_reason: reason } }
      }
      case 'force-down': {
        if (!v.atLeast('2.11')) break
        if (!('forced_down' in body)) throw new Invalid('Missing forced_down field')
        const forcedDown = boolFromString(body.forced_down)
        await update({ forced_down: forcedDown })
        return { service: { host, binary, forced_down: forcedDown } }
      }
    }
    throw new NotFound('Unknown action')
  }

  app.delete<{ Params: { service_id: string } }>('/os-services/:service_id', async (request, reply) => {
    const v = request.apiVersion
    const id = request.params.service_id
    authorizeAdmin(request.ctx, POLICY('delete'))
    let service: ServiceRecord | undefined
    if (v.atLeast('2.53')) {
      if (!isUuidLike(id)) throw new Invalid(`Invalid uuid ${id}`)
      service = await hosts.getService({ uuid: canonicalUuid(id) })
    } else {
      const n = integerId(id)
      if (n === undefined) throw new Invalid('Invalid input received: id must be an integer')
      service = await hosts.getService({ id: n })
    }
    const notFound = () => new NotFound(`Service ${id} not found.`)
    if (!service) throw notFound()
    await hosts.deleteService(service, notFound)
    return reply.code(204).send()
  })
}
