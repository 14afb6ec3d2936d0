import { randomInt } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ComputeApi, ServerRecord } from '../../compute-api/servers.js'
import { statusFromState } from '../../objects/states.js'
import { Invalid } from '../../shared/errors.js'
import { canonicalIpv6 } from '../../validation/formats.js'
import { boolFromString } from '../params.js'
import { validateCreateServer } from '../schemas/servers.js'
import { serverDetail, serverSummary } from '../views/servers.js'

/** The most servers one request may create (our stand-in for Nova's instance quota). */
const MAX_COUNT = 1000

type ServersQuery = Record<string, string | string[] | undefined>

/** `/servers`: create, list, show, delete. */
export function serverRoutes(
  app: FastifyInstance,
  compute: ComputeApi,
  baseUrl: (host: string | undefined) => string,
  maxLimit: number,
): void {
  app.post<{ Body: unknown }>('/servers', async (request, reply) => {
    const body = validateCreateServer(request.apiVersion)(request.body)
    const s = body.server
    const minCount = Number(s.min_count ?? 1)
    const maxCount = s.max_count === undefined ? minCount : Number(s.max_count)
    if (maxCount > MAX_COUNT)
      throw new Invalid(
        `Invalid input for field/attribute max_count. Value: ${maxCount}. Maximum is ${MAX_COUNT}`,
      )
    const schedulerHints = body['os:scheduler_hints'] ?? body['OS-SCH-HNT:scheduler_hints'] ?? {}
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
      // Stored as netaddr stores it: the compressed form fits Nova's 39-character column.
      accessIPv6: s.accessIPv6 === undefined ? null : canonicalIpv6(s.accessIPv6),
      configDrive: s.config_drive === undefined ? null : boolFromString(s.config_drive) ? 'True' : '',
      schedulerHints,
      requestedHost: s.host ?? null,
      requestedNode: s.hypervisor_hostname ?? null,
    })
    if (s.return_reservation_id !== undefined && boolFromString(s.return_reservation_id)) {
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
        adminPass: s.adminPass ?? generatePassword(),
      },
    })
  })

  const list = async (request: FastifyRequest<{ Querystring: ServersQuery }>, detail: boolean) => {
    const q = request.query
    const ctx = request.ctx
    const allTenants = ctx.isAdmin && truthy(one(q.all_tenants))
    let servers = await compute.list(ctx, {
      allTenants,
      projectId: ctx.isAdmin ? (one(q.project_id) ?? one(q.tenant_id)) : undefined,
    })
    servers = filterServers(servers, q, ctx.isAdmin)
    const { page, nextMarker } = paginate(servers, q, maxLimit)
    const base = baseUrl(request.headers.host)
    const links = nextMarker
      ? {
          servers_links: [
            {
              rel: 'next',
              href: `${base}/v2.1/servers${detail ? '/detail' : ''}?limit=${one(q.limit)}&marker=${nextMarker}`,
            },
          ],
        }
      : {}
    if (!detail) return { servers: page.map((s) => serverSummary(s, base)), ...links }
    const hostStatus =
      request.apiVersion.atLeast('2.16') && ctx.isAdmin
        ? await compute.hostStatus([...new Set(page.map((s) => s.host).filter((h): h is string => !!h))])
        : undefined
    const hostZones = await compute.hostZones([
      ...new Set(page.map((s) => s.host).filter((h): h is string => !!h)),
    ])
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

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.at(-1) : v
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && !/^(0|false|f|no|n|off)$/i.test(v)
}

/** The list filters users reach for: name (a regex), status, host (admin), reservation_id, flavor, image. */
function filterServers(servers: ServerRecord[], q: ServersQuery, isAdmin: boolean): ServerRecord[] {
  let out = servers
  const name = one(q.name)
  if (name) {
    let re: RegExp
    try {
      re = new RegExp(name)
    } catch {
      throw new Invalid(`Invalid regular expression for name filter: ${name}`)
    }
    out = out.filter((s) => re.test(s.display_name ?? ''))
  }
  const status = one(q.status)?.toUpperCase()
  if (status) out = out.filter((s) => statusFromState(s.vm_state, s.task_state) === status)
  const host = one(q.host)
  if (host && isAdmin) out = out.filter((s) => s.host === host)
  const reservation = one(q.reservation_id)
  if (reservation) out = out.filter((s) => s.reservation_id === reservation)
  const flavor = one(q.flavor)
  if (flavor) out = out.filter((s) => s.flavor.flavorid === flavor)
  const image = one(q.image)
  if (image) out = out.filter((s) => s.image_ref === image)
  return out
}

function paginate(servers: ServerRecord[], q: ServersQuery, maxLimit: number) {
  const limitText = one(q.limit)
  let limit = maxLimit
  if (limitText !== undefined) {
    if (!/^\d+$/.test(limitText)) throw new Invalid(`limit param must be an integer`)
    limit = Math.min(Number(limitText), maxLimit)
  }
  let start = 0
  const marker = one(q.marker)
  if (marker) {
    const i = servers.findIndex((s) => s.uuid === marker)
    if (i < 0) throw new Invalid(`marker [${marker}] not found`)
    start = i + 1
  }
  const page = servers.slice(start, start + limit)
  const nextMarker =
    limitText !== undefined && page.length === limit && start + limit < servers.length
      ? page.at(-1)!.uuid
      : undefined
  return { page, nextMarker }
}

/** Nova's `[DEFAULT] password_length` and `utils.generate_password` symbol groups. */
const PASSWORD_LENGTH = 12
const PASSWORD_SYMBOL_GROUPS = ['23456789', 'ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz'] as const

/** A random admin password, as Nova's `generate_password`: one of each group, then any, shuffled. */
function generatePassword(): string {
  const pick = (symbols: string) => symbols[randomInt(symbols.length)]!
  const chars = PASSWORD_SYMBOL_GROUPS.map(pick)
  const all = PASSWORD_SYMBOL_GROUPS.join('')
  while (chars.length < PASSWORD_LENGTH) chars.push(pick(all))
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1)
    ;[chars[i], chars[j]] = [chars[j]!, chars[i]!]
  }
  return chars.join('')
}
