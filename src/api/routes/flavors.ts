import type { FastifyInstance } from 'fastify'
import type { ComputeApi } from '../../compute/api.js'
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
}
