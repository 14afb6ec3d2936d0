import { createReadStream, statSync } from 'node:fs'
import type { Config } from '../config/config.js'
import type { IdentitySchema, ImageSchema } from '../db/api/schema.js'
import { connectDb } from '../db/connect.js'
import { bootstrap, writeOpenrc } from '../identity/bootstrap.js'
import { DEFAULT_DOMAIN_ID, IdentityStore } from '../identity/identity-store.js'
import { FilesystemStore } from '../image/filesystem-store.js'
import { ImageService } from '../image/image-service.js'
import { ImageStore } from '../image/image-store.js'
import { makeContext } from '../shared/context.js'
import { configuredCatalogUrls } from './identity-image.js'

/*
 * tsnova-manage's commands for the built-in identity and image services: they work on the API
 * database (and the image data directory) directly, with no service running.
 */

/**
 * `tsnova-manage bootstrap`: `keystone-manage bootstrap` for the built-in identity service, then
 * the admin's `openrc` in `state_path`. Run after `api_db sync`; running it again updates the
 * password (when given) and the endpoints.
 */
export async function bootstrapCommand(
  config: Config,
  o: Record<string, string | undefined>,
): Promise<string> {
  const password = o.bootstrapPassword ?? process.env.OS_BOOTSTRAP_PASSWORD
  const defaults = configuredCatalogUrls(config)
  const urls = {
    identity: o.bootstrapPublicUrl ?? defaults.identity,
    compute: o.bootstrapComputeUrl ?? defaults.compute,
    image: o.bootstrapImageUrl ?? defaults.image,
  }
  const username = o.bootstrapUsername ?? 'admin'
  const projectName = o.bootstrapProjectName ?? 'admin'
  const regionId = o.bootstrapRegionId ?? config.identity.region_name
  const db = connectDb<IdentitySchema>(config.api_database.connection, { poolSize: 1 })
  try {
    const store = new IdentityStore(db)
    try {
      await store.listDomains()
    } catch {
      throw new Error("The API database has no identity tables: run 'tsnova-manage api_db sync' first")
    }
    const result = await bootstrap(store, {
      password,
      username,
      projectName,
      roleName: o.bootstrapRoleName ?? 'admin',
      regionId,
      urls,
    })
    const lines = [
      `${result.created ? 'Created' : 'Updated'} user ${username} (${result.userId}) with the admin role on project ${projectName} (${result.projectId}).`,
      `Catalog (${regionId}): identity ${urls.identity}, compute ${urls.compute}, image ${urls.image}`,
    ]
    if (password !== undefined) {
      const file = writeOpenrc(config.state_path, {
        authUrl: urls.identity.replace(/\/$/, ''),
        username,
        password,
        projectName,
        regionName: regionId,
      })
      lines.push(`Admin credentials: ${file}`)
    }
    return lines.join('\n')
  } finally {
    await db.kysely.destroy()
  }
}

export interface ImageUploadOptions {
  readonly name: string
  readonly file: string
  readonly diskFormat: string
  readonly containerFormat: string
  readonly public: boolean
}

/**
 * `tsnova-manage image upload`: what `openstack image create --file` does, without the client
 * or a running image service: the image record in the API database, its data under `[glance_store]
 * filesystem_store_datadir` (so run it where `tsnova image` keeps its data). The image belongs to
 * the admin project once `bootstrap` has made one.
 */
export async function imageUploadCommand(config: Config, o: ImageUploadOptions): Promise<string> {
  // Before any record exists: an unreadable file must not leave a queued image behind.
  let size: number
  try {
    const stat = statSync(o.file)
    if (!stat.isFile()) throw new Error('not a regular file')
    size = stat.size
  } catch (err) {
    throw new Error(`Cannot read --file ${o.file}: ${(err as Error).message}`)
  }
  const owner = await adminProjectId(config)
  const db = connectDb<ImageSchema>(config.api_database.connection, { poolSize: 1 })
  try {
    const images = new ImageService(
      new ImageStore(db),
      new FilesystemStore(config.glance_store.filesystem_store_datadir),
    )
    const ctx = makeContext({ isAdmin: true, roles: ['admin'], projectId: owner })
    const created = await images.create(ctx, {
      name: o.name,
      disk_format: o.diskFormat,
      container_format: o.containerFormat,
      ...(o.public ? { visibility: 'public' } : {}),
    })
    try {
      await images.upload(ctx, created.id, createReadStream(o.file), size)
    } catch (err) {
      await images.delete(ctx, created.id).catch(() => undefined)
      throw err
    }
    const image = await images.show(ctx, created.id)
    return [
      `Image ${image.name} (${image.id}) is ${image.status}: ${image.size} bytes,`,
      `${image.disk_format}/${image.container_format}, ${image.visibility}, owner ${image.owner ?? 'none'}.`,
    ].join(' ')
  } finally {
    await db.kysely.destroy()
  }
}

/** The project `bootstrap` made for the admin, or null before bootstrap. */
async function adminProjectId(config: Config): Promise<string | null> {
  const db = connectDb<IdentitySchema>(config.api_database.connection, { poolSize: 1 })
  try {
    return (await new IdentityStore(db).findProject('admin', DEFAULT_DOMAIN_ID))?.id ?? null
  } catch {
    throw new Error("The API database has no identity tables: run 'tsnova-manage api_db sync' first")
  } finally {
    await db.kysely.destroy()
  }
}
