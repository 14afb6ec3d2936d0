import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ComputeApi, ServerRecord } from '../../compute-api/servers.js'
import { Invalid } from '../../shared/errors.js'
import { pyRepr } from '../../shared/python.js'
import { validateSchedulerHints } from '../scheduler-hints.js'
import { serverListRequest } from '../server-list-query.js'
import { serverDetail, serverSummary } from '../views/servers.js'

const createSchema = {
  type: 'object',
  required: ['server'],
  properties: {
    server: {
      type: 'object',
      required: ['name', 'flavorRef'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 255 },
        imageRef: { type: 'string' },
        flavorRef: { type: ['string', 'integer'], minLength: 1 },
        networks: {},
        min_count: { type: ['integer', 'string'] },
        max_count: { type: ['integer', 'string'] },
        availability_zone: { type: 'string', minLength: 1, maxLength: 255 },
        key_name: { type: 'string', minLength: 1, maxLength: 255 },
        user_data: { type: 'string', maxLength: 65535 },
        metadata: {
          type: 'object',
          maxProperties: 128,
          propertyNames: { minLength: 1, maxLength: 255 },
          additionalProperties: { type: 'string', maxLength: 255 },
        },
        description: { type: ['string', 'null'], maxLength: 255 },
        accessIPv4: { type: 'string' },
        accessIPv6: { type: 'string' },
        config_drive: { type: ['boolean', 'string'] },
        security_groups: { type: 'array' },
        block_device_mapping_v2: { type: 'array' },
        adminPass: { type: 'string' },
        'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
        return_reservation_id: { type: ['boolean', 'string'] },
        tags: { type: 'array', items: { type: 'string' } },
        hostname: { type: 'string' },
        host: { type: 'string' },
        hypervisor_hostname: { type: 'string' },
        personality: { type: 'array' },
        trusted_image_certificates: { type: ['array', 'null'] },
      },
      additionalProperties: false,
    },
    'os:scheduler_hints': { type: 'object' },
    'OS-SCH-HNT:scheduler_hints': { type: 'object' },
  },
  additionalProperties: false,
} as const

interface CreateBody {
  server: {
    name: string
    imageRef?: string
    flavorRef: string | number
    networks?: unknown
    min_count?: number | string
    max_count?: number | string
    availability_zone?: string
    key_name?: string
    user_data?: string
    metadata?: Record<string, string>
    description?: string | null
    accessIPv4?: string
    accessIPv6?: string
    config_drive?: boolean | string
    return_reservation_id?: boolean | string
    host?: string
    hypervisor_hostname?: string
  }
  'os:scheduler_hints'?: Record<string, unknown>
  'OS-SCH-HNT:scheduler_hints'?: Record<string, unknown>
}

type ServersQuery = Record<string, string | string[] | undefined>

/** `/servers`: create, list, show, delete. */
export function serverRoutes(
  app: FastifyInstance,
  compute: ComputeApi,
  baseUrl: (host: string | undefined) => string,
  maxLimit: number,
): void {
  app.post<{ Body: CreateBody }>('/servers', { schema: { body: createSchema } }, async (request, reply) => {
    const body = request.body
    const s = body.server
    const v = request.apiVersion
    checkNetworks(s.networks, v.atLeast('2.37'))
    const minCount = countParam('min_count', s.min_count ?? 1)
    const maxCount = countParam('max_count', s.max_count ?? minCount)
    if (s.description !== undefined && !v.atLeast('2.19')) {
      throw new Invalid(
        `Invalid input for field/attribute server. Value: ${pyRepr(s)}. Additional properties are not allowed ('description' was unexpected)`,
      )
    }
    checkRequestedDestination(s, v.atLeast('2.74'))
    const schedulerHints = body['os:scheduler_hints'] ?? body['OS-SCH-HNT:scheduler_hints'] ?? {}
    validateSchedulerHints(schedulerHints)
    const result = await compute.create(request.ctx, {
      name: s.name,
      flavorRef: String(s.flavorRef),
      imageRef: s.imageRef ?? '',
      minCount,
      maxCount,
      availabilityZone: s.availability_zone ?? null,
      keyName: s.key_name ?? null,
      userData: s.user_data ?? null,
      metadata: s.metadata ?? {},
      description: s.description ?? null,
      accessIPv4: s.accessIPv4 ?? null,
      accessIPv6: s.accessIPv6 ?? null,
      configDrive: s.config_drive === undefined ? null : String(s.config_drive) === 'true' ? 'True' : '',
      schedulerHints,
      requestedHost: s.host ?? null,
      requestedNode: s.hypervisor_hostname ?? null,
    })
    if (s.return_reservation_id === true || s.return_reservation_id === 'true') {
      return reply.code(202).send({ reservation_id: result.reservationId })
    }
    const first = result.instances[0]!
    const base = baseUrl(request.headers.host)
    reply.header('location', `${base}/v2.1/servers/${first.uuid}`)
    return reply.code(202).send({
      server: {
        id: first.uuid,
        links: serverSummary({ uuid: first.uuid, display_name: first.display_name } as ServerRecord, base)
          .links,
        'OS-DCF:diskConfig': 'MANUAL',
        security_groups: [{ name: 'default' }],
        adminPass: adminPassword(),
      },
    })
  })

  const list = async (request: FastifyRequest<{ Querystring: ServersQuery }>, detail: boolean) => {
    const ctx = request.ctx
    const asked = await serverListRequest(
      request.query,
      ctx,
      request.apiVersion,
      detail,
      maxLimit,
      compute.flavors,
    )
    const page = asked === 'empty' ? [] : await compute.list(asked)
    const base = baseUrl(request.headers.host)
    // Nova's next link: whenever a page is full, with every parameter of this request kept.
    const full = asked !== 'empty' && asked.limit > 0 && page.length === asked.limit
    const links = full
      ? {
          servers_links: [
            {
              rel: 'next',
              href: nextLink(
                `${base}/v2.1/servers${detail ? '/detail' : ''}`,
                request.query,
                page.at(-1)!.uuid,
              ),
            },
          ],
        }
      : {}
    if (!detail) return { servers: page.map((s) => serverSummary(s, base)), ...links }
    const hosts = [...new Set(page.map((s) => s.host).filter((h): h is string => !!h))]
    const hostStatus =
      request.apiVersion.atLeast('2.16') && ctx.isAdmin ? await compute.hostStatus(hosts) : undefined
    const hostZones = await compute.hostZones(hosts)
    return {
      servers: page.map((s) =>
        serverDetail(s, { baseUrl: base, version: request.apiVersion, ctx, hostStatus, hostZones }),
      ),
      ...links,
    }
  }
  app.get<{ Querystring: ServersQuery }>('/servers', (request) => list(request, false))
  app.get<{ Querystring: ServersQuery }>('/servers/detail', (request) => list(request, true))

  app.get<{ Params: { server_id: string } }>('/servers/:server_id', async (request) => {
    const ctx = request.ctx
    const server = await compute.get(ctx, request.params.server_id)
    const hostStatus =
      request.apiVersion.atLeast('2.16') && ctx.isAdmin && server.host
        ? await compute.hostStatus([server.host])
        : undefined
    return {
      server: serverDetail(server, {
        baseUrl: baseUrl(request.headers.host),
        version: request.apiVersion,
        ctx,
        hostStatus,
        hostZones: server.host ? await compute.hostZones([server.host]) : undefined,
        serverGroups: request.apiVersion.atLeast('2.71')
          ? await compute.serverGroups(server.uuid)
          : undefined,
      }),
    }
  })

  app.delete<{ Params: { server_id: string } }>('/servers/:server_id', async (request, reply) => {
    await compute.delete(request.ctx, request.params.server_id)
    return reply.code(204).send()
  })
}

/** `host` / `hypervisor_hostname` (Nova's `fqdn`) exist from 2.74 only. */
function checkRequestedDestination(s: CreateBody['server'], atLeast274: boolean): void {
  for (const field of ['host', 'hypervisor_hostname'] as const) {
    const value = s[field]
    if (value === undefined) continue
    if (!atLeast274) {
      throw new Invalid(
        `Invalid input for field/attribute server. Value: ${pyRepr(s)}. Additional properties are not allowed ('${field}' was unexpected)`,
      )
    }
    const problem = !/^[a-zA-Z0-9-._]*$/.test(value)
      ? `${pyRepr(value)} does not match '^[a-zA-Z0-9-._]*$'`
      : value.length < 1
        ? `${pyRepr(value)} is too short`
        : value.length > 255
          ? `${pyRepr(value)} is too long`
          : undefined
    if (problem) throw new Invalid(`Invalid input for field/attribute ${field}. Value: ${value}. ${problem}`)
  }
}

/** `networks`: from 2.37 required, `"auto"`, `"none"` or a list; before 2.37 a list if given. */
function checkNetworks(networks: unknown, atLeast237: boolean): void {
  if (networks === undefined) {
    if (atLeast237) {
      throw new Invalid(
        "Invalid input for field/attribute server. Value: {...}. 'networks' is a required property",
      )
    }
    return
  }
  if (Array.isArray(networks)) {
    for (const n of networks) {
      if (typeof n !== 'object' || n === null) {
        throw new Invalid(
          `Invalid input for field/attribute networks. Value: ${pyRepr(networks)}. ${pyRepr(n)} is not of type 'object'`,
        )
      }
    }
    return
  }
  if (atLeast237 && (networks === 'auto' || networks === 'none')) return
  const expected = atLeast237 ? 'is not valid under any of the given schemas' : "is not of type 'array'"
  throw new Invalid(
    `Invalid input for field/attribute networks. Value: ${String(networks)}. ${pyRepr(networks)} ${expected}`,
  )
}

function countParam(name: string, value: number | string): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isInteger(n) || n < 1) {
    throw new Invalid(
      `Invalid input for field/attribute ${name}. Value: ${value}. ${pyRepr(value)} is less than the minimum of 1`,
    )
  }
  if (n > 1000)
    throw new Invalid(`Invalid input for field/attribute ${name}. Value: ${value}. Maximum is 1000`)
  return n
}

/** A random admin password, as Nova generates one when none is given. */
function adminPassword(): string {
  const chars = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'
  let out = ''
  for (let i = 0; i < 12; i++) out += chars[Math.floor(Math.random() * chars.length)]
  return out
}

/** The URL of the next page: this request's parameters, sorted, with the last server as marker. */
function nextLink(url: string, query: ServersQuery, marker: string): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query).sort(([a], [b]) => a.localeCompare(b))) {
    if (key === 'marker' || value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v)
  }
  params.append('marker', marker)
  return `${url}?${params.toString()}`
}
