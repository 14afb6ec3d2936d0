import type { FastifyInstance } from 'fastify'
import type { ComputeApi } from '../../compute/api.js'
import { NotFound } from '../../shared/errors.js'
import { flavorDetail, flavorSummary } from '../views/flavors.js'

type FlavorQuery = { is_public?: string; minRam?: string; minDisk?: string }

/** `/flavors`: list, detail, show. Public flavors for everyone; `is_public=None` lists all for admins. */
export function flavorRoutes(
  app: FastifyInstance,
  compute: ComputeApi,
  baseUrl: (host: string | undefined) => string,
): void {
  const load = async (isAdmin: boolean, q: FlavorQuery) => {
    const raw = q.is_public?.toLowerCase()
    const isPublic =
      raw === undefined ? true : raw === 'none' ? (isAdmin ? null : true) : /^(1|true|t|yes|y|on)$/.test(raw)
    let flavors = await compute.listFlavors(isPublic)
    if (q.minRam) flavors = flavors.filter((f) => f.memory_mb >= Number(q.minRam))
    if (q.minDisk) flavors = flavors.filter((f) => f.root_gb >= Number(q.minDisk))
    return flavors
  }
  app.get<{ Querystring: FlavorQuery }>('/flavors', async (request) => {
    const flavors = await load(request.ctx.isAdmin, request.query)
    const base = baseUrl(request.headers.host)
    return { flavors: flavors.map((f) => flavorSummary(f, base, request.apiVersion)) }
  })
  app.get<{ Querystring: FlavorQuery }>('/flavors/detail', async (request) => {
    const flavors = await load(request.ctx.isAdmin, request.query)
    const base = baseUrl(request.headers.host)
    return { flavors: flavors.map((f) => flavorDetail(f, base, request.apiVersion)) }
  })
  app.get<{ Params: { flavor_id: string } }>('/flavors/:flavor_id', async (request) => {
    const flavor = await compute.getFlavor(request.params.flavor_id)
    return { flavor: flavorDetail(flavor, baseUrl(request.headers.host), request.apiVersion) }
  })
  // Read-only extra specs: clients (openstacksdk's flavor list) fetch them for every flavor.
  app.get<{ Params: { flavor_id: string } }>('/flavors/:flavor_id/os-extra_specs', async (request) => {
    return { extra_specs: (await compute.getFlavor(request.params.flavor_id)).extra_specs }
  })
  app.get<{ Params: { flavor_id: string; key: string } }>(
    '/flavors/:flavor_id/os-extra_specs/:key',
    async (request) => {
      const flavor = await compute.getFlavor(request.params.flavor_id)
      const value = flavor.extra_specs[request.params.key]
      if (value === undefined) {
        throw new FlavorExtraSpecsNotFound(
          `Flavor ${flavor.flavorid} has no extra specs with key ${request.params.key}.`,
        )
      }
      return { [request.params.key]: value }
    },
  )
}

class FlavorExtraSpecsNotFound extends NotFound {}
