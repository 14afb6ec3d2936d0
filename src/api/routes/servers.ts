import { randomInt } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ComputeApi, ServerRecord } from '../../compute-api/servers.js'
import { Invalid } from '../../shared/errors.js'
import { canonicalIpv6 } from '../../validation/formats.js'
import { boolFromString } from '../params.js'
import { validateCreateServer } from '../schemas/servers.js'
import { serverListRequest } from '../server-list-query.js'
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
