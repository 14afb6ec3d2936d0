import type { FastifyRequest } from 'fastify'
import type { LocatedServer } from '../../../compute-api/server-actions/host-action.js'
import type { ComputeApi } from '../../../compute-api/servers.js'
import type { ActionHandler, ActionResult } from '../../actions.js'
import type { ApiVersion } from '../../microversion.js'

export type ServerActionParams = { server_id: string }
export type ServerAction = ActionHandler<ServerActionParams>
export type ServerActionRequest = FastifyRequest<{ Params: ServerActionParams }>

type Act<B, R> = (request: ServerActionRequest, server: LocatedServer, body: B) => Promise<R>

/** The action's schema check, for the request's microversion: the body, typed, or a 400. */
type Validate<B> = (body: unknown, version: ApiVersion) => B

/** The microversions an action exists in (outside them Nova answers 404). */
export interface ActionVersions {
  readonly minVersion?: string
  readonly maxVersion?: string
}

/**
 * A server action that answers, run as Nova's controllers run one: the body checked against
 * the action's schema (400), the server looked up (404, another project's too), then the action.
 */
export function answeringAction<B>(
  compute: ComputeApi,
  validate: Validate<B>,
  act: Act<B, ActionResult>,
  versions: ActionVersions = {},
): ServerAction {
  return {
    ...versions,
    async handle(request, rawBody) {
      const body = validate(rawBody, request.apiVersion)
      const server = await compute.locate(request.ctx, request.params.server_id)
      return act(request, server, body)
    },
  }
}

/** A server action answered with 202 and no body (most of them). */
export function serverAction<B>(
  compute: ComputeApi,
  validate: Validate<B>,
  act: Act<B, void>,
  versions: ActionVersions = {},
): ServerAction {
  return answeringAction(
    compute,
    validate,
    async (request, server, body) => {
      await act(request, server, body)
      return { status: 202 }
    },
    versions,
  )
}

/** For actions Nova gives no schema: any value under the key will do. */
export const anyBody = (body: unknown): unknown => body
