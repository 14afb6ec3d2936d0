import type { Readable } from 'node:stream'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify'
import { newRequestId, type RequestContext } from '../shared/context.js'
import { clientErrorStatus, errorAnswer, writeRawError } from '../shared/error-answer.js'
import { NotFound, RequestEntityTooLarge, Unauthorized, UnsupportedMediaType } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { badRequest, errorPage } from './errors.js'
import type { ImageListFilter, ImageService } from './image-service.js'
import type { Image } from './image-store.js'
import { imageSchema, imagesSchema, memberSchema } from './schemas.js'
import { imageView, memberView } from './views.js'

export interface ImageAppOptions {
  readonly images: ImageService
  readonly log: Logger
  /** Who is asking: the keystone or noauth2 context of the request (throws `Unauthorized`). */
  readonly authenticate: (request: FastifyRequest, requestId: string) => Promise<RequestContext>
  /** Where a 401 sends clients to authenticate (`WWW-Authenticate: Keystone uri=…`). */
  readonly wwwAuthenticateUri: string
}

declare module 'fastify' {
  interface FastifyRequest {
    imageCtx: RequestContext
    imageRequestId: string
  }
}

/** The v2 minor versions Glance 2023.x lists; all are served by the same routes. */
const VERSIONS = Array.from({ length: 17 }, (_, i) => 16 - i)

function versions(host: string) {
  return {
    versions: VERSIONS.map((minor) => ({
      id: `v2.${minor}`,
      status: minor === 16 ? 'CURRENT' : 'SUPPORTED',
      links: [{ rel: 'self', href: `http://${host}/v2/` }],
    })),
  }
}

const UNAUTHENTICATED = new Set(['/', '/versions', '/v2', '/v2/'])
const MAX_LIMIT = 1000
const DEFAULT_LIMIT = 25

async function readJson(request: FastifyRequest): Promise<unknown> {
  const body = request.body as unknown
  if (body && typeof (body as Readable).pipe === 'function') {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of body as Readable) {
      size += (chunk as Buffer).length
      if (size > 65536) throw new RequestEntityTooLarge(GLANCE_WORDING.byStatus[413])
      chunks.push(chunk as Buffer)
    }
    const text = Buffer.concat(chunks).toString('utf8')
    if (text.trim() === '') return undefined
    try {
      return JSON.parse(text)
    } catch {
      throw badRequest('Malformed JSON in request body.')
    }
  }
  return body
}

const GLANCE_WORDING = {
  internal: 'The server has either erred or is incapable of performing the requested operation.',
  byStatus: {
    400: 'Malformed JSON in request body.',
    404: 'The resource could not be found.',
    405: 'The method specified is not allowed for this resource.',
    413: 'The body of your request was too large for this server.',
    414: 'The request URI was too long for this server.',
    415: 'Unsupported Content-Type',
    431: 'The request header fields were too large.',
  },
} as const

const HTML = 'text/html; charset=UTF-8'

/** The image API (Glance v2 subset) on its own port. */
export function buildImageApp(options: ImageAppOptions): FastifyInstance {
  const { images } = options
  const app = Fastify({
    loggerInstance: options.log.child({ service: 'glance-api' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 65536,
    // Glance reads path segments of any length (tags, member ids); the schemas bound them.
    maxParamLength: 1024,
    frameworkErrors: (error, request, reply) => renderGlanceError(error, request, reply),
    clientErrorHandler: (error: Error & { code?: string }, socket) => {
      const status = clientErrorStatus(error)
      writeRawError(
        socket,
        status,
        HTML,
        errorPage(status, GLANCE_WORDING.byStatus[status as 400] ?? 'Bad request'),
      )
    },
  })
  app.decorateRequest('imageCtx', null as unknown as RequestContext)
  app.decorateRequest('imageRequestId', '')
  app.removeAllContentTypeParsers()
  const secureJson = app.getDefaultJsonParser('error', 'error')
  const json = (
    req: FastifyRequest,
    body: string | Buffer,
    done: (err: Error | null, body?: unknown) => void,
  ) => {
    if (String(body).trim() === '') return done(null, undefined)
    secureJson(req, String(body), (err, parsed) =>
      err ? done(badRequest('Malformed JSON in request body.')) : done(null, parsed),
    )
  }
  app.addContentTypeParser(
    ['application/json', 'application/openstack-images-v2.1-json-patch'],
    { parseAs: 'string' },
    json,
  )
  // Image data (and anything else) is handed over as a stream, never buffered.
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload))

  app.addHook('onRequest', async (request, reply) => {
    request.imageRequestId = newRequestId()
    reply.header('x-openstack-request-id', request.imageRequestId)
    const path = request.url.split('?', 1)[0]!
    if (UNAUTHENTICATED.has(path)) return
    request.imageCtx = await options.authenticate(request, request.imageRequestId)
  })
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        request_id: request.imageRequestId,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      `${request.method} ${request.url}`,
    )
  })
  const renderGlanceError = (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof Unauthorized) {
      return reply
        .code(401)
        .header('www-authenticate', `Keystone uri="${options.wwwAuthenticateUri}"`)
        .send({ error: { code: 401, title: 'Unauthorized', message: error.message } })
    }
    const answer = errorAnswer(error, GLANCE_WORDING)
    if (answer.unexpected)
      request.log.error({ err: error, request_id: request.imageRequestId }, 'unexpected error')
    return reply.code(answer.status).type(HTML).send(errorPage(answer.status, answer.message))
  }
  app.setErrorHandler(renderGlanceError)
  app.setNotFoundHandler((_request, reply) => {
    const answer = errorAnswer(new NotFound(GLANCE_WORDING.byStatus[404]), GLANCE_WORDING)
    reply.code(answer.status).type(HTML).send(errorPage(answer.status, answer.message))
  })

  app.get('/', async (request, reply) =>
    reply.code(300).send(versions(request.headers.host ?? '127.0.0.1:9292')),
  )
  app.get('/versions', async (request) => versions(request.headers.host ?? '127.0.0.1:9292'))
  for (const path of ['/v2', '/v2/']) {
    app.get(path, async (request, reply) =>
      reply.code(300).send(versions(request.headers.host ?? '127.0.0.1:9292')),
    )
  }

  app.get('/v2/schemas/image', async () => imageSchema())
  app.get('/v2/schemas/images', async () => imagesSchema())
  app.get('/v2/schemas/member', async () => memberSchema())
  app.get('/v2/schemas/members', async () => ({
    name: 'members',
    properties: { members: { type: 'array', items: memberSchema() }, schema: { type: 'string' } },
    links: [{ rel: 'schema', href: '{schema}' }],
  }))
  app.get('/v2/info/import', async () => ({
    'import-methods': { description: 'Import methods available.', type: 'array', value: [] },
  }))
  app.get('/v2/info/stores', async () => ({
    stores: [{ id: 'file', description: 'Local filesystem store', default: true }],
  }))

  app.get('/v2/images', async (request) => {
    const q = request.query as Record<string, string | string[] | undefined>
    const one = (k: string) => {
      const v = q[k]
      return Array.isArray(v) ? v[0] : v
    }
    const int = (k: string) => {
      const v = one(k)
      if (v === undefined) return undefined
      if (!/^\d+$/.test(v)) throw badRequest(`${k} param must be an integer`)
      return Number(v)
    }
    const bool = (k: string) => {
      const v = one(k)
      if (v === undefined) return undefined
      if (!/^(true|false)$/i.test(v)) throw badRequest(`Invalid value for ${k}: ${v}`)
      return v.toLowerCase() === 'true'
    }
    const limit = Math.min(int('limit') ?? DEFAULT_LIMIT, MAX_LIMIT)
    const known = new Set([
      'limit',
      'marker',
      'sort_key',
      'sort_dir',
      'sort',
      'name',
      'status',
      'visibility',
      'owner',
      'disk_format',
      'container_format',
      'tag',
      'os_hidden',
      'protected',
      'member_status',
      'size_min',
      'size_max',
      'id',
      'created_at',
      'updated_at',
    ])
    const properties: Record<string, string> = {}
    for (const [k, v] of Object.entries(q)) if (!known.has(k) && typeof v === 'string') properties[k] = v
    const inList = (v: string | undefined) =>
      v?.startsWith('in:')
        ? v
            .slice(3)
            .split(',')
            .map((s) => s.replace(/^"|"$/g, ''))
        : v === undefined
          ? undefined
          : [v]
    const names = inList(one('name'))
    const tag = q.tag === undefined ? undefined : Array.isArray(q.tag) ? q.tag : [q.tag]
    const filter: ImageListFilter = {
      status: one('status'),
      visibility: one('visibility'),
      owner: one('owner'),
      disk_format: one('disk_format'),
      container_format: one('container_format'),
      tag,
      os_hidden: bool('os_hidden'),
      protected: bool('protected'),
      member_status: one('member_status'),
      size_min: int('size_min'),
      size_max: int('size_max'),
      id: inList(one('id')),
      properties,
    }
    let list = await images.list(request.imageCtx, filter)
    if (names) list = list.filter((i) => i.name !== null && names.includes(i.name))
    list = sortImages(list, one('sort'), one('sort_key'), one('sort_dir'))
    const marker = one('marker')
    if (marker !== undefined) {
      const at = list.findIndex((i) => i.id === marker)
      if (at < 0) throw badRequest(`No image found with ID ${marker}`)
      list = list.slice(at + 1)
    }
    const page = list.slice(0, limit)
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(q)) {
      if (k === 'marker' || v === undefined) continue
      for (const x of Array.isArray(v) ? v : [v]) params.append(k, x)
    }
    const body: Record<string, unknown> = {
      images: page.map(imageView),
      first: `/v2/images${params.size ? `?${params}` : ''}`,
      schema: '/v2/schemas/images',
    }
    if (list.length > limit && page.length > 0) {
      params.set('marker', page.at(-1)!.id)
      body.next = `/v2/images?${params}`
    }
    return body
  })

  app.post('/v2/images', async (request, reply) => {
    const image = await images.create(request.imageCtx, await readJson(request))
    reply.header('location', `http://${request.headers.host}/v2/images/${image.id}`)
    return reply.code(201).send(imageView(image))
  })

  type IdParams = { Params: { id: string } }
  app.get<IdParams>('/v2/images/:id', async (request) =>
    imageView(await images.show(request.imageCtx, request.params.id)),
  )
  app.patch<IdParams>('/v2/images/:id', async (request) => {
    const ct = String(request.headers['content-type'] ?? '')
    if (
      !ct.startsWith('application/openstack-images-v2.1-json-patch') &&
      !ct.startsWith('application/json')
    ) {
      throw new UnsupportedMediaType(GLANCE_WORDING.byStatus[415])
    }
    return imageView(await images.patch(request.imageCtx, request.params.id, await readJson(request)))
  })
  app.delete<IdParams>('/v2/images/:id', async (request, reply) => {
    await images.delete(request.imageCtx, request.params.id)
    return reply.code(204).send()
  })

  app.put<IdParams>('/v2/images/:id/file', async (request, reply) => {
    const body = request.body as Readable | undefined
    if (!body || typeof body.pipe !== 'function') {
      throw new UnsupportedMediaType('Image data must be sent as application/octet-stream')
    }
    await images.upload(request.imageCtx, request.params.id, body)
    return reply.code(204).send()
  })
  app.get<IdParams>('/v2/images/:id/file', async (request, reply) => {
    const { image, data } = await images.download(request.imageCtx, request.params.id)
    if (!data) return reply.code(204).send()
    reply.header('content-type', 'application/octet-stream')
    reply.header('content-length', String(data.size))
    if (image.checksum) reply.header('content-md5', image.checksum)
    return reply.send(data.stream)
  })

  type TagParams = { Params: { id: string; tag: string } }
  app.put<TagParams>('/v2/images/:id/tags/:tag', async (request, reply) => {
    await images.patch(request.imageCtx, request.params.id, [
      {
        op: 'add',
        path: `/tags/${request.params.tag.replaceAll('~', '~0').replaceAll('/', '~1')}`,
        value: request.params.tag,
      },
    ])
    return reply.code(204).send()
  })
  app.delete<TagParams>('/v2/images/:id/tags/:tag', async (request, reply) => {
    const image = await images.show(request.imageCtx, request.params.id)
    if (!image.tags.includes(request.params.tag)) throw new NotFound(`Tag ${request.params.tag} not found`)
    await images.patch(request.imageCtx, request.params.id, [
      { op: 'remove', path: `/tags/${request.params.tag.replaceAll('~', '~0').replaceAll('/', '~1')}` },
    ])
    return reply.code(204).send()
  })

  app.get<IdParams>('/v2/images/:id/members', async (request) => ({
    members: (await images.listMembers(request.imageCtx, request.params.id)).map(memberView),
    schema: '/v2/schemas/members',
  }))
  app.post<IdParams>('/v2/images/:id/members', async (request) => {
    const body = (await readJson(request)) as { member?: unknown } | undefined
    return memberView(await images.addMember(request.imageCtx, request.params.id, body?.member))
  })
  type MemberParams = { Params: { id: string; member: string } }
  app.get<MemberParams>('/v2/images/:id/members/:member', async (request) => {
    const m = (await images.listMembers(request.imageCtx, request.params.id)).find(
      (x) => x.member === request.params.member,
    )
    if (!m) throw new NotFound(`${request.params.member} is not a member of image ${request.params.id}`)
    return memberView(m)
  })
  app.put<MemberParams>('/v2/images/:id/members/:member', async (request) => {
    const body = (await readJson(request)) as { status?: unknown } | undefined
    return memberView(
      await images.updateMember(request.imageCtx, request.params.id, request.params.member, body?.status),
    )
  })
  app.delete<MemberParams>('/v2/images/:id/members/:member', async (request, reply) => {
    await images.removeMember(request.imageCtx, request.params.id, request.params.member)
    return reply.code(204).send()
  })

  return app
}

const SORT_KEYS = new Set([
  'name',
  'status',
  'container_format',
  'disk_format',
  'size',
  'id',
  'created_at',
  'updated_at',
  'visibility',
  'owner',
  'min_disk',
  'min_ram',
])

/** Glance's sorting: `sort=name:asc,created_at` or `sort_key`/`sort_dir`; default newest first. */
function sortImages(list: Image[], sort?: string, sortKey?: string, sortDir?: string): Image[] {
  const keys: [keyof Image, 'asc' | 'desc'][] = []
  if (sort) {
    for (const part of sort.split(',')) {
      const [k = '', d = 'desc'] = part.trim().split(':')
      if (!SORT_KEYS.has(k)) throw badRequest(`Invalid sort key: ${k}.`)
      if (d !== 'asc' && d !== 'desc') throw badRequest(`Invalid sort direction: ${d}`)
      keys.push([k as keyof Image, d])
    }
  } else if (sortKey) {
    if (!SORT_KEYS.has(sortKey)) throw badRequest(`Invalid sort key: ${sortKey}.`)
    const d = sortDir ?? 'desc'
    if (d !== 'asc' && d !== 'desc') throw badRequest(`Invalid sort direction: ${d}`)
    keys.push([sortKey as keyof Image, d])
  }
  if (keys.length === 0) return list
  keys.push(['id', keys[0]![1]])
  return [...list].sort((a, b) => {
    for (const [k, d] of keys) {
      const x = a[k] as string | number | null
      const y = b[k] as string | number | null
      if (x === y) continue
      const c = x === null ? -1 : y === null ? 1 : x < y ? -1 : 1
      return d === 'asc' ? c : -c
    }
    return 0
  })
}
