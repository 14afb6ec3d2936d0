/**
 * The identity API (Keystone v3 subset) on its own port: the Fastify instance, its hooks, and
 * every failure rendered as Keystone's `{"error": {"code", "title", "message"}}`. The routes
 * live in `routes/`, one file per resource.
 */
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify'
import { newRequestId } from '../shared/context.js'
import { clientErrorStatus, errorAnswer, REASON_PHRASES, writeRawError } from '../shared/error-answer.js'
import { NotFound } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { ValidationError } from './errors.js'
import type { IdentityService } from './identity-service.js'
import { assignmentRoutes } from './routes/assignments.js'
import { authRoutes, versionRoutes } from './routes/auth.js'
import { catalogRoutes } from './routes/catalog.js'
import { domainRoutes } from './routes/domains.js'
import { routeContext } from './routes/helpers.js'
import { projectRoutes } from './routes/projects.js'
import { roleRoutes } from './routes/roles.js'
import { userRoutes } from './routes/users.js'

export interface IdentityAppOptions {
  readonly identity: IdentityService
  readonly log: Logger
}

declare module 'fastify' {
  interface FastifyRequest {
    identityRequestId: string
  }
}

/** Keystone's sentences for failures the framework raises. */
const KEYSTONE_WORDING = {
  internal: 'An unexpected error prevented the server from fulfilling your request.',
  byStatus: {
    400: 'Expecting to find valid JSON in request body. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.',
    404: 'The resource could not be found.',
    405: 'The method is not allowed for the requested URL.',
    413: 'Request is too large.',
    414: 'The request URI was too long for this server.',
    415: 'Unsupported Content-Type',
    431: 'The request header fields were too large.',
  },
} as const

export function keystoneErrorBody(status: number, message: string) {
  return { error: { code: status, title: REASON_PHRASES[status] ?? 'Error', message } }
}

export function buildIdentityApp(options: IdentityAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.log.child({ service: 'keystone' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 114688,
    frameworkErrors: (error, request, reply) => renderKeystoneError(error, request, reply),
    clientErrorHandler: (error: Error & { code?: string }, socket) => {
      const status = clientErrorStatus(error)
      const message = KEYSTONE_WORDING.byStatus[status as 400] ?? 'Bad request'
      writeRawError(socket, status, 'application/json', JSON.stringify(keystoneErrorBody(status, message)))
    },
  })
  app.decorateRequest('identityRequestId', '')
  app.removeAllContentTypeParsers()
  const secureJson = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    if (String(body).trim() === '') return done(null, undefined)
    secureJson(req, String(body), (err, parsed) =>
      err ? done(new ValidationError(KEYSTONE_WORDING.byStatus[400]), undefined) : done(null, parsed),
    )
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
  const renderKeystoneError = (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const answer = errorAnswer(error, KEYSTONE_WORDING)
    if (answer.unexpected) {
      request.log.error({ err: error, request_id: request.identityRequestId }, 'unexpected error')
    }
    if (answer.status === 401) {
      reply.header('www-authenticate', `Keystone uri="http://${request.headers.host ?? '127.0.0.1:5000'}"`)
    }
    return reply.code(answer.status).send(keystoneErrorBody(answer.status, answer.message))
  }
  app.setErrorHandler(renderKeystoneError)
  app.setNotFoundHandler((_request, reply) => {
    const answer = errorAnswer(new NotFound(KEYSTONE_WORDING.byStatus[404]), KEYSTONE_WORDING)
    reply.code(answer.status).send(keystoneErrorBody(answer.status, answer.message))
  })

  const context = routeContext(options.identity)
  versionRoutes(app)
  authRoutes(app, context)
  domainRoutes(app, context)
  projectRoutes(app, context)
  userRoutes(app, context)
  roleRoutes(app, context)
  assignmentRoutes(app, context)
  catalogRoutes(app, context)
  return app
}
