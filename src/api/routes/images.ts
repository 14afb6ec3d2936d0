import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ImageService } from '../../image/image-service.js'
import type { Image } from '../../image/image-store.js'
import { NotFound } from '../../shared/errors.js'
import { isoSeconds } from '../../shared/time.js'
import { resourceLinks } from '../views/links.js'

/** Nova's image status for a Glance status (`nova/api/openstack/compute/views/images.py`). */
const STATUS: Record<string, [string, number]> = {
  queued: ['SAVING', 25],
  saving: ['SAVING', 50],
  uploading: ['SAVING', 50],
  importing: ['SAVING', 50],
  active: ['ACTIVE', 100],
  killed: ['ERROR', 0],
  deleted: ['DELETED', 0],
  pending_delete: ['DELETED', 0],
  deactivated: ['UNKNOWN', 0],
}

class ImageNotFound extends NotFound {
  constructor() {
    super('Image not found.')
  }
}

function detail(image: Image, base: string) {
  const [status, progress] = STATUS[image.status] ?? ['UNKNOWN', 0]
  return {
    id: image.id,
    name: image.name,
    minRam: image.min_ram,
    minDisk: image.min_disk,
    metadata: image.properties,
    created: isoSeconds(image.created_at),
    updated: isoSeconds(image.updated_at),
    status,
    progress,
    'OS-EXT-IMG-SIZE:size': image.size,
    links: resourceLinks(base, 'images', image.id),
  }
}

/** The image service's 404 in Nova's words (its 403 is the same Forbidden in both). */
async function proxied<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof NotFound && !(err instanceof ImageNotFound)) throw new ImageNotFound()
    throw err
  }
}

/**
 * The image proxy (`/images`, deprecated, gone from microversion 2.36): the image service's images
 * in Nova's words, as novaclient and older SDKs still read them.
 */
export function imageProxyRoutes(
  app: FastifyInstance,
  images: ImageService,
  baseUrl: (host: string | undefined) => string,
): void {
  const gate = (request: FastifyRequest) => {
    if (request.apiVersion.atLeast('2.36')) throw new NotFound('The resource could not be found.')
  }
  type ListQuery = { Querystring: Record<string, string | undefined> }
  const list = async (request: FastifyRequest<ListQuery>) => {
    gate(request)
    const q = request.query
    const status = q.status?.toUpperCase()
    let all = (await images.list(request.ctx, { name: q.name })).filter(
      (i) =>
        (!status || (STATUS[i.status]?.[0] ?? 'UNKNOWN') === status) &&
        (!q.minRam || i.min_ram >= Number(q.minRam)) &&
        (!q.minDisk || i.min_disk >= Number(q.minDisk)),
    )
    if (q.marker) {
      const at = all.findIndex((i) => i.id === q.marker)
      if (at < 0) throw new ImageNotFound()
      all = all.slice(at + 1)
    }
    if (q.limit && /^\d+$/.test(q.limit)) all = all.slice(0, Number(q.limit))
    return all
  }
  app.get<ListQuery>('/images', async (request) => {
    const base = baseUrl(request.headers.host)
    return {
      images: (await list(request)).map((i) => ({
        id: i.id,
        name: i.name,
        links: resourceLinks(base, 'images', i.id),
      })),
    }
  })
  app.get<ListQuery>('/images/detail', async (request) => {
    const base = baseUrl(request.headers.host)
    return { images: (await list(request)).map((i) => detail(i, base)) }
  })
  app.get<{ Params: { id: string } }>('/images/:id', async (request) => {
    gate(request)
    const image = await proxied(() => images.show(request.ctx, request.params.id))
    return { image: detail(image, baseUrl(request.headers.host)) }
  })
  app.delete<{ Params: { id: string } }>('/images/:id', async (request, reply) => {
    gate(request)
    await proxied(() => images.delete(request.ctx, request.params.id))
    return reply.code(204).send()
  })
}
