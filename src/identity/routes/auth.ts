/** `/`, `/v3` (version discovery) and `/v3/auth/*`: tokens, and what a token may be scoped to. */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ForbiddenAction, NotFoundError } from '../errors.js'
import type { ValidatedToken } from '../identity-service.js'
import type { Domain } from '../identity-store.js'
import { domainView, listLinks, projectView, tokenView } from '../views.js'
import { header, type IdentityRouteContext } from './helpers.js'

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

export function versionRoutes(app: FastifyInstance): void {
  app.get('/', async (request, reply) =>
    reply.code(300).send({ versions: { values: [versionDoc(request.headers.host ?? '127.0.0.1:5000')] } }),
  )
  for (const path of ['/v3', '/v3/']) {
    app.get(path, async (request) => ({ version: versionDoc(request.headers.host ?? '127.0.0.1:5000') }))
  }
}

export function authRoutes(app: FastifyInstance, c: IdentityRouteContext): void {
  const { identity, store } = c
  const domainsById = async (): Promise<Map<string, Domain>> =>
    new Map((await store.listDomains()).map((d) => [d.id, d]))
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
  const wantsCatalog = (request: FastifyRequest) => !('nocatalog' in c.query(request))

  app.post('/v3/auth/tokens', async (request, reply) => {
    const v = await identity.authenticate(request.body)
    reply.header('x-subject-token', v.token)
    return reply.code(201).send(await renderToken(v, wantsCatalog(request)))
  })
  app.get('/v3/auth/tokens', async (request, reply) => {
    const v = await identity.validateSubject(await c.caller(request), header(request, 'x-subject-token'))
    // Roles are those held now: a token whose roles were all taken away no longer validates.
    if (v.project && (await identity.effectiveRoles(v.user.id, 'UserProject', v.project.id)).length === 0) {
      throw new NotFoundError('token', v.token)
    }
    reply.header('x-subject-token', v.token)
    return renderToken(v, wantsCatalog(request))
  })
  app.delete('/v3/auth/tokens', async (request, reply) => {
    await identity.revoke(await c.caller(request), header(request, 'x-subject-token'))
    return reply.code(204).send()
  })
  app.get('/v3/auth/catalog', async (request) => {
    const caller = await c.caller(request)
    if (!caller.project && !caller.domain) throw new ForbiddenAction('identity:get_auth_catalog')
    return { catalog: await identity.catalog(), links: listLinks(c.base(request), '/auth/catalog') }
  })
  app.get('/v3/auth/projects', async (request) => {
    const caller = await c.caller(request)
    const projects = (await identity.userProjects(caller.user.id)).filter((p) => p.enabled)
    return {
      projects: projects.map((p) => projectView(p, c.base(request))),
      links: listLinks(c.base(request), '/auth/projects'),
    }
  })
  app.get('/v3/auth/domains', async (request) => {
    const caller = await c.caller(request)
    const ids = new Set(
      (await store.listAssignments({ type: 'UserDomain', actorId: caller.user.id })).map((a) => a.target_id),
    )
    const domains = (await store.listDomains()).filter((d) => ids.has(d.id) && d.enabled)
    return {
      domains: domains.map((d) => domainView(d, c.base(request))),
      links: listLinks(c.base(request), '/auth/domains'),
    }
  })
  app.get('/v3/auth/system', async (request) => {
    await c.caller(request)
    return { system: [], links: listLinks(c.base(request), '/auth/system') }
  })
}
