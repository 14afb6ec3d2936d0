import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { IdentitySchema } from '../db/api/schema.js'
import type { Db } from '../db/connect.js'
import { dbNow } from '../shared/time.js'
import { ConflictError } from './errors.js'

export interface Domain {
  readonly id: string
  readonly name: string
  readonly description: string | null
  readonly enabled: boolean
}
export interface Project {
  readonly id: string
  readonly name: string
  readonly domain_id: string
  readonly description: string | null
  readonly enabled: boolean
}
export interface User {
  readonly id: string
  readonly name: string
  readonly domain_id: string
  readonly enabled: boolean
  readonly password_hash: string | null
  readonly default_project_id: string | null
  readonly email: string | null
  readonly description: string | null
  readonly password_created_at: string | null
}
export interface Role {
  readonly id: string
  readonly name: string
  readonly description: string | null
}
export type AssignmentType = 'UserProject' | 'UserDomain'
export interface Assignment {
  readonly type: AssignmentType
  readonly actor_id: string
  readonly target_id: string
  readonly role_id: string
}
export interface CatalogService {
  readonly id: string
  readonly type: string
  readonly name: string
  readonly description: string | null
  readonly enabled: boolean
}
export interface Endpoint {
  readonly id: string
  readonly service_id: string
  readonly interface: string
  readonly region_id: string
  readonly url: string
  readonly enabled: boolean
}
export interface SigningKey {
  readonly id: string
  readonly private_key: string
  readonly public_key: string
  readonly created_at: string
}
export interface Revocation {
  readonly audit_id: string | null
  readonly user_id: string | null
  readonly project_id: string | null
  readonly issued_before: string
}

/** Keystone's ids: a uuid4 as 32 hex digits. */
export function newId(): string {
  return randomUUID().replaceAll('-', '')
}

export const DEFAULT_DOMAIN_ID = 'default'

/** What token validation needs, and nothing more: the compute and image APIs hold only this. */
export interface TokenKeyStore {
  listSigningKeys(): Promise<SigningKey[]>
  addSigningKey(key: SigningKey): Promise<void>
  listRevocations(): Promise<Revocation[]>
}

const bool = (v: boolean | number) => Boolean(v)

function isDuplicate(err: unknown): boolean {
  const m = String((err as Error)?.message ?? err)
  return /UNIQUE constraint|Duplicate entry|duplicate key/i.test(m)
}

/** Reads and writes of the identity tables of the API database. */
export class IdentityStore implements TokenKeyStore {
  constructor(readonly db: Db<IdentitySchema>) {}

  private get k(): Kysely<IdentitySchema> {
    return this.db.kysely
  }

  private async insert<T>(kind: string, name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (isDuplicate(err)) throw new ConflictError(kind, `Duplicate entry found with name ${name}`)
      throw err
    }
  }

  // --- domains

  async listDomains(filter: { name?: string } = {}): Promise<Domain[]> {
    let q = this.k.selectFrom('identity_domains').selectAll().orderBy('name')
    if (filter.name !== undefined) q = q.where('name', '=', filter.name)
    return (await q.execute()).map((r) => ({ ...r, enabled: bool(r.enabled) }))
  }

  async getDomain(id: string): Promise<Domain | undefined> {
    const r = await this.k.selectFrom('identity_domains').selectAll().where('id', '=', id).executeTakeFirst()
    return r && { ...r, enabled: bool(r.enabled) }
  }

  async findDomainByName(name: string): Promise<Domain | undefined> {
    return (await this.listDomains({ name }))[0]
  }

  async createDomain(d: { id?: string; name: string; description?: string | null; enabled?: boolean }) {
    const row = {
      id: d.id ?? newId(),
      name: d.name,
      description: d.description ?? null,
      enabled: d.enabled ?? true,
      created_at: dbNow(),
    }
    await this.insert('domain', d.name, () => this.k.insertInto('identity_domains').values(row).execute())
    return { ...row, enabled: row.enabled } as Domain
  }

  async updateDomain(
    id: string,
    u: Partial<Pick<Domain, 'name' | 'description' | 'enabled'>>,
  ): Promise<void> {
    if (Object.keys(u).length === 0) return
    await this.insert('domain', u.name ?? id, () =>
      this.k.updateTable('identity_domains').set(u).where('id', '=', id).execute(),
    )
  }

  async deleteDomain(id: string): Promise<void> {
    await this.k.deleteFrom('identity_role_assignments').where('target_id', '=', id).execute()
    await this.k.deleteFrom('identity_domains').where('id', '=', id).execute()
  }

  // --- projects

  async listProjects(filter: { name?: string; domainId?: string; ids?: readonly string[] } = {}) {
    let q = this.k.selectFrom('identity_projects').selectAll().orderBy('name')
    if (filter.name !== undefined) q = q.where('name', '=', filter.name)
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId)
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return []
      q = q.where('id', 'in', filter.ids)
    }
    return (await q.execute()).map((r): Project => ({ ...r, enabled: bool(r.enabled) }))
  }

  async getProject(id: string): Promise<Project | undefined> {
    const r = await this.k.selectFrom('identity_projects').selectAll().where('id', '=', id).executeTakeFirst()
    return r && { ...r, enabled: bool(r.enabled) }
  }

  async findProject(name: string, domainId: string): Promise<Project | undefined> {
    return (await this.listProjects({ name, domainId }))[0]
  }

  async createProject(p: {
    id?: string
    name: string
    domain_id: string
    description?: string | null
    enabled?: boolean
  }): Promise<Project> {
    const row = {
      id: p.id ?? newId(),
      name: p.name,
      domain_id: p.domain_id,
      description: p.description ?? null,
      enabled: p.enabled ?? true,
      created_at: dbNow(),
    }
    await this.insert('project', p.name, () => this.k.insertInto('identity_projects').values(row).execute())
    return row
  }

  async updateProject(
    id: string,
    u: Partial<Pick<Project, 'name' | 'description' | 'enabled'>>,
  ): Promise<void> {
    if (Object.keys(u).length === 0) return
    await this.insert('project', u.name ?? id, () =>
      this.k.updateTable('identity_projects').set(u).where('id', '=', id).execute(),
    )
  }

  async deleteProject(id: string): Promise<void> {
    await this.k.deleteFrom('identity_role_assignments').where('target_id', '=', id).execute()
    await this.k.deleteFrom('identity_projects').where('id', '=', id).execute()
  }

  // --- users

  async listUsers(
    filter: { name?: string; domainId?: string; ids?: readonly string[] } = {},
  ): Promise<User[]> {
    let q = this.k.selectFrom('identity_users').selectAll().orderBy('name')
    if (filter.name !== undefined) q = q.where('name', '=', filter.name)
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId)
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return []
      q = q.where('id', 'in', filter.ids)
    }
    return (await q.execute()).map((r) => ({ ...r, enabled: bool(r.enabled) }))
  }

  async getUser(id: string): Promise<User | undefined> {
    const r = await this.k.selectFrom('identity_users').selectAll().where('id', '=', id).executeTakeFirst()
    return r && { ...r, enabled: bool(r.enabled) }
  }

  async findUser(name: string, domainId: string): Promise<User | undefined> {
    return (await this.listUsers({ name, domainId }))[0]
  }

  async createUser(u: {
    id?: string
    name: string
    domain_id: string
    enabled?: boolean
    password_hash?: string | null
    default_project_id?: string | null
    email?: string | null
    description?: string | null
  }): Promise<User> {
    const now = dbNow()
    const row = {
      id: u.id ?? newId(),
      name: u.name,
      domain_id: u.domain_id,
      enabled: u.enabled ?? true,
      password_hash: u.password_hash ?? null,
      default_project_id: u.default_project_id ?? null,
      email: u.email ?? null,
      description: u.description ?? null,
      password_created_at: u.password_hash ? now : null,
      created_at: now,
    }
    await this.insert('user', u.name, () => this.k.insertInto('identity_users').values(row).execute())
    return row
  }

  async updateUser(
    id: string,
    u: Partial<
      Pick<User, 'name' | 'enabled' | 'password_hash' | 'default_project_id' | 'email' | 'description'>
    >,
  ): Promise<void> {
    if (Object.keys(u).length === 0) return
    const set = u.password_hash !== undefined ? { ...u, password_created_at: dbNow() } : u
    await this.insert('user', u.name ?? id, () =>
      this.k.updateTable('identity_users').set(set).where('id', '=', id).execute(),
    )
  }

  async deleteUser(id: string): Promise<void> {
    await this.k.deleteFrom('identity_role_assignments').where('actor_id', '=', id).execute()
    await this.k.deleteFrom('identity_users').where('id', '=', id).execute()
  }

  // --- roles

  async listRoles(filter: { name?: string } = {}): Promise<Role[]> {
    let q = this.k.selectFrom('identity_roles').select(['id', 'name', 'description']).orderBy('name')
    if (filter.name !== undefined) q = q.where('name', '=', filter.name)
    return q.execute()
  }

  async getRole(id: string): Promise<Role | undefined> {
    return this.k
      .selectFrom('identity_roles')
      .select(['id', 'name', 'description'])
      .where('id', '=', id)
      .executeTakeFirst()
  }

  async findRoleByName(name: string): Promise<Role | undefined> {
    return (await this.listRoles({ name }))[0]
  }

  async createRole(r: { id?: string; name: string; description?: string | null }): Promise<Role> {
    const row = { id: r.id ?? newId(), name: r.name, description: r.description ?? null, created_at: dbNow() }
    await this.insert('role', r.name, () => this.k.insertInto('identity_roles').values(row).execute())
    return { id: row.id, name: row.name, description: row.description }
  }

  async updateRole(id: string, u: Partial<Pick<Role, 'name' | 'description'>>): Promise<void> {
    if (Object.keys(u).length === 0) return
    await this.insert('role', u.name ?? id, () =>
      this.k.updateTable('identity_roles').set(u).where('id', '=', id).execute(),
    )
  }

  async deleteRole(id: string): Promise<void> {
    await this.k.deleteFrom('identity_roles').where('id', '=', id).execute()
  }

  // --- role assignments

  async listAssignments(
    filter: { type?: AssignmentType; actorId?: string; targetId?: string; roleId?: string } = {},
  ): Promise<Assignment[]> {
    let q = this.k
      .selectFrom('identity_role_assignments')
      .select(['type', 'actor_id', 'target_id', 'role_id'])
    if (filter.type) q = q.where('type', '=', filter.type)
    if (filter.actorId) q = q.where('actor_id', '=', filter.actorId)
    if (filter.targetId) q = q.where('target_id', '=', filter.targetId)
    if (filter.roleId) q = q.where('role_id', '=', filter.roleId)
    return (await q.orderBy('id').execute()) as Assignment[]
  }

  /** Grant a role; granting one already held is a no-op, as in Keystone. */
  async grant(a: Assignment): Promise<void> {
    try {
      await this.k.insertInto('identity_role_assignments').values(a).execute()
    } catch (err) {
      if (!isDuplicate(err)) throw err
    }
  }

  async revoke(a: Assignment): Promise<boolean> {
    const res = await this.k
      .deleteFrom('identity_role_assignments')
      .where('type', '=', a.type)
      .where('actor_id', '=', a.actor_id)
      .where('target_id', '=', a.target_id)
      .where('role_id', '=', a.role_id)
      .executeTakeFirst()
    return Number(res.numDeletedRows) > 0
  }

  // --- catalog

  async listServices(filter: { type?: string } = {}): Promise<CatalogService[]> {
    let q = this.k.selectFrom('identity_services').selectAll().orderBy('type')
    if (filter.type) q = q.where('type', '=', filter.type)
    return (await q.execute()).map((r) => ({ ...r, enabled: bool(r.enabled) }))
  }

  async createService(s: Omit<CatalogService, 'id'> & { id?: string }): Promise<CatalogService> {
    const row = { ...s, id: s.id ?? newId() }
    await this.k.insertInto('identity_services').values(row).execute()
    return row
  }

  async deleteService(id: string): Promise<void> {
    await this.k.deleteFrom('identity_endpoints').where('service_id', '=', id).execute()
    await this.k.deleteFrom('identity_services').where('id', '=', id).execute()
  }

  async listEndpoints(filter: { serviceId?: string; interface?: string } = {}): Promise<Endpoint[]> {
    let q = this.k.selectFrom('identity_endpoints').selectAll().orderBy('service_id').orderBy('interface')
    if (filter.serviceId) q = q.where('service_id', '=', filter.serviceId)
    if (filter.interface) q = q.where('interface', '=', filter.interface)
    return (await q.execute()).map((r) => ({ ...r, enabled: bool(r.enabled) }))
  }

  async createEndpoint(e: Omit<Endpoint, 'id'> & { id?: string }): Promise<Endpoint> {
    const row = { ...e, id: e.id ?? newId() }
    await this.k.insertInto('identity_endpoints').values(row).execute()
    return row
  }

  async updateEndpoint(
    id: string,
    u: Partial<Pick<Endpoint, 'url' | 'region_id' | 'enabled'>>,
  ): Promise<void> {
    await this.k.updateTable('identity_endpoints').set(u).where('id', '=', id).execute()
  }

  async deleteEndpoint(id: string): Promise<void> {
    await this.k.deleteFrom('identity_endpoints').where('id', '=', id).execute()
  }

  // --- signing keys and revocations

  async listSigningKeys(): Promise<SigningKey[]> {
    return this.k.selectFrom('identity_signing_keys').selectAll().orderBy('created_at').execute()
  }

  async addSigningKey(key: SigningKey): Promise<void> {
    await this.k.insertInto('identity_signing_keys').values(key).execute()
  }

  /** Record a revocation; it is kept until every token it could match has expired anyway. */
  async addRevocation(r: Revocation & { expires_at: string }): Promise<void> {
    await this.k.insertInto('identity_revocations').values(r).execute()
    await this.k.deleteFrom('identity_revocations').where('expires_at', '<', dbNow()).execute()
  }

  async listRevocations(): Promise<Revocation[]> {
    return this.k
      .selectFrom('identity_revocations')
      .select(['audit_id', 'user_id', 'project_id', 'issued_before'])
      .where('expires_at', '>=', dbNow())
      .execute()
  }
}
