import type { Kysely } from 'kysely'
import type { ImageSchema, ImagesTable } from '../db/api/schema.js'
import type { Db } from '../db/connect.js'
import { dbNow } from '../shared/time.js'

export const IMAGE_STATUSES = [
  'queued',
  'saving',
  'uploading',
  'importing',
  'active',
  'killed',
  'deleted',
  'pending_delete',
  'deactivated',
] as const
export type ImageStatus = (typeof IMAGE_STATUSES)[number]

export const DISK_FORMATS = [
  'ami',
  'ari',
  'aki',
  'vhd',
  'vhdx',
  'vmdk',
  'raw',
  'qcow2',
  'vdi',
  'iso',
  'ploop',
] as const
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const

export const VISIBILITIES = ['public', 'private', 'shared', 'community'] as const
export type Visibility = (typeof VISIBILITIES)[number]

/** An image as Glance knows it: core attributes, free-form string properties and tags. */
export interface Image {
  readonly id: string
  readonly name: string | null
  readonly status: ImageStatus
  readonly visibility: Visibility
  readonly owner: string | null
  readonly size: number | null
  readonly virtual_size: number | null
  readonly checksum: string | null
  readonly os_hash_algo: string | null
  readonly os_hash_value: string | null
  readonly disk_format: string | null
  readonly container_format: string | null
  readonly min_disk: number
  readonly min_ram: number
  readonly protected: boolean
  readonly os_hidden: boolean
  readonly created_at: string
  readonly updated_at: string | null
  readonly properties: Readonly<Record<string, string>>
  readonly tags: readonly string[]
}

export interface ImageMember {
  readonly image_id: string
  readonly member: string
  readonly status: 'pending' | 'accepted' | 'rejected'
  readonly created_at: string | null
  readonly updated_at: string | null
}

/** The core columns a caller may write. */
export type ImageCoreUpdate = Partial<
  Omit<ImagesTable, 'id' | 'created_at' | 'updated_at' | 'protected' | 'os_hidden'> & {
    protected: boolean
    os_hidden: boolean
  }
>

/** Reads and writes of the image tables of the API database. */
export class ImageStore {
  constructor(readonly db: Db<ImageSchema>) {}

  private get k(): Kysely<ImageSchema> {
    return this.db.kysely
  }

  async get(id: string): Promise<Image | undefined> {
    const row = await this.k.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) return undefined
    return (await this.withExtras([row]))[0]
  }

  /** Every image, newest first; the caller filters by visibility (the set is small in this subset). */
  async list(filter: { owner?: string; ids?: readonly string[] } = {}): Promise<Image[]> {
    let q = this.k.selectFrom('images').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc')
    if (filter.owner !== undefined) q = q.where('owner', '=', filter.owner)
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return []
      q = q.where('id', 'in', filter.ids)
    }
    return this.withExtras(await q.execute())
  }

  private async withExtras(rows: ImagesTable[]): Promise<Image[]> {
    if (rows.length === 0) return []
    const ids = rows.map((r) => r.id)
    const [props, tags] = await Promise.all([
      this.k
        .selectFrom('image_properties')
        .select(['image_id', 'name', 'value'])
        .where('image_id', 'in', ids)
        .execute(),
      this.k
        .selectFrom('image_tags')
        .select(['image_id', 'value'])
        .where('image_id', 'in', ids)
        .orderBy('id')
        .execute(),
    ])
    return rows.map((r) => ({
      ...r,
      status: r.status as ImageStatus,
      visibility: r.visibility as Visibility,
      size: r.size === null ? null : Number(r.size),
      virtual_size: r.virtual_size === null ? null : Number(r.virtual_size),
      protected: Boolean(r.protected),
      os_hidden: Boolean(r.os_hidden),
      properties: Object.fromEntries(props.filter((p) => p.image_id === r.id).map((p) => [p.name, p.value])),
      tags: tags.filter((t) => t.image_id === r.id).map((t) => t.value),
    }))
  }

  async create(
    core: Omit<ImagesTable, 'created_at' | 'updated_at'>,
    properties: Readonly<Record<string, string>>,
    tags: readonly string[],
  ): Promise<Image> {
    const now = dbNow()
    await this.k.transaction().execute(async (tx) => {
      await tx
        .insertInto('images')
        .values({ ...core, created_at: now, updated_at: now })
        .execute()
      const props = Object.entries(properties)
      if (props.length) {
        await tx
          .insertInto('image_properties')
          .values(props.map(([name, value]) => ({ image_id: core.id, name, value })))
          .execute()
      }
      if (tags.length) {
        await tx
          .insertInto('image_tags')
          .values([...new Set(tags)].map((value) => ({ image_id: core.id, value })))
          .execute()
      }
    })
    return (await this.get(core.id))!
  }

  /**
   * Update an image. With `expectStatus`, only if its status is still that one (compare and
   * swap, so two uploads cannot both start); returns whether a row changed.
   */
  async update(
    id: string,
    changes: {
      core?: ImageCoreUpdate
      properties?: Readonly<Record<string, string>>
      tags?: readonly string[]
      expectStatus?: ImageStatus
    },
  ): Promise<boolean> {
    return this.k.transaction().execute(async (tx) => {
      let q = tx
        .updateTable('images')
        .set({ ...(changes.core ?? {}), updated_at: dbNow() })
        .where('id', '=', id)
      if (changes.expectStatus) q = q.where('status', '=', changes.expectStatus)
      const res = await q.executeTakeFirst()
      if (Number(res.numUpdatedRows) === 0) return false
      if (changes.properties) {
        await tx.deleteFrom('image_properties').where('image_id', '=', id).execute()
        const props = Object.entries(changes.properties)
        if (props.length) {
          await tx
            .insertInto('image_properties')
            .values(props.map(([name, value]) => ({ image_id: id, name, value })))
            .execute()
        }
      }
      if (changes.tags) {
        await tx.deleteFrom('image_tags').where('image_id', '=', id).execute()
        if (changes.tags.length) {
          await tx
            .insertInto('image_tags')
            .values([...new Set(changes.tags)].map((value) => ({ image_id: id, value })))
            .execute()
        }
      }
      return true
    })
  }

  async delete(id: string): Promise<void> {
    await this.k.transaction().execute(async (tx) => {
      await tx.deleteFrom('image_properties').where('image_id', '=', id).execute()
      await tx.deleteFrom('image_tags').where('image_id', '=', id).execute()
      await tx.deleteFrom('image_members').where('image_id', '=', id).execute()
      await tx.deleteFrom('images').where('id', '=', id).execute()
    })
  }

  // --- members (sharing of `shared` images with other projects)

  async listMembers(filter: { imageId?: string; member?: string }): Promise<ImageMember[]> {
    let q = this.k
      .selectFrom('image_members')
      .select(['image_id', 'member', 'status', 'created_at', 'updated_at'])
    if (filter.imageId) q = q.where('image_id', '=', filter.imageId)
    if (filter.member) q = q.where('member', '=', filter.member)
    return (await q.orderBy('id').execute()) as ImageMember[]
  }

  async addMember(imageId: string, member: string): Promise<void> {
    const now = dbNow()
    await this.k
      .insertInto('image_members')
      .values({ image_id: imageId, member, status: 'pending', created_at: now, updated_at: now })
      .execute()
  }

  async setMemberStatus(imageId: string, member: string, status: ImageMember['status']): Promise<void> {
    await this.k
      .updateTable('image_members')
      .set({ status, updated_at: dbNow() })
      .where('image_id', '=', imageId)
      .where('member', '=', member)
      .execute()
  }

  async removeMember(imageId: string, member: string): Promise<void> {
    await this.k
      .deleteFrom('image_members')
      .where('image_id', '=', imageId)
      .where('member', '=', member)
      .execute()
  }
}
