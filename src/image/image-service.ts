import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { RequestContext } from '../shared/context.js'
import { Gone, NotFound, RequestEntityTooLarge } from '../shared/errors.js'
import { badRequest, conflict, forbidden, notFound } from './errors.js'
import { type FilesystemStore, ImageSizeLimitExceeded } from './filesystem-store.js'
import type { Image, ImageCoreUpdate, ImageMember, ImageStore, Visibility } from './image-store.js'
import { validateImage, validateMember } from './request-schemas.js'

/** Attributes the server owns: a create or patch naming one is refused (403, as Glance). */
const READ_ONLY = new Set([
  'status',
  'size',
  'virtual_size',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'created_at',
  'updated_at',
  'self',
  'file',
  'schema',
  'direct_url',
  'locations',
  'stores',
])
/** Core attributes a caller may set (everything else is a free-form string property). */
const CORE = new Set([
  'id',
  'name',
  'visibility',
  'protected',
  'os_hidden',
  'owner',
  'disk_format',
  'container_format',
  'min_disk',
  'min_ram',
  'tags',
])

function uuidOk(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)
}

export interface ImageListFilter {
  readonly name?: string
  readonly status?: string
  readonly visibility?: string
  readonly owner?: string
  readonly disk_format?: string
  readonly container_format?: string
  readonly tag?: readonly string[]
  readonly os_hidden?: boolean
  readonly protected?: boolean
  readonly member_status?: string
  readonly size_min?: number
  readonly size_max?: number
  readonly id?: readonly string[]
  readonly properties?: Readonly<Record<string, string>>
}

/**
 * Glance's image logic (v2 subset): who sees and changes which image, validation of attributes,
 * upload and download through the store. Authorisation follows Glance's default policy: admin
 * sees and changes everything; others see public, community, their own and images shared with
 * their project, and change only their own; only admin may make an image public.
 */
export class ImageService {
  constructor(
    readonly store: ImageStore,
    readonly files: FilesystemStore,
  ) {}

  private async members(image: Image): Promise<ImageMember[]> {
    return image.visibility === 'shared' ? this.store.listMembers({ imageId: image.id }) : []
  }

  private async visible(ctx: RequestContext, image: Image): Promise<boolean> {
    if (ctx.isAdmin || image.visibility === 'public' || image.visibility === 'community') return true
    if (image.owner !== null && image.owner === ctx.projectId) return true
    if (image.visibility === 'shared')
      return (await this.members(image)).some((m) => m.member === ctx.projectId)
    return false
  }

  /** An image the caller may see; 404 otherwise (an invisible image does not exist for them). */
  async show(ctx: RequestContext, id: string): Promise<Image> {
    const image = uuidOk(id) ? await this.store.get(id) : undefined
    if (!image || !(await this.visible(ctx, image))) throw notFound(`No image found with ID ${id}`)
    return image
  }

  /** Like `show`, but undefined instead of 404 (the compute API's lookup of an imageRef). */
  async find(ctx: RequestContext, id: string): Promise<Image | undefined> {
    return this.show(ctx, id).catch((err: unknown) => {
      if (err instanceof NotFound) return undefined
      throw err
    })
  }

  private mayModify(ctx: RequestContext, image: Image, action: string): void {
    if (ctx.isAdmin) return
    if (image.owner === null || image.owner !== ctx.projectId) {
      throw forbidden(`You are not authorized to complete ${action} action.`)
    }
  }

  async list(ctx: RequestContext, f: ImageListFilter): Promise<Image[]> {
    let images = await this.store.list({ owner: f.owner, ids: f.id })
    const shared = new Map<string, ImageMember>()
    if (!ctx.isAdmin && ctx.projectId) {
      for (const m of await this.store.listMembers({ member: ctx.projectId })) shared.set(m.image_id, m)
    }
    const memberStatus = f.member_status ?? 'accepted'
    images = images.filter((img) => {
      if (f.visibility) {
        if (f.visibility !== 'all' && img.visibility !== f.visibility) return false
      } else if (img.visibility === 'community' && img.owner !== ctx.projectId) {
        // Community images are listed only when asked for, as in Glance.
        return false
      }
      if (ctx.isAdmin) return true
      if (img.visibility === 'public' || img.visibility === 'community') return true
      if (img.owner !== null && img.owner === ctx.projectId) return true
      const m = shared.get(img.id)
      return (
        img.visibility === 'shared' &&
        m !== undefined &&
        (memberStatus === 'all' || m.status === memberStatus)
      )
    })
    return images.filter(
      (img) =>
        (f.name === undefined || img.name === f.name) &&
        (f.status === undefined || img.status === f.status) &&
        (f.disk_format === undefined || img.disk_format === f.disk_format) &&
        (f.container_format === undefined || img.container_format === f.container_format) &&
        (f.tag === undefined || f.tag.every((t) => img.tags.includes(t))) &&
        img.os_hidden === (f.os_hidden ?? false) &&
        (f.protected === undefined || img.protected === f.protected) &&
        (f.size_min === undefined || (img.size ?? -1) >= f.size_min) &&
        (f.size_max === undefined || (img.size !== null && img.size <= f.size_max)) &&
        Object.entries(f.properties ?? {}).every(([k, v]) => img.properties[k] === v),
    )
  }

  async create(ctx: RequestContext, body: unknown): Promise<Image> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw badRequest('Body expected in request.')
    }
    const attrs = body as Record<string, unknown>
    for (const key of Object.keys(attrs)) {
      if (READ_ONLY.has(key)) throw forbidden(`Attribute '${key}' is read-only.`)
    }
    validateImage(attrs)
    const id = attrs.id === undefined ? randomUUID() : String(attrs.id)
    if (await this.store.get(id)) throw conflict(`Image with identifier ${id} already exists!`)
    if (attrs.owner !== undefined && !ctx.isAdmin && attrs.owner !== ctx.projectId) {
      throw forbidden(`You are not permitted to create images owned by '${String(attrs.owner)}'.`)
    }
    const core: ImageCoreUpdate & { id: string } = { id, owner: ctx.projectId }
    const properties: Record<string, string> = {}
    let tags: string[] = []
    this.apply(ctx, core, properties, attrs, (t) => {
      tags = t
    })
    const visibility = (core.visibility ?? 'shared') as Visibility
    return this.store.create(
      {
        id,
        name: core.name ?? null,
        status: 'queued',
        visibility,
        owner: core.owner ?? null,
        size: null,
        virtual_size: null,
        checksum: null,
        os_hash_algo: null,
        os_hash_value: null,
        disk_format: core.disk_format ?? null,
        container_format: core.container_format ?? null,
        min_disk: core.min_disk ?? 0,
        min_ram: core.min_ram ?? 0,
        protected: core.protected ?? false,
        os_hidden: core.os_hidden ?? false,
      },
      properties,
      tags,
    )
  }

  /** Validate attributes and sort them into core columns, properties and tags. */
  private apply(
    ctx: RequestContext,
    core: ImageCoreUpdate,
    properties: Record<string, string>,
    attrs: Record<string, unknown>,
    setTags: (tags: string[]) => void,
  ): void {
    validateImage(attrs)
    for (const [key, value] of Object.entries(attrs)) {
      if (READ_ONLY.has(key)) throw forbidden(`Attribute '${key}' is read-only.`)
      if (key === 'id') continue
      if (!CORE.has(key)) {
        if (key.length > 255) throw badRequest('Custom property should not be greater than 255 characters.')
        properties[key] = value as string
        continue
      }
      switch (key) {
        case 'name':
          core.name = value as string | null
          break
        case 'visibility':
          if (value === 'public' && !ctx.isAdmin)
            throw forbidden('You are not authorized to complete publicize_image action.')
          core.visibility = value as Visibility
          break
        case 'protected':
        case 'os_hidden':
          core[key] = value as boolean
          break
        case 'owner':
          if (!ctx.isAdmin && value !== ctx.projectId) throw forbidden("Attribute 'owner' is reserved.")
          core.owner = value as string | null
          break
        case 'disk_format':
        case 'container_format':
          core[key] = value as string | null
          break
        case 'min_disk':
        case 'min_ram':
          core[key] = value as number
          break
        case 'tags':
          setTags(value as string[])
          break
      }
    }
  }

  /** `PATCH /v2/images/{id}`: RFC 6902-style operations (Glance's json-patch media type). */
  async patch(ctx: RequestContext, id: string, ops: unknown): Promise<Image> {
    const image = await this.show(ctx, id)
    this.mayModify(ctx, image, 'modify_image')
    if (!Array.isArray(ops)) throw badRequest('Request body must be a JSON array of operation objects.')
    const attrs: Record<string, unknown> = {}
    const properties: Record<string, string> = { ...image.properties }
    let tags = [...image.tags]
    const removed = new Set<string>()
    for (const op of ops as { op?: unknown; path?: unknown; value?: unknown }[]) {
      if (!op || typeof op !== 'object' || typeof op.path !== 'string') {
        throw badRequest('Operation objects must contain exactly one member named "op" and a "path".')
      }
      const parts = op.path
        .split('/')
        .slice(1)
        .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
      const key = parts[0] ?? ''
      if (!key) throw badRequest(`Invalid JSON pointer for this resource: '${op.path}'`)
      if (READ_ONLY.has(key)) throw forbidden(`Attribute '${key}' is read-only.`)
      if (key === 'id') throw forbidden("Attribute 'id' is read-only.")
      switch (op.op) {
        case 'add':
        case 'replace':
          if (!('value' in op)) throw badRequest('Operation "add"/"replace" requires a member named "value".')
          if (key === 'tags' && parts.length === 2) {
            tags.push(String(op.value))
          } else if (CORE.has(key)) {
            attrs[key] = op.value
          } else {
            if (op.op === 'replace' && !(key in properties)) {
              throw conflict(`Property ${key} does not exist.`)
            }
            attrs[key] = op.value
          }
          removed.delete(key)
          break
        case 'remove':
          if (key === 'tags' && parts.length === 2) {
            tags = tags.filter((t) => t !== parts[1])
          } else if (CORE.has(key)) {
            throw forbidden(`Properties ${key} must not be removed.`)
          } else {
            if (!(key in properties)) throw conflict(`Property ${key} does not exist.`)
            delete properties[key]
            removed.add(key)
          }
          break
        default:
          throw badRequest(
            `Operation objects must contain exactly one member named "op", one of add, remove, replace.`,
          )
      }
    }
    // Tags added one by one (`/tags/-`, `PUT …/tags/{tag}`) meet the schema with the rest.
    validateImage({ ...attrs, tags })
    const core: ImageCoreUpdate = {}
    this.apply(ctx, core, properties, attrs, (t) => {
      tags = t
    })
    await this.store.update(image.id, { core, properties, tags })
    return (await this.store.get(image.id))!
  }

  /** `PUT /v2/images/{id}/file`: store the data, then the image is active. */
  async upload(ctx: RequestContext, id: string, data: Readable, sizeHint?: number): Promise<void> {
    const image = await this.show(ctx, id)
    this.mayModify(ctx, image, 'upload_image')
    if (!image.disk_format || !image.container_format) {
      throw badRequest('Properties disk_format, container_format must be set prior to saving data.')
    }
    if (image.status !== 'queued') {
      throw conflict(`Image status transition from ${image.status} to saving is not allowed`)
    }
    if (!(await this.store.update(id, { core: { status: 'saving' }, expectStatus: 'queued' }))) {
      throw conflict('Image status transition from saving to saving is not allowed')
    }
    try {
      const stored = await this.files.put(id, data)
      if (sizeHint !== undefined && sizeHint !== stored.size) {
        throw badRequest(
          `Size of uploaded data (${stored.size}) does not match the declared size (${sizeHint}).`,
        )
      }
      const ok = await this.store.update(id, {
        core: {
          status: 'active',
          size: stored.size,
          checksum: stored.checksum,
          os_hash_algo: stored.osHashAlgo,
          os_hash_value: stored.osHashValue,
        },
        expectStatus: 'saving',
      })
      // Deleted while uploading: drop the data.
      if (!ok) await this.files.delete(id)
    } catch (err) {
      await this.files.delete(id)
      await this.store.update(id, { core: { status: 'queued' }, expectStatus: 'saving' })
      if (err instanceof ImageSizeLimitExceeded) throw new RequestEntityTooLarge(err.message)
      throw err
    }
  }

  async download(ctx: RequestContext, id: string) {
    const image = await this.show(ctx, id)
    if (image.status === 'deactivated' && !ctx.isAdmin)
      throw forbidden('The requested image has been deactivated. Image data download is forbidden.')
    if (image.status !== 'active') return { image, data: undefined }
    const data = await this.files.get(id)
    if (!data) throw new Gone(`Image ${id} has no data in the store.`)
    return { image, data }
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    const image = await this.show(ctx, id)
    this.mayModify(ctx, image, 'delete_image')
    if (image.protected) throw forbidden(`Image ${id} is protected and cannot be deleted.`)
    await this.store.delete(id)
    await this.files.delete(id)
  }

  // --- members

  async listMembers(ctx: RequestContext, id: string): Promise<ImageMember[]> {
    const image = await this.show(ctx, id)
    if (image.visibility !== 'shared') throw forbidden(`Only shared images have members.`)
    const members = await this.members(image)
    return ctx.isAdmin || image.owner === ctx.projectId
      ? members
      : members.filter((m) => m.member === ctx.projectId)
  }

  async addMember(ctx: RequestContext, id: string, given: unknown): Promise<ImageMember> {
    const image = await this.show(ctx, id)
    this.mayModify(ctx, image, 'add_member')
    if (image.visibility !== 'shared') throw forbidden(`Only shared images have members.`)
    if (given === undefined) throw badRequest('Member to be added not specified')
    if (given === '' || given === null) throw badRequest("Member can't be empty")
    const { member } = validateMember({ member: given })
    if ((await this.members(image)).some((m) => m.member === member)) {
      throw conflict(`Member ${member} already exists for image ${id}.`)
    }
    await this.store.addMember(id, member)
    return (await this.store.listMembers({ imageId: id, member }))[0]!
  }

  async updateMember(ctx: RequestContext, id: string, member: string, status: unknown): Promise<ImageMember> {
    const image = await this.show(ctx, id)
    if (!ctx.isAdmin && ctx.projectId !== member)
      throw forbidden('You are not authorized to complete modify_member action.')
    if (status !== 'pending' && status !== 'accepted' && status !== 'rejected') {
      throw badRequest(`Status ${String(status)} is not a valid status for a member.`)
    }
    const existing = (await this.members(image)).find((m) => m.member === member)
    if (!existing) throw notFound(`${member} is not a member of image ${id}`)
    await this.store.setMemberStatus(id, member, status)
    return (await this.store.listMembers({ imageId: id, member }))[0]!
  }

  async removeMember(ctx: RequestContext, id: string, member: string): Promise<void> {
    const image = await this.show(ctx, id)
    this.mayModify(ctx, image, 'delete_member')
    if (!(await this.members(image)).some((m) => m.member === member)) {
      throw notFound(`${member} is not a member of image ${id}`)
    }
    await this.store.removeMember(id, member)
  }
}
