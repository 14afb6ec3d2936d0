import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { DEFAULT_DOMAIN_ID, type IdentityStore } from './identity-store.js'
import { hashPassword } from './password.js'

/** The public URLs the catalog advertises, one per service (also used for internal and admin). */
export interface CatalogUrls {
  /** e.g. `http://controller:5000/v3/` */
  readonly identity: string
  /** e.g. `http://controller:8774/v2.1` */
  readonly compute: string
  /** e.g. `http://controller:9292` */
  readonly image: string
}

export interface BootstrapOptions {
  /** The admin's password; undefined keeps an existing admin's password (a new admin needs one). */
  readonly password?: string
  readonly username?: string
  readonly projectName?: string
  readonly roleName?: string
  readonly regionId?: string
  readonly urls: CatalogUrls
}

export interface BootstrapResult {
  readonly userId: string
  readonly projectId: string
  /** Whether the admin user was created now (first start). */
  readonly created: boolean
}

const CATALOG = [
  { key: 'identity', type: 'identity', name: 'keystone', description: 'Identity (tsnova built-in)' },
  { key: 'compute', type: 'compute', name: 'nova', description: 'Compute (tsnova)' },
  { key: 'image', type: 'image', name: 'glance', description: 'Image (tsnova built-in)' },
] as const

/**
 * What `keystone-manage bootstrap` does, idempotently: the Default domain, the roles admin,
 * member and reader, the admin project and user with the admin role on it, and the catalog with
 * public, internal and admin endpoints of identity, compute and image in the region.
 */
export async function bootstrap(store: IdentityStore, options: BootstrapOptions): Promise<BootstrapResult> {
  const username = options.username ?? 'admin'
  const projectName = options.projectName ?? 'admin'
  const roleName = options.roleName ?? 'admin'
  const region = options.regionId ?? 'RegionOne'
  if (!(await store.getDomain(DEFAULT_DOMAIN_ID))) {
    await store.createDomain({ id: DEFAULT_DOMAIN_ID, name: 'Default', description: 'The default domain' })
  }
  for (const name of ['reader', 'member', roleName]) {
    if (!(await store.findRoleByName(name))) await store.createRole({ name })
  }
  const role = (await store.findRoleByName(roleName))!
  const project =
    (await store.findProject(projectName, DEFAULT_DOMAIN_ID)) ??
    (await store.createProject({
      name: projectName,
      domain_id: DEFAULT_DOMAIN_ID,
      description: 'Bootstrap project',
    }))
  let user = await store.findUser(username, DEFAULT_DOMAIN_ID)
  const created = !user
  if (!user) {
    if (options.password === undefined)
      throw new Error('A new admin user needs a password (--bootstrap-password)')
    user = await store.createUser({
      name: username,
      domain_id: DEFAULT_DOMAIN_ID,
      password_hash: await hashPassword(options.password),
      default_project_id: project.id,
    })
  } else {
    await store.updateUser(user.id, {
      enabled: true,
      ...(options.password !== undefined ? { password_hash: await hashPassword(options.password) } : {}),
    })
  }
  await store.grant({ type: 'UserProject', actor_id: user.id, target_id: project.id, role_id: role.id })
  await store.grant({ type: 'UserDomain', actor_id: user.id, target_id: DEFAULT_DOMAIN_ID, role_id: role.id })
  await registerCatalog(store, options.urls, region)
  return { userId: user.id, projectId: project.id, created }
}

/** Create or update the catalog's services and endpoints so that it advertises `urls`. */
export async function registerCatalog(
  store: IdentityStore,
  urls: CatalogUrls,
  region: string,
): Promise<void> {
  const services = await store.listServices()
  const endpoints = await store.listEndpoints()
  for (const entry of CATALOG) {
    const service =
      services.find((s) => s.type === entry.type) ??
      (await store.createService({
        type: entry.type,
        name: entry.name,
        description: entry.description,
        enabled: true,
      }))
    for (const iface of ['public', 'internal', 'admin']) {
      const url = urls[entry.key]
      const existing = endpoints.find(
        (e) => e.service_id === service.id && e.interface === iface && e.region_id === region,
      )
      if (!existing) {
        await store.createEndpoint({
          service_id: service.id,
          interface: iface,
          region_id: region,
          url,
          enabled: true,
        })
      } else if (existing.url !== url) {
        await store.updateEndpoint(existing.id, { url })
      }
    }
  }
}

export interface OpenrcValues {
  readonly authUrl: string
  readonly username: string
  readonly password: string
  readonly projectName: string
  readonly regionName: string
}

const quote = (v: string) => `'${v.replaceAll("'", `'"'"'`)}'`

/** Write the admin's `OS_*` variables (mode 0600, it holds a password) and return the file's path. */
export function writeOpenrc(dir: string, v: OpenrcValues): string {
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, 'openrc')
  const lines = [
    '# tsnova admin credentials: `. openrc`, then `openstack server list`',
    `export OS_AUTH_URL=${quote(v.authUrl)}`,
    'export OS_IDENTITY_API_VERSION=3',
    `export OS_USERNAME=${quote(v.username)}`,
    `export OS_PASSWORD=${quote(v.password)}`,
    `export OS_PROJECT_NAME=${quote(v.projectName)}`,
    'export OS_USER_DOMAIN_NAME=Default',
    'export OS_PROJECT_DOMAIN_NAME=Default',
    `export OS_REGION_NAME=${quote(v.regionName)}`,
    'export OS_INTERFACE=public',
    '',
  ]
  writeFileSync(file, lines.join('\n'), { mode: 0o600 })
  chmodSync(file, 0o600)
  return file
}

/** The password an earlier `writeOpenrc` stored in `dir`, if any. */
export function readOpenrcPassword(dir: string): string | undefined {
  const file = path.join(dir, 'openrc')
  if (!existsSync(file)) return undefined
  const m = /^export OS_PASSWORD='((?:[^']|'"'"')*)'$/m.exec(readFileSync(file, 'utf8'))
  return m ? m[1]!.replaceAll(`'"'"'`, "'") : undefined
}
