import type { FastifyInstance, FastifyRequest } from 'fastify'
import { FlavorExtraSpecsNotFound } from '../../compute-api/flavors.js'
import { authorizeAdmin } from '../../compute-api/policy.js'
import type { ComputeApi } from '../../compute-api/servers.js'
import type { Flavor } from '../../objects/flavor.js'
import { Conflict, Invalid, NotFound } from '../../shared/errors.js'
import { type ActionHandler, actionRoute } from '../actions.js'
import { boolFromString, one, type Query } from '../params.js'
import {
  validateAddTenantAccess,
  validateExtraSpecsCreate,
  validateExtraSpecUpdate,
  validateFlavorCreate,
  validateFlavorIndexQuery,
  validateFlavorUpdate,
  validateRemoveTenantAccess,
} from '../schemas/flavors.js'
import { flavorDetail, flavorSummary } from '../views/flavors.js'

const POLICY_MANAGE = (action: string) => `os_compute_api:os-flavor-manage:${action}`
const POLICY_EXTRA_SPECS = (action: string) => `os_compute_api:os-flavor-extra-specs:${action}`
const POLICY_ACCESS = 'os_compute_api:os-flavor-access'

/** Extra specs are stored as text; numbers are written as Python would print them. */
function specsAsText(specs: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(specs).map(([k, v]) => [k, String(v)]))
}

export interface FlavorRouteOptions {
  /** `[api] max_limit`: the most flavors one page holds. */
  readonly maxLimit: number
  /**
   * Nova's `verify_project_id` for addTenantAccess: false when the identity service says the
   * project does not exist; undefined (or absent) when it cannot tell, which lets the request on.
   */
  readonly verifyProject?: (projectId: string) => Promise<boolean | undefined>
}

type FlavorParams = { flavor_id: string }

/**
 * `/flavors`: list, detail, show for everyone (private flavors for the projects given access);
 * create, update (2.55), delete, extra specs writes and access lists for admins.
 */
export function flavorRoutes(
  app: FastifyInstance,
  compute: ComputeApi,
  baseUrl: (host: string | undefined) => string,
  options: FlavorRouteOptions = { maxLimit: 1000 },
): void {
  const flavors = compute.flavors

  /** Nova's `_get_flavors`: filters, sort and one page, with the `next` link when there may be more. */
  const list = async (request: FastifyRequest<{ Querystring: Query }>, detail: boolean) => {
    const v = request.apiVersion
    const q = request.query
    validateFlavorIndexQuery(v)(q)
    const ctx = request.ctx
    let isPublic: boolean | null = true
    const rawPublic = one(q.is_public)
    if (ctx.isAdmin && rawPublic !== undefined) {
      if (rawPublic.toLowerCase() === 'none') isPublic = null
      else if (/^(1|t|true|on|y|yes)$/i.test(rawPublic.trim())) isPublic = true
      else if (/^(0|f|false|off|n|no)$/i.test(rawPublic.trim())) isPublic = false
      else throw new Invalid(`Invalid is_public filter [${rawPublic}]`)
    }
    const intFilter = (name: 'minRam' | 'minDisk') => {
      const raw = one(q[name])
      if (raw === undefined) return undefined
      if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw new Invalid(`Invalid ${name} filter [${raw}]`)
      return Number(raw)
    }
    const all = await flavors.list(ctx, {
      isPublic,
      minMemoryMb: intFilter('minRam'),
      minRootGb: intFilter('minDisk'),
    })
    const sorted = sortFlavors(all, one(q.sort_key) || 'flavorid', one(q.sort_dir) || 'asc')
    const limitText = one(q.limit)
    const limit = Math.min(options.maxLimit, limitText === undefined ? options.maxLimit : Number(limitText))
    const marker = one(q.marker)
    let start = 0
    if (marker !== undefined) {
      const i = sorted.findIndex((f) => f.flavorid === marker)
      if (i < 0) throw new Invalid(`marker [${marker}] not found`)
      start = i + 1
    }
    const page = sorted.slice(start, start + limit)
    const base = baseUrl(request.headers.host)
    const body: Record<string, unknown> = {
      flavors: page.map((f) => (detail ? flavorDetail(f, base, v) : flavorSummary(f, base, v))),
    }
    // Nova's _get_collection_links: a full page (of `limit`, or of max_limit) may have a next one.
    const wanted = limitText === undefined ? options.maxLimit : Math.min(Number(limitText), options.maxLimit)
    if (page.length > 0 && page.length === wanted) {
      const params = new URLSearchParams()
      for (const [k, val] of Object.entries(q).sort(([a], [b]) => a.localeCompare(b))) {
        if (val !== undefined) params.set(k, one(val)!)
      }
      params.set('marker', page.at(-1)!.flavorid)
      body.flavors_links = [
        { rel: 'next', href: `${base}/v2.1/flavors${detail ? '/detail' : ''}?${params.toString()}` },
      ]
    }
    return body
  }
  app.get<{ Querystring: Query }>('/flavors', (request) => list(request, false))
  app.get<{ Querystring: Query }>('/flavors/detail', (request) => list(request, true))

  app.get<{ Params: FlavorParams }>('/flavors/:flavor_id', async (request) => {
    const flavor = await flavors.get(request.ctx, request.params.flavor_id)
    return { flavor: flavorDetail(flavor, baseUrl(request.headers.host), request.apiVersion) }
  })

  // --- flavor-manage (admin)

  app.post<{ Body: unknown }>('/flavors', async (request) => {
    const v = request.apiVersion
    const f = validateFlavorCreate(v)(request.body).flavor
    authorizeAdmin(request.ctx, POLICY_MANAGE('create'))
    const int = (value: unknown, fallback: number) => (value === undefined ? fallback : Number(value))
    const id = f.id
    const flavor = await flavors.create({
      flavorid: id === undefined || id === null || id === 0 || id === '' ? null : String(id),
      name: f.name,
      memory_mb: int(f.ram, 0),
      vcpus: int(f.vcpus, 0),
      root_gb: int(f.disk, 0),
      ephemeral_gb: int(f['OS-FLV-EXT-DATA:ephemeral'], 0),
      swap: int(f.swap, 0),
      rxtx_factor: int(f.rxtx_factor, 1),
      is_public:
        f['os-flavor-access:is_public'] === undefined
          ? true
          : boolFromString(f['os-flavor-access:is_public']),
      description: v.atLeast('2.55') ? (f.description ?? null) : null,
    })
    return { flavor: flavorDetail(flavor, baseUrl(request.headers.host), v) }
  })

  app.put<{ Params: FlavorParams; Body: unknown }>('/flavors/:flavor_id', async (request) => {
    const v = request.apiVersion
    if (!v.atLeast('2.55')) throw new NotFound('The resource could not be found.')
    const f = validateFlavorUpdate(request.body).flavor
    authorizeAdmin(request.ctx, POLICY_MANAGE('update'))
    const flavor = await flavors.updateDescription(request.params.flavor_id, f.description)
    return { flavor: flavorDetail(flavor, baseUrl(request.headers.host), v) }
  })

  app.delete<{ Params: FlavorParams }>('/flavors/:flavor_id', async (request, reply) => {
    authorizeAdmin(request.ctx, POLICY_MANAGE('delete'))
    await flavors.delete(request.params.flavor_id)
    return reply.code(202).send()
  })

  // --- extra specs: reads for everyone who sees the flavor (clients fetch them for every flavor)

  app.get<{ Params: FlavorParams }>('/flavors/:flavor_id/os-extra_specs', async (request) => {
    return { extra_specs: (await flavors.get(request.ctx, request.params.flavor_id)).extra_specs }
  })
  app.get<{ Params: FlavorParams & { key: string } }>(
    '/flavors/:flavor_id/os-extra_specs/:key',
    async (request) => {
      const flavor = await flavors.get(request.ctx, request.params.flavor_id)
      const value = flavor.extra_specs[request.params.key]
      if (value === undefined)
        throw new FlavorExtraSpecsNotFound(request.params.flavor_id, request.params.key)
      return { [request.params.key]: value }
    },
  )
  // Writes answer the body as sent (numbers stay numbers there; they are stored as text).
  app.post<{ Params: FlavorParams; Body: unknown }>('/flavors/:flavor_id/os-extra_specs', async (request) => {
    const specs = specsAsText(validateExtraSpecsCreate(request.body).extra_specs)
    authorizeAdmin(request.ctx, POLICY_EXTRA_SPECS('create'))
    await flavors.setExtraSpecs(request.ctx, request.params.flavor_id, specs)
    return request.body
  })
  app.put<{ Params: FlavorParams & { key: string }; Body: unknown }>(
    '/flavors/:flavor_id/os-extra_specs/:key',
    async (request) => {
      const specs = specsAsText(validateExtraSpecUpdate(request.body))
      authorizeAdmin(request.ctx, POLICY_EXTRA_SPECS('update'))
      if (!Object.hasOwn(specs, request.params.key)) throw new Invalid('Request body and URI mismatch')
      await flavors.setExtraSpecs(request.ctx, request.params.flavor_id, specs)
      return request.body
    },
  )
  app.delete<{ Params: FlavorParams & { key: string } }>(
    '/flavors/:flavor_id/os-extra_specs/:key',
    async (request, reply) => {
      authorizeAdmin(request.ctx, POLICY_EXTRA_SPECS('delete'))
      await flavors.deleteExtraSpec(request.ctx, request.params.flavor_id, request.params.key)
      return reply.code(200).send()
    },
  )

  // --- flavor access (admin): who may use a private flavor

  const accessList = (flavor: Flavor, projects: readonly string[]) => ({
    flavor_access: projects.map((tenant_id) => ({ flavor_id: flavor.flavorid, tenant_id })),
  })
  app.get<{ Params: FlavorParams }>('/flavors/:flavor_id/os-flavor-access', async (request) => {
    authorizeAdmin(request.ctx, POLICY_ACCESS)
    const flavor = await flavors.get(request.ctx, request.params.flavor_id)
    if (flavor.is_public) throw new NotFound('Access list not available for public flavors.')
    return accessList(flavor, await flavors.projects(flavor))
  })

  const verify = async (tenant: string) => {
    if ((await options.verifyProject?.(tenant)) === false) {
      throw new Invalid(`Project ID ${tenant} is not a valid project.`)
    }
  }
  const actions = new Map<string, ActionHandler<FlavorParams>>([
    [
      'addTenantAccess',
      {
        async handle(request, body) {
          const { tenant } = validateAddTenantAccess(body).addTenantAccess!
          authorizeAdmin(request.ctx, `${POLICY_ACCESS}:add_tenant_access`)
          await verify(tenant)
          const flavor = await flavors.get(request.ctx, request.params.flavor_id)
          if (request.apiVersion.atLeast('2.7') && flavor.is_public) {
            throw new Conflict('Can not add access to a public flavor.')
          }
          return { status: 200, body: accessList(flavor, await flavors.addAccess(flavor, tenant)) }
        },
      },
    ],
    [
      'removeTenantAccess',
      {
        async handle(request, body) {
          const { tenant } = validateRemoveTenantAccess(body).removeTenantAccess!
          authorizeAdmin(request.ctx, `${POLICY_ACCESS}:remove_tenant_access`)
          // A project that no longer exists may still be removed from the list.
          const flavor = await flavors.get(request.ctx, request.params.flavor_id)
          return { status: 200, body: accessList(flavor, await flavors.removeAccess(flavor, tenant)) }
        },
      },
    ],
  ])
  actionRoute(app, '/flavors/:flavor_id/action', actions)
}

/** Sort as Nova's paginate_query: by the key, then by database id, in one direction. */
function sortFlavors(flavors: Flavor[], key: string, dir: string): Flavor[] {
  const sign = dir === 'desc' ? -1 : 1
  const value = (f: Flavor): string | number | boolean | null => {
    if (key === 'created_at' || key === 'updated_at') return null
    return (f as unknown as Record<string, string | number | boolean | null>)[key] ?? null
  }
  const cmp = (a: unknown, b: unknown): number => {
    if (a === b) return 0
    if (a === null) return -1
    if (b === null) return 1
    if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : 1
    return Number(a) - Number(b)
  }
  return [...flavors].sort((a, b) => sign * (cmp(value(a), value(b)) || a.id - b.id))
}
