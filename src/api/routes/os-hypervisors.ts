import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { HostApi, Hypervisor } from '../../compute-api/hosts.js'
import { authorizeAdmin } from '../../compute-api/policy.js'
import { Invalid, NotFound } from '../../shared/errors.js'
import { timestampClock } from '../../shared/time.js'
import type { ApiVersion } from '../microversion.js'
import { boolFromString, canonicalUuid, integerId, isUuidLike, one, type Query } from '../params.js'
import { validateHypervisorListQuery, validateHypervisorShowQuery } from '../schemas/hypervisors.js'
import { hypervisorView, statisticsView } from '../views/os-hypervisors.js'

const POLICY = (action: string) => `os_compute_api:os-hypervisors:${action}`

/** A route this microversion does not have: Nova answers a plain 404. */
class VersionNotFoundForApiMethod extends NotFound {
  constructor() {
    super('The resource could not be found.')
  }
}

/**
 * `/os-hypervisors` (admin only): the compute nodes with their service's state, by integer id
 * before 2.53 and uuid from then; usage statistics before 2.88.
 */
export function osHypervisorRoutes(
  app: FastifyInstance,
  hosts: HostApi,
  baseUrl: (host: string | undefined) => string,
  maxLimit: number,
): void {
  const view = async (
    h: Hypervisor,
    version: ApiVersion,
    o: { detail: boolean; withServers?: boolean; servers?: boolean; now?: number },
  ) =>
    hypervisorView(h, {
      version,
      up: hosts.isUp(h.service, o.now),
      detail: o.detail,
      withServers: o.withServers,
      servers: o.withServers || o.servers ? await hosts.instancesOnHost(h.node.host) : undefined,
    })

  const list = async (request: FastifyRequest<{ Querystring: Query }>, detail: boolean) => {
    const v = request.apiVersion
    const q = request.query
    const paging = v.atLeast('2.33')
    validateHypervisorListQuery(v)(q)
    authorizeAdmin(request.ctx, POLICY(detail ? 'list-detail' : 'list'))

    const pattern = v.atLeast('2.53') ? one(q.hypervisor_hostname_pattern) : undefined
    const withServers = v.atLeast('2.53') && boolFromString(one(q.with_servers) ?? false)
    const limitText = paging ? one(q.limit) : undefined
    const marker = paging ? one(q.marker) : undefined
    let hypervisors = await hosts.listHypervisors()
    let links = paging
    if (pattern !== undefined) {
      if (limitText !== undefined || marker) {
        throw new Invalid(
          'Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.',
        )
      }
      links = false
      hypervisors = matching(hypervisors, pattern)
    } else if (paging) {
      hypervisors = page(hypervisors, limitText, marker, maxLimit)
    }
    const now = timestampClock().now()
    const body: Record<string, unknown> = {
      hypervisors: await Promise.all(hypervisors.map((h) => view(h, v, { detail, withServers, now }))),
    }
    const items = body.hypervisors as { id: unknown }[]
    const maxItems = Math.min(limitText ? Number(limitText) : maxLimit, maxLimit)
    if (links && maxItems > 0 && items.length === maxItems) {
      // As Nova's `_get_next_link`: the request's parameters sorted, the marker replaced or added.
      const params = new URLSearchParams()
      for (const key of Object.keys(q).sort()) {
        const value = one(q[key])
        if (value !== undefined) params.set(key, value)
      }
      params.set('marker', String(items.at(-1)!.id))
      const path = request.url.split('?', 1)[0]!
      body.hypervisors_links = [{ rel: 'next', href: `${baseUrl(request.headers.host)}${path}?${params}` }]
    }
    return body
  }
  app.get<{ Querystring: Query }>('/os-hypervisors', (request) => list(request, false))
  app.get<{ Querystring: Query }>('/os-hypervisors/detail', (request) => list(request, true))

  app.get('/os-hypervisors/statistics', async (request) => {
    if (request.apiVersion.atLeast('2.88')) throw new VersionNotFoundForApiMethod()
    authorizeAdmin(request.ctx, POLICY('statistics'))
    return statisticsView(await hosts.statistics())
  })

  app.get<{ Params: { hypervisor_id: string }; Querystring: Query }>(
    '/os-hypervisors/:hypervisor_id',
    async (request) => {
      const v = request.apiVersion
      const id = request.params.hypervisor_id
      validateHypervisorShowQuery(v)(request.query)
      const withServers = v.atLeast('2.53') && boolFromString(one(request.query.with_servers) ?? false)
      authorizeAdmin(request.ctx, POLICY('show'))
      const notFound = () => new NotFound(`Hypervisor with ID '${id}' could not be found.`)
      let key: { id: number } | { uuid: string }
      if (v.atLeast('2.53')) {
        if (!isUuidLike(id)) throw new Invalid(`Invalid uuid ${id}`)
        key = { uuid: canonicalUuid(id) }
      } else {
        const n = integerId(id)
        if (n === undefined) throw notFound()
        key = { id: n }
      }
      const h = await hosts.getHypervisor(key)
      if (!h) throw notFound()
      return { hypervisor: await view(h, v, { detail: true, withServers }) }
    },
  )

  /** Before 2.53: hypervisors whose name contains the pattern, optionally with their servers. */
  const search = async (request: FastifyRequest<{ Params: { pattern: string } }>, servers: boolean) => {
    const v = request.apiVersion
    if (v.atLeast('2.53')) throw new VersionNotFoundForApiMethod()
    authorizeAdmin(request.ctx, POLICY(servers ? 'servers' : 'search'))
    const found = matching(await hosts.listHypervisors(), request.params.pattern)
    const now = timestampClock().now()
    return { hypervisors: await Promise.all(found.map((h) => view(h, v, { detail: false, servers, now }))) }
  }
  app.get<{ Params: { pattern: string } }>('/os-hypervisors/:pattern/search', (request) =>
    search(request, false),
  )
  app.get<{ Params: { pattern: string } }>('/os-hypervisors/:pattern/servers', (request) =>
    search(request, true),
  )
}

/** Hypervisors whose hostname contains `pattern` (Nova's `LIKE '%pattern%'`); 404 when none. */
function matching(hypervisors: Hypervisor[], pattern: string): Hypervisor[] {
  const found = hypervisors.filter((h) => h.node.hypervisor_hostname.includes(pattern))
  if (found.length === 0) throw new NotFound(`No hypervisor matching '${pattern}' could be found.`)
  return found
}

/** `limit`/`marker` paging in id order; the marker is a node's id or uuid. */
function page(
  hypervisors: Hypervisor[],
  limitText: string | undefined,
  marker: string | undefined,
  maxLimit: number,
): Hypervisor[] {
  let start = 0
  if (marker !== undefined) {
    const uuid = isUuidLike(marker) ? canonicalUuid(marker) : undefined
    const id = integerId(marker)
    const i = hypervisors.findIndex((h) => (uuid ? h.node.uuid === uuid : h.node.id === id))
    if (i < 0) throw new Invalid(`marker [${marker}] not found`)
    start = i + 1
  }
  let limit = maxLimit
  if (limitText !== undefined) {
    const n = integerId(limitText)
    if (n === undefined) throw new Invalid('Invalid input received: limit must be an integer')
    if (n < 0) throw new Invalid('Invalid input received: limit must be >= 0')
    // Nova pages nothing away with limit=0: the database query then has no LIMIT.
    limit = n === 0 ? Number.POSITIVE_INFINITY : Math.min(n, maxLimit)
  }
  return hypervisors.slice(start, start + limit)
}
