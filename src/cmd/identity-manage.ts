import type { Config } from '../config/config.js'
import type { IdentitySchema } from '../db/api/schema.js'
import { connectDb } from '../db/connect.js'
import { bootstrap, writeOpenrc } from '../identity/bootstrap.js'
import { IdentityStore } from '../identity/identity-store.js'
import { configuredCatalogUrls } from './identity-image.js'

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
