import type { FastifyInstance, FastifyRequest } from 'fastify'
import { FlavorExtraSpecsNotFound } from '../../compute-api/flavors.js'
import { authorizeAdmin } from '../../compute-api/policy.js'
import type { ComputeApi } from '../../compute-api/servers.js'
import type { Flavor } from '../../objects/flavor.js'
import { Conflict, Invalid, NotFound } from '../../shared/errors.js'
import { pyRepr } from '../../shared/python.js'
import { type ActionHandler, actionRoute } from '../actions.js'
import { type FieldCheck, type FieldsSchema, nameField, nestedBody, pyStr } from '../nested-body.js'
import {
  booleanCheck,
  boolFromString,
  enumCheck,
  nonNegativeIntegerCheck,
  type ObjectSchema,
  one,
  type Query,
  validateQuery,
} from '../validation.js'
import { flavorDetail, flavorSummary } from '../views/flavors.js'

const POLICY_MANAGE = (action: string) => `os_compute_api:os-flavor-manage:${action}`
const POLICY_EXTRA_SPECS = (action: string) => `os_compute_api:os-flavor-extra-specs:${action}`
const POLICY_ACCESS = 'os_compute_api:os-flavor-access'
const MAX_INT = 0x7fffffff
const SQL_SP_FLOAT_MAX = 3.40282e38

// --- request checks (Nova's schemas/flavor_manage.py, flavors_extraspecs.py, flavor_access.py)

/** `flavor_param_positive` / `flavor_param_non_negative`: an integer or a string of digits. */
const flavorParam =
  (minimum: number): FieldCheck =>
  (v) => {
    if (typeof v === 'string') {
      if (!/^[0-9]+$/.test(v)) return `${pyRepr(v)} does not match '^[0-9]+$'`
    } else if (typeof v !== 'number' || !Number.isInteger(v)) {
      return `${pyRepr(v)} is not of type 'integer', 'string'`
    }
    // Nova's validator compares a string by the number it spells (and reports that number).
    const n = Number(v)
    if (n < minimum) return `${n} is less than the minimum of ${minimum}`
    if (n > MAX_INT) return `${n} is greater than the maximum of ${MAX_INT}`
    return undefined
  }

/** The flavor id: a string of `[a-zA-Z0-9. _-]` without edge spaces, a number, or null. */
const flavorIdField: FieldCheck = (v) => {
  if (v === null || typeof v === 'number') return undefined
  if (typeof v !== 'string') return `${pyRepr(v)} is not of type 'string', 'number', 'null'`
  if (v.length < 1) return `${pyRepr(v)} is too short`
  if (v.length > 255) return `${pyRepr(v)} is too long`
  const pattern = '^(?! )[a-zA-Z0-9. _-]+(?<! )$'
  return new RegExp(pattern).test(v) ? undefined : `${pyRepr(v)} does not match '${pattern}'`
}

/** A positive float up to SQL_SP_FLOAT_MAX, as a number or a string of digits. */
const rxtxFactorField: FieldCheck = (v) => {
  if (typeof v === 'string') {
    if (!/^[0-9]+(\.[0-9]+)?$/.test(v)) return `${pyRepr(v)} does not match '^[0-9]+(\\.[0-9]+)?$'`
  } else if (typeof v !== 'number') {
    return `${pyRepr(v)} is not of type 'number', 'string'`
  }
  const n = Number(v)
  if (n <= 0) return `${n} is less than or equal to the minimum of 0`
  if (n > SQL_SP_FLOAT_MAX) return `${n} is greater than the maximum of 3.40282e+38`
  return undefined
}

/** Printable characters only (no control characters, line or paragraph separators). */
const descriptionField: FieldCheck = (v) => {
  if (v === null) return undefined
  if (typeof v !== 'string') return `${pyRepr(v)} is not of type 'string', 'null'`
  if ([...v].length > 65535) return `${pyRepr(v)} is too long`
  if (/[\p{C}\p{Zl}\p{Zp}]/u.test(v)) return `${pyRepr(v)} does not match printable characters`
  return undefined
}

const createFields: Record<string, FieldCheck> = {
  name: nameField,
  id: flavorIdField,
  ram: flavorParam(1),
  vcpus: flavorParam(1),
  disk: flavorParam(0),
  'OS-FLV-EXT-DATA:ephemeral': flavorParam(0),
  swap: flavorParam(0),
  rxtx_factor: rxtxFactorField,
  'os-flavor-access:is_public': booleanCheck,
}
const createSchema: FieldsSchema = {
  properties: createFields,
  required: ['name', 'ram', 'vcpus', 'disk'],
  additionalProperties: false,
}
const createSchemaV255: FieldsSchema = {
  ...createSchema,
  properties: { ...createFields, description: descriptionField },
}
const updateSchemaV255: FieldsSchema = {
  properties: { description: descriptionField },
  required: ['description'],
  additionalProperties: false,
}

const EXTRA_SPEC_KEY = /^[a-zA-Z0-9-_:. ]{1,255}$/

/** An extra spec's value: a string of at most 255 characters, or a number (stored as its text). */
function extraSpecValue(key: string, v: unknown): string {
  if (typeof v === 'number') return String(v)
  if (typeof v !== 'string') {
    throw new Invalid(
      `Invalid input for field/attribute ${key}. Value: ${pyStr(v)}. ${pyRepr(v)} is not of type 'string', 'number'`,
    )
  }
  if ([...v].length > 255) {
    throw new Invalid(`Invalid input for field/attribute ${key}. Value: ${v}. ${pyRepr(v)} is too long`)
  }
  return v
}

/**
 * Nova's flavor extra specs `metadata` schema: values first (patternProperties), then keys that
 * match no pattern (additionalProperties). `field` names the object in messages when nested.
 */
function extraSpecs(specs: Record<string, unknown>, field?: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(specs)) if (EXTRA_SPEC_KEY.test(k)) out[k] = extraSpecValue(k, v)
  const extra = Object.keys(specs).filter((k) => !EXTRA_SPEC_KEY.test(k))
  if (extra.length > 0) {
    const message = `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`
    throw new Invalid(
      field ? `Invalid input for field/attribute ${field}. Value: ${pyRepr(specs)}. ${message}` : message,
    )
  }
  return out
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** `{"extra_specs": {…}}` of `POST /flavors/{id}/os-extra_specs`. */
function createExtraSpecsBody(body: unknown): Record<string, string> {
  if (!isObject(body)) throw new Invalid(`${pyRepr(body ?? null)} is not of type 'object'`)
  if (!Object.hasOwn(body, 'extra_specs')) throw new Invalid(`'extra_specs' is a required property`)
  const specs = body.extra_specs
  if (!isObject(specs)) {
    throw new Invalid(
      `Invalid input for field/attribute extra_specs. Value: ${pyStr(specs)}. ${pyRepr(specs)} is not of type 'object'`,
    )
  }
  const out = extraSpecs(specs, 'extra_specs')
  const extra = Object.keys(body).filter((k) => k !== 'extra_specs')
  if (extra.length > 0) {
    throw new Invalid(
      `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`,
    )
  }
  return out
}

/** `{"<key>": value}` of `PUT /flavors/{id}/os-extra_specs/{key}`: exactly one spec. */
function updateExtraSpecBody(body: unknown): Record<string, string> {
  if (!isObject(body)) throw new Invalid(`${pyRepr(body ?? null)} is not of type 'object'`)
  const out = extraSpecs(body)
  const n = Object.keys(body).length
  if (n < 1) throw new Invalid(`${pyRepr(body)} does not have enough properties`)
  if (n > 1) throw new Invalid(`${pyRepr(body)} has too many properties`)
  return out
}

const tenantSchema: FieldsSchema = {
  properties: {
    tenant: (v) => {
      if (typeof v !== 'string') return `${pyRepr(v)} is not of type 'string'`
      if (v.length < 1) return `${pyRepr(v)} is too short`
      if (v.length > 255) return `${pyRepr(v)} is too long`
      return undefined
    },
  },
  required: ['tenant'],
  additionalProperties: false,
}

const VALID_SORT_KEYS = [
  'created_at',
  'description',
  'disabled',
  'ephemeral_gb',
  'flavorid',
  'id',
  'is_public',
  'memory_mb',
  'name',
  'root_gb',
  'rxtx_factor',
  'swap',
  'updated_at',
  'vcpu_weight',
  'vcpus',
] as const
const indexQuery: ObjectSchema = {
  properties: {
    limit: nonNegativeIntegerCheck,
    marker: () => undefined,
    is_public: () => undefined,
    minRam: () => undefined,
    minDisk: () => undefined,
    sort_key: enumCheck(VALID_SORT_KEYS),
    sort_dir: enumCheck(['asc', 'desc']),
  },
  additionalProperties: true,
}
const indexQueryV275: ObjectSchema = { ...indexQuery, additionalProperties: false }

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
    validateQuery(q, v.atLeast('2.75') ? indexQueryV275 : indexQuery)
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
    const f = nestedBody(request.body, 'flavor', v.atLeast('2.55') ? createSchemaV255 : createSchema)
    authorizeAdmin(request.ctx, POLICY_MANAGE('create'))
    const int = (value: unknown, fallback: number) => (value === undefined ? fallback : Number(value))
    const id = f.id
    const flavor = await flavors.create({
      flavorid: id === undefined || id === null || id === 0 || id === '' ? null : String(id),
      name: f.name as string,
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
      description: v.atLeast('2.55') ? ((f.description as string | null | undefined) ?? null) : null,
    })
    return { flavor: flavorDetail(flavor, baseUrl(request.headers.host), v) }
  })

  app.put<{ Params: FlavorParams; Body: unknown }>('/flavors/:flavor_id', async (request) => {
    const v = request.apiVersion
    if (!v.atLeast('2.55')) throw new NotFound('The resource could not be found.')
    const f = nestedBody(request.body, 'flavor', updateSchemaV255)
    authorizeAdmin(request.ctx, POLICY_MANAGE('update'))
    const flavor = await flavors.updateDescription(request.params.flavor_id, f.description as string | null)
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
    const specs = createExtraSpecsBody(request.body)
    authorizeAdmin(request.ctx, POLICY_EXTRA_SPECS('create'))
    await flavors.setExtraSpecs(request.ctx, request.params.flavor_id, specs)
    return request.body
  })
  app.put<{ Params: FlavorParams & { key: string }; Body: unknown }>(
    '/flavors/:flavor_id/os-extra_specs/:key',
    async (request) => {
      const specs = updateExtraSpecBody(request.body)
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
          const { tenant } = nestedBody(body, 'addTenantAccess', tenantSchema) as { tenant: string }
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
          const { tenant } = nestedBody(body, 'removeTenantAccess', tenantSchema) as { tenant: string }
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
