import { dbNow } from '../shared/time.js'
import { AuthenticationRequired, ForbiddenAction, NotFoundError, ValidationError } from './errors.js'
import type {
  CatalogService,
  Domain,
  Endpoint,
  IdentityStore,
  Project,
  Role,
  User,
} from './identity-store.js'
import { verifyPassword } from './password.js'
import { InvalidToken, newAuditId, type TokenClaims, type TokenSigner, type TokenVerifier } from './tokens.js'

/** Keystone's default role tree: admin implies member, member implies reader. */
const IMPLIED_ROLES: Readonly<Record<string, readonly string[]>> = { admin: ['member'], member: ['reader'] }

export interface IdentityServiceOptions {
  /** `[token] expiration`: seconds a new token lives. */
  readonly expirationS: number
}

/** A token that validated, with what it refers to. */
export interface ValidatedToken {
  readonly token: string
  readonly claims: TokenClaims
  readonly user: User
  readonly project: Project | null
  readonly domain: Domain | null
}

interface AuthRef {
  id?: unknown
  name?: unknown
  domain?: { id?: unknown; name?: unknown }
}

/**
 * Keystone's logic (v3 subset): authenticate by password or token, scope, issue and validate
 * tokens, compute effective roles and the service catalog.
 */
export class IdentityService {
  constructor(
    readonly store: IdentityStore,
    private readonly signer: TokenSigner,
    private readonly verifier: TokenVerifier,
    private readonly options: IdentityServiceOptions,
  ) {}

  /** `POST /v3/auth/tokens`. */
  async authenticate(body: unknown): Promise<ValidatedToken> {
    const auth = (body as { auth?: unknown } | null)?.auth as
      | { identity?: Record<string, unknown>; scope?: unknown }
      | undefined
    if (!auth || typeof auth !== 'object')
      throw new ValidationError('Expecting to find auth in request body.')
    const identity = auth.identity
    if (!identity || typeof identity !== 'object')
      throw new ValidationError('Expecting to find identity in auth.')
    const methods = identity.methods
    if (!Array.isArray(methods) || methods.length === 0 || !methods.every((m) => typeof m === 'string')) {
      throw new ValidationError(
        "Invalid input for field 'identity/methods': methods must be a non-empty list.",
      )
    }
    let user: User
    let parent: TokenClaims | undefined
    if (methods.includes('password')) {
      user = await this.passwordUser(identity.password)
    } else if (methods.includes('token')) {
      const ref = identity.token as { id?: unknown } | undefined
      if (typeof ref?.id !== 'string') throw new ValidationError('Expecting to find id in token.')
      const previous = await this.validate(ref.id).catch(() => {
        throw new AuthenticationRequired()
      })
      user = previous.user
      parent = previous.claims
    } else {
      throw new AuthenticationRequired(`Attempted to authenticate with an unsupported method.`)
    }
    const { project, domain } = await this.scope(auth.scope, user)
    const roles = project
      ? await this.effectiveRoles(user.id, 'UserProject', project.id)
      : domain
        ? await this.effectiveRoles(user.id, 'UserDomain', domain.id)
        : []
    if ((project || domain) && roles.length === 0) {
      throw new AuthenticationRequired(
        `User ${user.id} has no access to ${project ? `project ${project.id}` : `domain ${domain!.id}`}`,
      )
    }
    const now = Date.now()
    const claims: TokenClaims = {
      userId: user.id,
      projectId: project?.id ?? null,
      domainId: domain?.id ?? null,
      roles: roles.map((r) => r.name),
      methods: parent ? [...new Set([...parent.methods, 'token'])] : methods,
      issuedAt: now,
      // A rescoped token lives no longer than the one it came from, as in Keystone.
      expiresAt: parent ? parent.expiresAt : now + this.options.expirationS * 1000,
      auditIds: parent ? [newAuditId(), parent.auditIds[0]!] : [newAuditId()],
    }
    const token = await this.signer.issue(claims)
    return { token, claims, user, project, domain }
  }

  private async passwordUser(password: unknown): Promise<User> {
    const ref = (password as { user?: AuthRef & { password?: unknown } } | undefined)?.user
    if (!ref || typeof ref !== 'object') throw new ValidationError('Expecting to find user in password.')
    if (typeof ref.password !== 'string') throw new ValidationError('Expecting to find password in user.')
    let user: User | undefined
    if (typeof ref.id === 'string') {
      user = await this.store.getUser(ref.id)
    } else if (typeof ref.name === 'string') {
      const domain = await this.lookupDomain(ref.domain, 'user')
      user = domain && (await this.store.findUser(ref.name, domain.id))
    } else {
      throw new ValidationError('Expecting to find id or name in user.')
    }
    // Same answer for an unknown user and a wrong password: no user enumeration.
    const ok = await verifyPassword(ref.password, user?.password_hash ?? null)
    if (!user || !ok || !user.enabled) throw new AuthenticationRequired()
    const domain = await this.store.getDomain(user.domain_id)
    if (!domain?.enabled) throw new AuthenticationRequired()
    return user
  }

  private async lookupDomain(ref: AuthRef['domain'], what: string): Promise<Domain | undefined> {
    if (!ref || typeof ref !== 'object') throw new ValidationError(`Expecting to find domain in ${what}.`)
    if (typeof ref.id === 'string') return this.store.getDomain(ref.id)
    if (typeof ref.name === 'string') return this.store.findDomainByName(ref.name)
    throw new ValidationError(`Expecting to find id or name in domain.`)
  }

  private async scope(
    scope: unknown,
    user: User,
  ): Promise<{ project: Project | null; domain: Domain | null }> {
    if (scope === undefined || scope === null || scope === 'unscoped') {
      // Keystone scopes a token without scope to the user's default project, when it can.
      if (user.default_project_id) {
        const project = await this.store.getProject(user.default_project_id)
        if (project?.enabled && (await this.effectiveRoles(user.id, 'UserProject', project.id)).length > 0) {
          return { project, domain: null }
        }
      }
      return { project: null, domain: null }
    }
    if (typeof scope !== 'object') throw new ValidationError('Invalid scope.')
    const s = scope as { project?: AuthRef; domain?: AuthRef['domain']; system?: unknown }
    if (s.project) {
      let project: Project | undefined
      if (typeof s.project.id === 'string') project = await this.store.getProject(s.project.id)
      else if (typeof s.project.name === 'string') {
        const domain = await this.lookupDomain(s.project.domain, 'project')
        project = domain && (await this.store.findProject(s.project.name, domain.id))
      } else throw new ValidationError('Expecting to find id or name in project.')
      const label = String(s.project.id ?? s.project.name)
      if (!project) throw new AuthenticationRequired(`Could not find project: ${label}.`)
      if (!project.enabled) throw new AuthenticationRequired(`Project ${project.id} is disabled.`)
      return { project, domain: null }
    }
    if (s.domain) {
      const domain = await this.lookupDomain(s.domain, 'scope')
      if (!domain) throw new AuthenticationRequired(`Could not find domain.`)
      if (!domain.enabled) throw new AuthenticationRequired(`Domain ${domain.id} is disabled.`)
      return { project: null, domain }
    }
    if (s.system) throw new AuthenticationRequired('System-scoped tokens are not supported.')
    throw new ValidationError('Invalid scope.')
  }

  /** The roles a user holds on a target, implied roles included (admin → member → reader). */
  async effectiveRoles(
    userId: string,
    type: 'UserProject' | 'UserDomain',
    targetId: string,
  ): Promise<Role[]> {
    const assignments = await this.store.listAssignments({ type, actorId: userId, targetId })
    if (assignments.length === 0) return []
    const all = await this.store.listRoles()
    const byId = new Map(all.map((r) => [r.id, r]))
    const byName = new Map(all.map((r) => [r.name, r]))
    const out = new Map<string, Role>()
    const add = (role: Role | undefined) => {
      if (!role || out.has(role.id)) return
      out.set(role.id, role)
      for (const implied of IMPLIED_ROLES[role.name] ?? []) add(byName.get(implied))
    }
    for (const a of assignments) add(byId.get(a.role_id))
    return [...out.values()]
  }

  /**
   * A token that is valid now: signature, expiry, revocation, and a user (and project or domain)
   * that still exist and are enabled. Throws `InvalidToken`.
   */
  async validate(token: string): Promise<ValidatedToken> {
    const claims = await this.verifier.verify(token)
    const user = await this.store.getUser(claims.userId)
    if (!user?.enabled) throw new InvalidToken('user disabled or deleted')
    let project: Project | null = null
    let domain: Domain | null = null
    if (claims.projectId) {
      project = (await this.store.getProject(claims.projectId)) ?? null
      if (!project?.enabled) throw new InvalidToken('project disabled or deleted')
    }
    if (claims.domainId) {
      domain = (await this.store.getDomain(claims.domainId)) ?? null
      if (!domain?.enabled) throw new InvalidToken('domain disabled or deleted')
    }
    return { token, claims, user, project, domain }
  }

  /** The caller of an API: their `X-Auth-Token` must be valid (401 otherwise). */
  async caller(token: string | undefined): Promise<ValidatedToken> {
    if (!token) throw new AuthenticationRequired()
    try {
      return await this.validate(token)
    } catch (err) {
      if (err instanceof InvalidToken) throw new AuthenticationRequired()
      throw err
    }
  }

  /** `GET /v3/auth/tokens`: the subject token, 404 when it is not valid. */
  async validateSubject(caller: ValidatedToken, subject: string | undefined): Promise<ValidatedToken> {
    if (!subject) throw new ValidationError('Expecting to find X-Subject-Token in request headers.')
    let v: ValidatedToken
    try {
      v = await this.validate(subject)
    } catch (err) {
      if (err instanceof InvalidToken) throw new NotFoundError('token', subject)
      throw err
    }
    if (!isAdmin(caller) && caller.user.id !== v.user.id) throw new ForbiddenAction('identity:validate_token')
    return v
  }

  /** `DELETE /v3/auth/tokens`: revoke the subject token (and its rescoped descendants). */
  async revoke(caller: ValidatedToken, subject: string | undefined): Promise<void> {
    const v = await this.validateSubject(caller, subject)
    if (!isAdmin(caller) && caller.user.id !== v.user.id) throw new ForbiddenAction('identity:revoke_token')
    await this.store.addRevocation({
      audit_id: v.claims.auditIds[0]!,
      user_id: null,
      project_id: null,
      issued_before: dbNow(),
      expires_at: dbNow(new Date(v.claims.expiresAt)),
    })
    this.verifier.invalidateRevocations()
  }

  /** Revoke every token of a user (on a project), e.g. when a password or a role changes. */
  async revokeUserTokens(userId: string | null, projectId: string | null = null): Promise<void> {
    await this.store.addRevocation({
      audit_id: null,
      user_id: userId,
      project_id: projectId,
      issued_before: dbNow(),
      expires_at: dbNow(new Date(Date.now() + this.options.expirationS * 1000)),
    })
    this.verifier.invalidateRevocations()
  }

  /** The catalog, Keystone's shape: enabled services with their enabled endpoints. */
  async catalog(): Promise<CatalogEntry[]> {
    const [services, endpoints] = await Promise.all([this.store.listServices(), this.store.listEndpoints()])
    return services.filter((s) => s.enabled).map((s) => catalogEntry(s, endpoints))
  }

  /** The projects a user holds a role on. */
  async userProjects(userId: string): Promise<Project[]> {
    const assignments = await this.store.listAssignments({ type: 'UserProject', actorId: userId })
    const ids = [...new Set(assignments.map((a) => a.target_id))]
    return this.store.listProjects({ ids })
  }
}

export interface CatalogEntry {
  readonly id: string
  readonly type: string
  readonly name: string
  readonly endpoints: { id: string; interface: string; region: string; region_id: string; url: string }[]
}

function catalogEntry(s: CatalogService, endpoints: readonly Endpoint[]): CatalogEntry {
  return {
    endpoints: endpoints
      .filter((e) => e.service_id === s.id && e.enabled)
      .map((e) => ({
        id: e.id,
        interface: e.interface,
        region: e.region_id,
        region_id: e.region_id,
        url: e.url,
      })),
    id: s.id,
    type: s.type,
    name: s.name,
  }
}

/** The `admin` role, on whatever the token is scoped to, is the cloud admin (Keystone's `admin_required`). */
export function isAdmin(v: ValidatedToken): boolean {
  return v.claims.roles.includes('admin')
}

/** Keystone's timestamps: ISO 8601 with microseconds and Z. */
export function keystoneTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}
