import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify'
import { newRequestId } from '../shared/context.js'
import type { Logger } from '../shared/logger.js'
import {
  AuthenticationRequired,
  ForbiddenAction,
  IdentityError,
  NotFoundError,
  ValidationError,
} from './errors.js'
import { type IdentityService, isAdmin, type ValidatedToken } from './identity-service.js'
import { type AssignmentType, DEFAULT_DOMAIN_ID, type Domain } from './identity-store.js'
import { hashPassword, verifyPassword } from './password.js'
import { domainView, listLinks, projectView, roleView, tokenView, userView } from './views.js'

export interface IdentityAppOptions {
  readonly identity: IdentityService
  readonly log: Logger
}

const VERSION_UPDATED = '2020-04-07T00:00:00Z'

function versionDoc(host: string) {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: VERSION_UPDATED,
    links: [{ rel: 'self', href: `http://${host}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    identityRequestId: string
  }
}

type Body = Record<string, unknown>

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name]
  return Array.isArray(v) ? v[0] : v
}

function entity(body: unknown, key: string): Body {
  const e = (body as Body | undefined)?.[key]
  if (!e || typeof e !== 'object' || Array.isArray(e)) {
    throw new ValidationError(`Expecting to find ${key} in request body.`)
  }
  return e as Body
}

function optString(e: Body, field: string, max = 255): string | undefined {
  const v = e[field]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string')
    throw new ValidationError(
      `Invalid input for field '${field}': ${JSON.stringify(v)} is not of type 'string'`,
    )
  if (v.length > max) throw new ValidationError(`Invalid input for field '${field}': '${v}' is too long`)
  return v
}

function reqName(e: Body, max = 64): string {
  const name = optString(e, 'name', max)
  if (name === undefined)
    throw new ValidationError("Invalid input for field 'name': 'name' is a required property")
  if (name.trim() === '') throw new ValidationError("Invalid input for field 'name': '' is too short")
  return name
}

function optBool(e: Body, field: string): boolean | undefined {
  const v = e[field]
  if (v === undefined) return undefined
  if (typeof v !== 'boolean')
    throw new ValidationError(
      `Invalid input for field '${field}': ${JSON.stringify(v)} is not of type 'boolean'`,
    )
  return v
}

/** The identity API (Keystone v3 subset) on its own port: `GET /`, `/v3`, auth, and the admin resources. */
export function buildIdentityApp(options: IdentityAppOptions): FastifyInstance {
  const { identity } = options
  const store = identity.store
  const app = Fastify({
    loggerInstance: options.log.child({ service: 'keystone' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 114688,
  })
  app.decorateRequest('identityRequestId', '')
  app.removeAllContentTypeParsers()
  const secureJson = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    if (String(body).trim() === '') return done(null, undefined)
    secureJson(req, String(body), (err, parsed) => {
      if (err) done(new ValidationError('The request body is not valid JSON.'), undefined)
      else done(null, parsed)
    })
  })

  app.addHook('onRequest', async (request, reply) => {
    request.identityRequestId = newRequestId()
    reply.header('x-openstack-request-id', request.identityRequestId)
    reply.header('vary', 'X-Auth-Token')
  })
  app.addHook('onResponse', async (request, reply) => {
    // Never the body: it may hold a password or a token.
    request.log.info(
      { request_id: request.identityRequestId, status: reply.statusCode },
      `${request.method} ${request.url.split('?', 1)[0]}`,
    )
  })
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof IdentityError) {
      if (error.code === 401) {
        reply.header('www-authenticate', `Keystone uri="http://${request.headers.host ?? '127.0.0.1:5000'}"`)
      }
      return reply.code(error.code).send(error.body())
    }
    const status = (error as { statusCode?: number }).statusCode
    if (status && status >= 400 && status < 500) {
      return reply
        .code(status)
        .send(new IdentityError(status, 'Bad Request', (error as Error).message).body())
    }
    request.log.error({ err: error, request_id: request.identityRequestId }, 'unexpected error')
    return reply
      .code(500)
      .send(
        new IdentityError(
          500,
          'Internal Server Error',
          'An unexpected error prevented the server from fulfilling your request.',
        ).body(),
      )
  })
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send(new IdentityError(404, 'Not Found', 'The resource could not be found.').body())
  })

  const base = (request: FastifyRequest) => `http://${request.headers.host ?? '127.0.0.1:5000'}/v3`
  const caller = (request: FastifyRequest) => identity.caller(header(request, 'x-auth-token'))
  const admin = async (request: FastifyRequest, action: string): Promise<ValidatedToken> => {
    const c = await caller(request)
    if (!isAdmin(c)) throw new ForbiddenAction(`identity:${action}`)
    return c
  }
  const domainsById = async (): Promise<Map<string, Domain>> =>
    new Map((await store.listDomains()).map((d) => [d.id, d]))
  const query = (request: FastifyRequest) => request.query as Record<string, string | undefined>

  // --- version discovery

  app.get('/', async (request, reply) =>
    reply.code(300).send({ versions: { values: [versionDoc(request.headers.host ?? '127.0.0.1:5000')] } }),
  )
  for (const path of ['/v3', '/v3/']) {
    app.get(path, async (request) => ({ version: versionDoc(request.headers.host ?? '127.0.0.1:5000') }))
  }

  // --- tokens

  const renderToken = async (v: ValidatedToken, withCatalog: boolean) => {
    const roles = v.project
      ? await identity.effectiveRoles(v.user.id, 'UserProject', v.project.id)
      : v.domain
        ? await identity.effectiveRoles(v.user.id, 'UserDomain', v.domain.id)
        : []
    const scoped = Boolean(v.project || v.domain)
    return tokenView(
      v,
      await domainsById(),
      roles,
      withCatalog ? (scoped ? await identity.catalog() : []) : null,
    )
  }
  const wantsCatalog = (request: FastifyRequest) => !('nocatalog' in query(request))

  app.post('/v3/auth/tokens', async (request, reply) => {
    const v = await identity.authenticate(request.body)
    reply.header('x-subject-token', v.token)
    return reply.code(201).send(await renderToken(v, wantsCatalog(request)))
  })
  app.get('/v3/auth/tokens', async (request, reply) => {
    const v = await identity.validateSubject(await caller(request), header(request, 'x-subject-token'))
    // Roles are those held now: a token whose roles were all taken away no longer validates.
    if (v.project && (await identity.effectiveRoles(v.user.id, 'UserProject', v.project.id)).length === 0) {
      throw new NotFoundError('token', v.token)
    }
    reply.header('x-subject-token', v.token)
    return renderToken(v, wantsCatalog(request))
  })
  app.delete('/v3/auth/tokens', async (request, reply) => {
    await identity.revoke(await caller(request), header(request, 'x-subject-token'))
    return reply.code(204).send()
  })
  app.get('/v3/auth/catalog', async (request) => {
    const c = await caller(request)
    if (!c.project && !c.domain) throw new ForbiddenAction('identity:get_auth_catalog')
    return { catalog: await identity.catalog(), links: listLinks(base(request), '/auth/catalog') }
  })
  app.get('/v3/auth/projects', async (request) => {
    const c = await caller(request)
    const projects = (await identity.userProjects(c.user.id)).filter((p) => p.enabled)
    return {
      projects: projects.map((p) => projectView(p, base(request))),
      links: listLinks(base(request), '/auth/projects'),
    }
  })
  app.get('/v3/auth/domains', async (request) => {
    const c = await caller(request)
    const ids = new Set(
      (await store.listAssignments({ type: 'UserDomain', actorId: c.user.id })).map((a) => a.target_id),
    )
    const domains = (await store.listDomains()).filter((d) => ids.has(d.id) && d.enabled)
    return {
      domains: domains.map((d) => domainView(d, base(request))),
      links: listLinks(base(request), '/auth/domains'),
    }
  })
  app.get('/v3/auth/system', async (request) => {
    await caller(request)
    return { system: [], links: listLinks(base(request), '/auth/system') }
  })

  // --- domains

  app.get('/v3/domains', async (request) => {
    await admin(request, 'list_domains')
    const q = query(request)
    let domains = await store.listDomains({ name: q.name })
    if (q.enabled !== undefined)
      domains = domains.filter((d) => String(d.enabled) === q.enabled?.toLowerCase())
    return {
      domains: domains.map((d) => domainView(d, base(request))),
      links: listLinks(base(request), '/domains'),
    }
  })
  app.post('/v3/domains', async (request, reply) => {
    await admin(request, 'create_domain')
    const e = entity(request.body, 'domain')
    const d = await store.createDomain({
      name: reqName(e),
      description: optString(e, 'description', 65535) ?? null,
      enabled: optBool(e, 'enabled'),
    })
    return reply.code(201).send({ domain: domainView(d, base(request)) })
  })
  const getDomain = async (id: string) => {
    const d = await store.getDomain(id)
    if (!d) throw new NotFoundError('domain', id)
    return d
  }
  app.get<{ Params: { id: string } }>('/v3/domains/:id', async (request) => {
    const c = await caller(request)
    const d = await getDomain(request.params.id)
    if (!isAdmin(c) && c.project?.domain_id !== d.id && c.domain?.id !== d.id)
      throw new ForbiddenAction('identity:get_domain')
    return { domain: domainView(d, base(request)) }
  })
  app.patch<{ Params: { id: string } }>('/v3/domains/:id', async (request) => {
    await admin(request, 'update_domain')
    const d = await getDomain(request.params.id)
    const e = entity(request.body, 'domain')
    const enabled = optBool(e, 'enabled')
    await store.updateDomain(d.id, {
      ...(e.name !== undefined ? { name: reqName(e) } : {}),
      ...(e.description !== undefined ? { description: optString(e, 'description', 65535) ?? null } : {}),
      ...(enabled !== undefined ? { enabled } : {}),
    })
    return { domain: domainView(await getDomain(d.id), base(request)) }
  })
  app.delete<{ Params: { id: string } }>('/v3/domains/:id', async (request, reply) => {
    await admin(request, 'delete_domain')
    const d = await getDomain(request.params.id)
    if (d.enabled) {
      throw new IdentityError(
        403,
        'Forbidden',
        'Cannot delete a domain that is enabled, please disable it first.',
      )
    }
    if (
      (await store.listProjects({ domainId: d.id })).length ||
      (await store.listUsers({ domainId: d.id })).length
    ) {
      throw new IdentityError(
        403,
        'Forbidden',
        `Cannot delete domain ${d.id}: it still holds projects or users.`,
      )
    }
    await store.deleteDomain(d.id)
    return reply.code(204).send()
  })

  // --- projects

  const getProject = async (id: string) => {
    const p = await store.getProject(id)
    if (!p) throw new NotFoundError('project', id)
    return p
  }
  app.get('/v3/projects', async (request) => {
    await admin(request, 'list_projects')
    const q = query(request)
    let projects = await store.listProjects({ name: q.name, domainId: q.domain_id })
    if (q.enabled !== undefined)
      projects = projects.filter((p) => String(p.enabled) === q.enabled?.toLowerCase())
    return {
      projects: projects.map((p) => projectView(p, base(request))),
      links: listLinks(base(request), '/projects'),
    }
  })
  app.post('/v3/projects', async (request, reply) => {
    const c = await admin(request, 'create_project')
    const e = entity(request.body, 'project')
    if (e.is_domain === true) throw new ValidationError('Projects acting as domains are not supported.')
    const domainId = optString(e, 'domain_id', 64) ?? c.domain?.id ?? DEFAULT_DOMAIN_ID
    await getDomain(domainId).catch(() => {
      throw new ValidationError(`Could not find domain: ${domainId}.`)
    })
    const p = await store.createProject({
      name: reqName(e),
      domain_id: domainId,
      description: optString(e, 'description', 65535) ?? null,
      enabled: optBool(e, 'enabled'),
    })
    return reply.code(201).send({ project: projectView(p, base(request)) })
  })
  app.get<{ Params: { id: string } }>('/v3/projects/:id', async (request) => {
    const c = await caller(request)
    if (!isAdmin(c) && c.project?.id !== request.params.id) throw new ForbiddenAction('identity:get_project')
    return { project: projectView(await getProject(request.params.id), base(request)) }
  })
  app.patch<{ Params: { id: string } }>('/v3/projects/:id', async (request) => {
    await admin(request, 'update_project')
    const p = await getProject(request.params.id)
    const e = entity(request.body, 'project')
    const enabled = optBool(e, 'enabled')
    await store.updateProject(p.id, {
      ...(e.name !== undefined ? { name: reqName(e) } : {}),
      ...(e.description !== undefined ? { description: optString(e, 'description', 65535) ?? null } : {}),
      ...(enabled !== undefined ? { enabled } : {}),
    })
    if (enabled === false) await identity.revokeUserTokens(null, p.id)
    return { project: projectView(await getProject(p.id), base(request)) }
  })
  app.delete<{ Params: { id: string } }>('/v3/projects/:id', async (request, reply) => {
    await admin(request, 'delete_project')
    const p = await getProject(request.params.id)
    await store.deleteProject(p.id)
    await identity.revokeUserTokens(null, p.id)
    return reply.code(204).send()
  })

  // --- users

  const getUser = async (id: string) => {
    const u = await store.getUser(id)
    if (!u) throw new NotFoundError('user', id)
    return u
  }
  app.get('/v3/users', async (request) => {
    await admin(request, 'list_users')
    const q = query(request)
    let users = await store.listUsers({ name: q.name, domainId: q.domain_id })
    if (q.enabled !== undefined) users = users.filter((u) => String(u.enabled) === q.enabled?.toLowerCase())
    return { users: users.map((u) => userView(u, base(request))), links: listLinks(base(request), '/users') }
  })
  app.post('/v3/users', async (request, reply) => {
    const c = await admin(request, 'create_user')
    const e = entity(request.body, 'user')
    const domainId = optString(e, 'domain_id', 64) ?? c.domain?.id ?? DEFAULT_DOMAIN_ID
    await getDomain(domainId).catch(() => {
      throw new ValidationError(`Could not find domain: ${domainId}.`)
    })
    const password = optString(e, 'password', 4096)
    const defaultProject = optString(e, 'default_project_id', 64)
    if (defaultProject) await getProject(defaultProject)
    const u = await store.createUser({
      name: reqName(e, 255),
      domain_id: domainId,
      enabled: optBool(e, 'enabled'),
      password_hash: password !== undefined ? await hashPassword(password) : null,
      default_project_id: defaultProject ?? null,
      email: optString(e, 'email') ?? null,
      description: optString(e, 'description', 65535) ?? null,
    })
    return reply.code(201).send({ user: userView(u, base(request)) })
  })
  app.get<{ Params: { id: string } }>('/v3/users/:id', async (request) => {
    const c = await caller(request)
    if (!isAdmin(c) && c.user.id !== request.params.id) throw new ForbiddenAction('identity:get_user')
    return { user: userView(await getUser(request.params.id), base(request)) }
  })
  app.patch<{ Params: { id: string } }>('/v3/users/:id', async (request) => {
    await admin(request, 'update_user')
    const u = await getUser(request.params.id)
    const e = entity(request.body, 'user')
    const password = optString(e, 'password', 4096)
    const enabled = optBool(e, 'enabled')
    const defaultProject = e.default_project_id === null ? null : optString(e, 'default_project_id', 64)
    if (defaultProject) await getProject(defaultProject)
    await store.updateUser(u.id, {
      ...(e.name !== undefined ? { name: reqName(e, 255) } : {}),
      ...(enabled !== undefined ? { enabled } : {}),
      ...(password !== undefined ? { password_hash: await hashPassword(password) } : {}),
      ...(defaultProject !== undefined ? { default_project_id: defaultProject } : {}),
      ...(e.email !== undefined ? { email: optString(e, 'email') ?? null } : {}),
      ...(e.description !== undefined ? { description: optString(e, 'description', 65535) ?? null } : {}),
    })
    if (password !== undefined || enabled === false) await identity.revokeUserTokens(u.id)
    return { user: userView(await getUser(u.id), base(request)) }
  })
  app.delete<{ Params: { id: string } }>('/v3/users/:id', async (request, reply) => {
    await admin(request, 'delete_user')
    const u = await getUser(request.params.id)
    await store.deleteUser(u.id)
    await identity.revokeUserTokens(u.id)
    return reply.code(204).send()
  })
  app.post<{ Params: { id: string } }>('/v3/users/:id/password', async (request, reply) => {
    const c = await caller(request)
    if (c.user.id !== request.params.id) throw new ForbiddenAction('identity:change_password')
    const e = entity(request.body, 'user')
    const original = optString(e, 'original_password', 4096)
    const password = optString(e, 'password', 4096)
    if (original === undefined || password === undefined) {
      throw new ValidationError('Expecting to find original_password and password in user.')
    }
    if (!(await verifyPassword(original, c.user.password_hash))) throw new AuthenticationRequired()
    await store.updateUser(c.user.id, { password_hash: await hashPassword(password) })
    await identity.revokeUserTokens(c.user.id)
    return reply.code(204).send()
  })
  app.get<{ Params: { id: string } }>('/v3/users/:id/projects', async (request) => {
    const c = await caller(request)
    if (!isAdmin(c) && c.user.id !== request.params.id)
      throw new ForbiddenAction('identity:list_user_projects')
    const u = await getUser(request.params.id)
    const projects = await identity.userProjects(u.id)
    return {
      projects: projects.map((p) => projectView(p, base(request))),
      links: listLinks(base(request), `/users/${u.id}/projects`),
    }
  })
  app.get<{ Params: { id: string } }>('/v3/users/:id/groups', async (request) => {
    const c = await caller(request)
    if (!isAdmin(c) && c.user.id !== request.params.id)
      throw new ForbiddenAction('identity:list_groups_for_user')
    await getUser(request.params.id)
    return { groups: [], links: listLinks(base(request), `/users/${request.params.id}/groups`) }
  })

  // --- roles

  const getRole = async (id: string) => {
    const r = await store.getRole(id)
    if (!r) throw new NotFoundError('role', id)
    return r
  }
  app.get('/v3/roles', async (request) => {
    await admin(request, 'list_roles')
    const roles = await store.listRoles({ name: query(request).name })
    return { roles: roles.map((r) => roleView(r, base(request))), links: listLinks(base(request), '/roles') }
  })
  app.post('/v3/roles', async (request, reply) => {
    await admin(request, 'create_role')
    const e = entity(request.body, 'role')
    const r = await store.createRole({
      name: reqName(e, 255),
      description: optString(e, 'description', 255) ?? null,
    })
    return reply.code(201).send({ role: roleView(r, base(request)) })
  })
  app.get<{ Params: { id: string } }>('/v3/roles/:id', async (request) => {
    await admin(request, 'get_role')
    return { role: roleView(await getRole(request.params.id), base(request)) }
  })
  app.patch<{ Params: { id: string } }>('/v3/roles/:id', async (request) => {
    await admin(request, 'update_role')
    const r = await getRole(request.params.id)
    const e = entity(request.body, 'role')
    await store.updateRole(r.id, {
      ...(e.name !== undefined ? { name: reqName(e, 255) } : {}),
      ...(e.description !== undefined ? { description: optString(e, 'description', 255) ?? null } : {}),
    })
    return { role: roleView(await getRole(r.id), base(request)) }
  })
  app.delete<{ Params: { id: string } }>('/v3/roles/:id', async (request, reply) => {
    await admin(request, 'delete_role')
    const r = await getRole(request.params.id)
    const holders = await store.listAssignments({ roleId: r.id })
    await store.deleteRole(r.id)
    for (const a of holders) {
      await identity.revokeUserTokens(a.actor_id, a.type === 'UserProject' ? a.target_id : null)
    }
    return reply.code(204).send()
  })

  // --- role assignments: /v3/{projects|domains}/{target}/users/{user}/roles[/{role}]

  for (const [kind, type] of [
    ['projects', 'UserProject'],
    ['domains', 'UserDomain'],
  ] as const) {
    const target = (id: string) => (type === 'UserProject' ? getProject(id) : getDomain(id))
    type P = { target: string; user: string; role: string }
    const path = `/v3/${kind}/:target/users/:user/roles`
    const resolve = async (p: P) => {
      await target(p.target)
      await getUser(p.user)
      await getRole(p.role)
      return { type: type as AssignmentType, actor_id: p.user, target_id: p.target, role_id: p.role }
    }
    app.get<{ Params: Omit<P, 'role'> }>(path, async (request) => {
      const c = await caller(request)
      if (!isAdmin(c) && c.user.id !== request.params.user) throw new ForbiddenAction('identity:list_grants')
      await target(request.params.target)
      await getUser(request.params.user)
      const assigned = await store.listAssignments({
        type,
        actorId: request.params.user,
        targetId: request.params.target,
      })
      const roles = (await store.listRoles()).filter((r) => assigned.some((a) => a.role_id === r.id))
      return {
        roles: roles.map((r) => roleView(r, base(request))),
        links: listLinks(
          base(request),
          `/${kind}/${request.params.target}/users/${request.params.user}/roles`,
        ),
      }
    })
    app.put<{ Params: P }>(`${path}/:role`, async (request, reply) => {
      await admin(request, 'create_grant')
      await store.grant(await resolve(request.params))
      return reply.code(204).send()
    })
    app.get<{ Params: P }>(`${path}/:role`, async (request, reply) => {
      await admin(request, 'check_grant')
      const a = await resolve(request.params)
      const held = await store.listAssignments({
        type,
        actorId: a.actor_id,
        targetId: a.target_id,
        roleId: a.role_id,
      })
      if (held.length === 0) throw new NotFoundError('role assignment', `${a.role_id}`)
      return reply.code(204).send()
    })
    app.delete<{ Params: P }>(`${path}/:role`, async (request, reply) => {
      await admin(request, 'revoke_grant')
      const a = await resolve(request.params)
      if (!(await store.revoke(a))) throw new NotFoundError('role assignment', a.role_id)
      await identity.revokeUserTokens(a.actor_id, type === 'UserProject' ? a.target_id : null)
      return reply.code(204).send()
    })
  }

  app.get('/v3/role_assignments', async (request) => {
    const c = await caller(request)
    const q = query(request)
    if (!isAdmin(c) && q['user.id'] !== c.user.id) throw new ForbiddenAction('identity:list_role_assignments')
    const projectId = q['scope.project.id']
    const domainId = q['scope.domain.id']
    let assignments = await store.listAssignments({
      actorId: q['user.id'],
      roleId: q['role.id'],
      targetId: projectId ?? domainId,
      type: projectId ? 'UserProject' : domainId ? 'UserDomain' : undefined,
    })
    if (q['group.id']) assignments = []
    const withNames = 'include_names' in q
    const [roles, users, projects, domains] = withNames
      ? await Promise.all([store.listRoles(), store.listUsers(), store.listProjects(), store.listDomains()])
      : [[], [], [], []]
    const name = <T extends { id: string; name: string }>(list: readonly T[], id: string) =>
      list.find((x) => x.id === id)
    const domainRef = (id: string) => ({ id, name: name(domains, id)?.name ?? id })
    const b = base(request)
    return {
      role_assignments: assignments.map((a) => {
        const user = name(users, a.actor_id)
        const project = a.type === 'UserProject' ? name(projects, a.target_id) : undefined
        const scope =
          a.type === 'UserProject'
            ? {
                project: withNames
                  ? {
                      id: a.target_id,
                      name: project?.name,
                      domain: domainRef(project?.domain_id ?? DEFAULT_DOMAIN_ID),
                    }
                  : { id: a.target_id },
              }
            : { domain: withNames ? domainRef(a.target_id) : { id: a.target_id } }
        return {
          role: withNames ? { id: a.role_id, name: name(roles, a.role_id)?.name } : { id: a.role_id },
          user: withNames
            ? { id: a.actor_id, name: user?.name, domain: domainRef(user?.domain_id ?? DEFAULT_DOMAIN_ID) }
            : { id: a.actor_id },
          scope,
          links: {
            assignment: `${b}/${a.type === 'UserProject' ? 'projects' : 'domains'}/${a.target_id}/users/${a.actor_id}/roles/${a.role_id}`,
          },
        }
      }),
      links: listLinks(b, '/role_assignments'),
    }
  })

  // --- catalog administration: services, endpoints, regions

  const serviceView = (
    s: { id: string; type: string; name: string; description: string | null; enabled: boolean },
    b: string,
  ) => ({
    id: s.id,
    type: s.type,
    name: s.name,
    ...(s.description ? { description: s.description } : {}),
    enabled: s.enabled,
    links: { self: `${b}/services/${s.id}` },
  })
  const endpointView = (
    e: {
      id: string
      service_id: string
      interface: string
      region_id: string
      url: string
      enabled: boolean
    },
    b: string,
  ) => ({
    id: e.id,
    service_id: e.service_id,
    interface: e.interface,
    region: e.region_id,
    region_id: e.region_id,
    url: e.url,
    enabled: e.enabled,
    links: { self: `${b}/endpoints/${e.id}` },
  })
  const getService = async (id: string) => {
    const s = (await store.listServices()).find((x) => x.id === id)
    if (!s) throw new NotFoundError('service', id)
    return s
  }
  app.get('/v3/services', async (request) => {
    await admin(request, 'list_services')
    const services = await store.listServices({ type: query(request).type })
    return {
      services: services.map((s) => serviceView(s, base(request))),
      links: listLinks(base(request), '/services'),
    }
  })
  app.get<{ Params: { id: string } }>('/v3/services/:id', async (request) => {
    await admin(request, 'get_service')
    return { service: serviceView(await getService(request.params.id), base(request)) }
  })
  app.post('/v3/services', async (request, reply) => {
    await admin(request, 'create_service')
    const e = entity(request.body, 'service')
    const type = optString(e, 'type')
    if (!type) throw new ValidationError("Invalid input for field 'type': 'type' is a required property")
    const s = await store.createService({
      type,
      name: optString(e, 'name') ?? '',
      description: optString(e, 'description', 65535) ?? null,
      enabled: optBool(e, 'enabled') ?? true,
    })
    return reply.code(201).send({ service: serviceView(s, base(request)) })
  })
  app.delete<{ Params: { id: string } }>('/v3/services/:id', async (request, reply) => {
    await admin(request, 'delete_service')
    await store.deleteService((await getService(request.params.id)).id)
    return reply.code(204).send()
  })
  const getEndpoint = async (id: string) => {
    const e = (await store.listEndpoints()).find((x) => x.id === id)
    if (!e) throw new NotFoundError('endpoint', id)
    return e
  }
  app.get('/v3/endpoints', async (request) => {
    await admin(request, 'list_endpoints')
    const q = query(request)
    const endpoints = await store.listEndpoints({ serviceId: q.service_id, interface: q.interface })
    return {
      endpoints: endpoints
        .filter((e) => !q.region_id || e.region_id === q.region_id)
        .map((e) => endpointView(e, base(request))),
      links: listLinks(base(request), '/endpoints'),
    }
  })
  app.get<{ Params: { id: string } }>('/v3/endpoints/:id', async (request) => {
    await admin(request, 'get_endpoint')
    return { endpoint: endpointView(await getEndpoint(request.params.id), base(request)) }
  })
  app.post('/v3/endpoints', async (request, reply) => {
    await admin(request, 'create_endpoint')
    const e = entity(request.body, 'endpoint')
    const iface = optString(e, 'interface')
    const url = optString(e, 'url', 2048)
    const serviceId = optString(e, 'service_id', 64)
    if (!iface || !['public', 'internal', 'admin'].includes(iface)) {
      throw new ValidationError("Invalid input for field 'interface': must be one of public, internal, admin")
    }
    if (!url) throw new ValidationError("Invalid input for field 'url': 'url' is a required property")
    if (!serviceId)
      throw new ValidationError("Invalid input for field 'service_id': 'service_id' is a required property")
    await getService(serviceId)
    const created = await store.createEndpoint({
      service_id: serviceId,
      interface: iface,
      url,
      region_id: optString(e, 'region_id') ?? optString(e, 'region') ?? 'RegionOne',
      enabled: optBool(e, 'enabled') ?? true,
    })
    return reply.code(201).send({ endpoint: endpointView(created, base(request)) })
  })
  app.delete<{ Params: { id: string } }>('/v3/endpoints/:id', async (request, reply) => {
    await admin(request, 'delete_endpoint')
    await store.deleteEndpoint((await getEndpoint(request.params.id)).id)
    return reply.code(204).send()
  })
  const regionView = (id: string, b: string) => ({
    id,
    description: '',
    parent_region_id: null,
    links: { self: `${b}/regions/${id}` },
  })
  app.get('/v3/regions', async (request) => {
    await caller(request)
    const ids = [...new Set((await store.listEndpoints()).map((e) => e.region_id))].sort()
    return {
      regions: ids.map((id) => regionView(id, base(request))),
      links: listLinks(base(request), '/regions'),
    }
  })
  app.get<{ Params: { id: string } }>('/v3/regions/:id', async (request) => {
    await caller(request)
    const ids = new Set((await store.listEndpoints()).map((e) => e.region_id))
    if (!ids.has(request.params.id)) throw new NotFoundError('region', request.params.id)
    return { region: regionView(request.params.id, base(request)) }
  })

  return app
}
