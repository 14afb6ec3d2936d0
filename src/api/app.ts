import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import type { AggregateApi } from '../compute-api/aggregates.js'
import type { HostApi } from '../compute-api/hosts.js'
import type { ServerGroupApi } from '../compute-api/server-groups.js'
import type { ComputeApi } from '../compute-api/servers.js'
import { keystoneContext, type TokenValidator } from '../identity/token-validator.js'
import type { ImageService } from '../image/image-service.js'
import { newRequestId, type RequestContext } from '../shared/context.js'
import { Invalid, NotFound } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { noauth2Context } from './auth.js'
import { novaClientError, novaContentTypeParser, renderNovaError } from './faults.js'
import { type ApiVersion, requestedVersion } from './microversion.js'
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
    // Over-long headers or request lines are refused by Node before a request exists.
    clientErrorHandler: novaClientError,
    // The router's own refusals (a path parameter over maxParamLength: 414, a bad URL: 400).
    frameworkErrors: (error, request, reply) => renderNovaError(error, request, reply, ''),
  })
  const baseUrl = (host: string | undefined) => options.publicEndpoint ?? `http://${host ?? '127.0.0.1:8774'}`
  const keystone = options.authStrategy === 'keystone' ? options.keystone : undefined
  if (options.authStrategy === 'keystone' && !keystone)
    throw new Error('auth_strategy keystone needs a token validator')

  app.decorateRequest('ctx', null as unknown as RequestContext)
  app.decorateRequest('apiVersion', null as unknown as ApiVersion)
  app.decorateRequest('requestId', '')

  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, novaContentTypeParser(app))

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

  app.setErrorHandler((error, request, reply) =>
    renderNovaError(error, request, reply, keystone?.wwwAuthenticateUri ?? 'http://127.0.0.1:5000/'),
  )
  app.setNotFoundHandler((request, reply) =>
    renderNovaError(new NotFound('The resource could not be found.'), request, reply, ''),
  )

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
