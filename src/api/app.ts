import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify'
import type { AggregateApi } from '../compute-api/aggregates.js'
import type { HostApi } from '../compute-api/hosts.js'
import type { ServerGroupApi } from '../compute-api/server-groups.js'
import type { ComputeApi } from '../compute-api/servers.js'
import { keystoneContext, type TokenValidator } from '../identity/token-validator.js'
import type { ImageService } from '../image/image-service.js'
import { newRequestId, type RequestContext } from '../shared/context.js'
import { Invalid, NovaError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { pyRepr } from '../shared/python.js'
import { noauth2Context, Unauthorized } from './auth.js'
import { faultBody } from './faults.js'
import { type ApiVersion, requestedVersion, VersionNotSupported } from './microversion.js'
import { flavorRoutes } from './routes/flavors.js'
import { imageProxyRoutes } from './routes/images.js'
import { osAggregateRoutes } from './routes/os-aggregates.js'
import { osAvailabilityZoneRoutes } from './routes/os-availability-zone.js'
import { osHypervisorRoutes } from './routes/os-hypervisors.js'
import { osInstanceActionRoutes } from './routes/os-instance-actions.js'
import { osServerGroupRoutes } from './routes/os-server-groups.js'
import { osServiceRoutes } from './routes/os-services.js'
import { serverActionRoutes } from './routes/server-actions.js'
import { serverRoutes } from './routes/servers.js'
import { versionRoutes } from './routes/versions.js'

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext
    apiVersion: ApiVersion
    requestId: string
  }
}

export interface ApiAppOptions {
  readonly compute: ComputeApi
  readonly log: Logger
  readonly authStrategy: 'noauth2' | 'keystone'
  /** For `authStrategy: 'keystone'`: how tokens are validated, and where a 401 sends clients. */
  readonly keystone?: { readonly validator: TokenValidator; readonly wwwAuthenticateUri: string }
  /** The image service, for the image proxy (`/images`, microversions below 2.36). */
  readonly images?: ImageService
  readonly maxLimit: number
  /** Public base URL for links; by default the request's own Host. */
  readonly publicEndpoint?: string
  /** Services and hosts, for the admin APIs (os-services, os-hypervisors, zones). */
  readonly hosts?: HostApi
  /** Whether a project exists (`addTenantAccess` checks it as Nova's verify_project_id does). */
  readonly verifyProject?: (projectId: string) => Promise<boolean | undefined>
  /** `/os-server-groups`. */
  readonly serverGroups?: ServerGroupApi
  /** `/os-aggregates`, and the zones of `/os-availability-zone`. */
  readonly aggregates?: AggregateApi
}

/** The URL prefixes every compute route is served under: Nova accepts an optional project id. */
export const COMPUTE_PREFIXES = ['/v2.1', '/v2.1/:project_id'] as const

const UNVERSIONED = new Set(['/', '/v2.1', '/v2.1/'])

/** The compute API (osapi_compute): Nova's v2.1 routes, headers, errors and microversions. */
export function buildComputeApp(options: ApiAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.log.child({ service: 'nova-api' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    ajv: {
      customOptions: {
        coerceTypes: false,
        removeAdditional: false,
        allErrors: false,
        allowUnionTypes: true,
        verbose: true,
      },
    },
    schemaErrorFormatter: (errors, dataVar) => {
      const e = errors[0]
      const path = e?.instancePath ? e.instancePath.split('/').filter(Boolean) : []
      const field = path.at(-1) ?? dataVar
      let message = e?.message ?? 'invalid'
      if (e?.keyword === 'required')
        message = `'${(e.params as { missingProperty: string }).missingProperty}' is a required property`
      if (e?.keyword === 'additionalProperties') {
        message = `Additional properties are not allowed ('${(e.params as { additionalProperty: string }).additionalProperty}' was unexpected)`
      }
      const err = new Error(
        `Invalid input for field/attribute ${field}. Value: ${pyRepr((e as { data?: unknown } | undefined)?.data)}. ${message}`,
      )
      return err
    },
  })
  const baseUrl = (host: string | undefined) => options.publicEndpoint ?? `http://${host ?? '127.0.0.1:8774'}`
  const keystone = options.authStrategy === 'keystone' ? options.keystone : undefined
  if (options.authStrategy === 'keystone' && !keystone)
    throw new Error('auth_strategy keystone needs a token validator')

  app.decorateRequest('ctx', null as unknown as RequestContext)
  app.decorateRequest('apiVersion', null as unknown as ApiVersion)
  app.decorateRequest('requestId', '')

  // Nova parses any body as JSON whatever its content type; a malformed one is a 400.
  app.removeAllContentTypeParsers()
  // Fastify's parser refuses `__proto__` and `constructor.prototype` keys (prototype poisoning).
  const secureJson = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    if (String(body).trim() === '') return done(null, undefined)
    secureJson(req, String(body), (err, parsed) => {
      if (err) done(Object.assign(new Error('Malformed request body'), { statusCode: 400 }), undefined)
      else done(null, parsed)
    })
  })

  app.addHook('onRequest', async (request, reply) => {
    request.requestId = newRequestId()
    reply.header('x-openstack-request-id', request.requestId)
    reply.header('x-compute-request-id', request.requestId)
    const path = request.url.split('?', 1)[0]!
    if (UNVERSIONED.has(path)) return
    request.apiVersion = requestedVersion(request.headers)
    const v = request.apiVersion.toString()
    reply.header('openstack-api-version', `compute ${v}`)
    reply.header('x-openstack-nova-api-version', v)
    reply.header('vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version')
    const incoming = request.headers['x-openstack-request-id']
    const globalId = typeof incoming === 'string' && /^req-[0-9a-f-]{36}$/.test(incoming) ? incoming : null
    request.ctx = keystone
      ? await keystoneContext(request, keystone.validator, request.requestId, globalId)
      : noauth2Context(request, request.requestId, globalId)
    const urlProject = /^\/v2\.1\/([^/]+)\/(servers|flavors)/.exec(path)?.[1]
    if (urlProject && urlProject !== request.ctx.projectId && !request.ctx.isAdmin) {
      throw new Invalid(
        `Malformed request URL: URL's project_id '${urlProject}' doesn't match Context's project_id '${request.ctx.projectId}'`,
      )
    }
  })

  // One line per request, as nova-api's access log: method, path, status, time, request id.
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        request_id: request.requestId,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      `${request.method} ${request.url}`,
    )
  })

  app.setErrorHandler((error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof Unauthorized) {
      return reply
        .code(401)
        .header(
          'www-authenticate',
          `Keystone uri="${keystone?.wwwAuthenticateUri ?? 'http://127.0.0.1:5000/'}"`,
        )
        .send({ error: { code: 401, title: 'Unauthorized', message: error.message } })
    }
    if (error instanceof VersionNotSupported) {
      return reply
        .code(error.message.startsWith('API Version String') ? 400 : 406)
        .send(faultBody(error.message.startsWith('API Version String') ? 400 : 406, error.message))
    }
    if (error instanceof NovaError) {
      const code = Math.min(error.code, 500)
      if (code === 500) request.log.error({ err: error, request_id: request.requestId }, 'request failed')
      return reply.code(code).send(faultBody(code, error.message))
    }
    const status = (error as FastifyError).statusCode
    if ((error as FastifyError).validation || (status && status >= 400 && status < 500)) {
      return reply.code(status ?? 400).send(faultBody(status ?? 400, error.message))
    }
    request.log.error({ err: error, request_id: request.requestId }, 'unexpected error')
    return reply
      .code(500)
      .send(
        faultBody(
          500,
          'Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.',
        ),
      )
  })

  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send(faultBody(404, 'The resource could not be found.'))
  })

  versionRoutes(app, baseUrl)
  const hosts = options.hosts
  for (const prefix of COMPUTE_PREFIXES) {
    void app.register(
      async (scope) => {
        serverRoutes(scope, options.compute, baseUrl, options.maxLimit)
        serverActionRoutes(scope, options.compute)
        osInstanceActionRoutes(scope, options.compute, baseUrl, options.maxLimit)
        flavorRoutes(scope, options.compute, baseUrl, {
          maxLimit: options.maxLimit,
          verifyProject: options.verifyProject,
        })
        if (options.images) imageProxyRoutes(scope, options.images, baseUrl)
        if (hosts) {
          osServiceRoutes(scope, hosts)
          osHypervisorRoutes(scope, hosts, baseUrl, options.maxLimit)
        }
        if (options.serverGroups) osServerGroupRoutes(scope, options.serverGroups, options.maxLimit)
        if (options.aggregates) {
          osAggregateRoutes(scope, options.aggregates)
          if (hosts) osAvailabilityZoneRoutes(scope, hosts, options.aggregates)
        }
      },
      { prefix },
    )
  }
  return app
}
