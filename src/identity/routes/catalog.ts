/** Catalog administration: `/v3/services`, `/v3/endpoints`, `/v3/regions`. */
import type { FastifyInstance } from 'fastify'
import { NotFoundError } from '../errors.js'
import type { CatalogService, Endpoint } from '../identity-store.js'
import { entityOf, validateEndpointCreate, validateServiceCreate } from '../schemas.js'
import { listLinks } from '../views.js'
import type { IdentityRouteContext } from './helpers.js'

function serviceView(s: CatalogService, base: string) {
  return {
    id: s.id,
    type: s.type,
    name: s.name,
    ...(s.description ? { description: s.description } : {}),
    enabled: s.enabled,
    links: { self: `${base}/services/${s.id}` },
  }
}

function endpointView(e: Endpoint, base: string) {
  return {
    id: e.id,
    service_id: e.service_id,
    interface: e.interface,
    region: e.region_id,
    region_id: e.region_id,
    url: e.url,
    enabled: e.enabled,
    links: { self: `${base}/endpoints/${e.id}` },
  }
}

function regionView(id: string, base: string) {
  return { id, description: '', parent_region_id: null, links: { self: `${base}/regions/${id}` } }
}

export function catalogRoutes(app: FastifyInstance, c: IdentityRouteContext): void {
  const { store } = c
  const getService = async (id: string) => {
    const s = (await store.listServices()).find((x) => x.id === id)
    if (!s) throw new NotFoundError('service', id)
    return s
  }
  const getEndpoint = async (id: string) => {
    const e = (await store.listEndpoints()).find((x) => x.id === id)
    if (!e) throw new NotFoundError('endpoint', id)
    return e
  }

  app.get('/v3/services', async (request) => {
    await c.admin(request, 'list_services')
    const services = await store.listServices({ type: c.query(request).type })
    return {
      services: services.map((s) => serviceView(s, c.base(request))),
      links: listLinks(c.base(request), '/services'),
    }
  })
  app.get<{ Params: { id: string } }>('/v3/services/:id', async (request) => {
    await c.admin(request, 'get_service')
    return { service: serviceView(await getService(request.params.id), c.base(request)) }
  })
  app.post('/v3/services', async (request, reply) => {
    await c.admin(request, 'create_service')
    const e = validateServiceCreate(entityOf(request.body, 'service'))
    const s = await store.createService({
      type: e.type,
      name: e.name ?? '',
      description: typeof e.description === 'string' ? e.description : null,
      enabled: e.enabled ?? true,
    })
    return reply.code(201).send({ service: serviceView(s, c.base(request)) })
  })
  app.delete<{ Params: { id: string } }>('/v3/services/:id', async (request, reply) => {
    await c.admin(request, 'delete_service')
    await store.deleteService((await getService(request.params.id)).id)
    return reply.code(204).send()
  })

  app.get('/v3/endpoints', async (request) => {
    await c.admin(request, 'list_endpoints')
    const q = c.query(request)
    const endpoints = await store.listEndpoints({ serviceId: q.service_id, interface: q.interface })
    return {
      endpoints: endpoints
        .filter((e) => !q.region_id || e.region_id === q.region_id)
        .map((e) => endpointView(e, c.base(request))),
      links: listLinks(c.base(request), '/endpoints'),
    }
  })
  app.get<{ Params: { id: string } }>('/v3/endpoints/:id', async (request) => {
    await c.admin(request, 'get_endpoint')
    return { endpoint: endpointView(await getEndpoint(request.params.id), c.base(request)) }
  })
  app.post('/v3/endpoints', async (request, reply) => {
    await c.admin(request, 'create_endpoint')
    const e = validateEndpointCreate(entityOf(request.body, 'endpoint'))
    await getService(e.service_id)
    const created = await store.createEndpoint({
      service_id: e.service_id,
      interface: e.interface,
      url: e.url,
      region_id: e.region_id ?? e.region ?? 'RegionOne',
      enabled: e.enabled ?? true,
    })
    return reply.code(201).send({ endpoint: endpointView(created, c.base(request)) })
  })
  app.delete<{ Params: { id: string } }>('/v3/endpoints/:id', async (request, reply) => {
    await c.admin(request, 'delete_endpoint')
    await store.deleteEndpoint((await getEndpoint(request.params.id)).id)
    return reply.code(204).send()
  })

  app.get('/v3/regions', async (request) => {
    await c.caller(request)
    const ids = [...new Set((await store.listEndpoints()).map((e) => e.region_id))].sort()
    return {
      regions: ids.map((id) => regionView(id, c.base(request))),
      links: listLinks(c.base(request), '/regions'),
    }
  })
  app.get<{ Params: { id: string } }>('/v3/regions/:id', async (request) => {
    await c.caller(request)
    const ids = new Set((await store.listEndpoints()).map((e) => e.region_id))
    if (!ids.has(request.params.id)) throw new NotFoundError('region', request.params.id)
    return { region: regionView(request.params.id, c.base(request)) }
  })
}
