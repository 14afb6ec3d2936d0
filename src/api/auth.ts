import type { FastifyRequest } from 'fastify'
import { makeContext, type RequestContext } from '../shared/context.js'
import { Unauthorized } from '../shared/errors.js'

/**
 * `[api] auth_strategy = noauth2`: the token is `user:project` (or just `user`), trusted as
 * given; the user `admin` gets the admin role. For tests and trusted networks only.
 */
export function noauth2Context(
  request: FastifyRequest,
  requestId: string,
  globalRequestId: string | null,
): RequestContext {
  const raw = request.headers['x-auth-token']
  const token = Array.isArray(raw) ? raw[0] : raw
  if (!token) throw new Unauthorized('The request you have made requires authentication.')
  const [user, project] = token.split(':', 2)
  const userId = user || 'anonymous'
  const roles = userId === 'admin' ? ['admin', 'member', 'reader'] : ['member', 'reader']
  return makeContext({
    requestId,
    globalRequestId,
    userId,
    projectId: project || userId,
    roles,
    remoteAddress: request.ip,
  })
}
