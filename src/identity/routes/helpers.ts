/** What every identity route needs: who is calling, the admin check, lookups that 404. */
import type { FastifyRequest } from 'fastify'
import { ForbiddenAction, NotFoundError } from '../errors.js'
import { type IdentityService, isAdmin, type ValidatedToken } from '../identity-service.js'
import type { Domain, IdentityStore, Project, Role, User } from '../identity-store.js'

export interface IdentityRouteContext {
  readonly identity: IdentityService
  readonly store: IdentityStore
  /** `http://<host>/v3`, for links. */
  base(request: FastifyRequest): string
  /** The token's holder (401 without a valid token). */
  caller(request: FastifyRequest): Promise<ValidatedToken>
  /** The caller, who must be an admin (403 naming `identity:<action>` otherwise). */
  admin(request: FastifyRequest, action: string): Promise<ValidatedToken>
  getDomain(id: string): Promise<Domain>
  getProject(id: string): Promise<Project>
  getUser(id: string): Promise<User>
  getRole(id: string): Promise<Role>
  query(request: FastifyRequest): Record<string, string | undefined>
}

export function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name]
  return Array.isArray(v) ? v[0] : v
}

export function routeContext(identity: IdentityService): IdentityRouteContext {
  const store = identity.store
  const caller = (request: FastifyRequest) => identity.caller(header(request, 'x-auth-token'))
  const found = <T>(kind: string, id: string, value: T | undefined): T => {
    if (!value) throw new NotFoundError(kind, id)
    return value
  }
  return {
    identity,
    store,
    base: (request) => `http://${request.headers.host ?? '127.0.0.1:5000'}/v3`,
    caller,
    admin: async (request, action) => {
      const c = await caller(request)
      if (!isAdmin(c)) throw new ForbiddenAction(`identity:${action}`)
      return c
    },
    getDomain: async (id) => found('domain', id, await store.getDomain(id)),
    getProject: async (id) => found('project', id, await store.getProject(id)),
    getUser: async (id) => found('user', id, await store.getUser(id)),
    getRole: async (id) => found('role', id, await store.getRole(id)),
    query: (request) => request.query as Record<string, string | undefined>,
  }
}
