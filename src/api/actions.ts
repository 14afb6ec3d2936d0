/**
 * Nova's action resources (`POST /servers/{id}/action`, `POST /flavors/{id}/action`): the body
 * has exactly one key, the action's name, and one route dispatches on it (Nova's `action_peek`
 * and `wsgi_actions`). An action joins by adding a handler to the map its route is given.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Invalid, NotFound } from '../shared/errors.js'
import { ApiVersion } from './microversion.js'

export interface ActionResult {
  /** Nova's `@wsgi.response` code for the action (200, 202, 204). */
  readonly status: number
  /** The response body; none (an empty response) when undefined. */
  readonly body?: unknown
}

export interface ActionHandler<Params> {
  /** First microversion with this action; below it Nova answers 404 as for an unknown method. */
  readonly minVersion?: string
  /** Last microversion with this action (actions removed later, e.g. addFixedIp at 2.44). */
  readonly maxVersion?: string
  /**
   * Validate the whole body (`{"<action>": …}`) as the action's schema does, check policy, act.
   * Errors are ApiErrors, answered in Nova's fault format.
   */
  handle(request: FastifyRequest<{ Params: Params }>, body: Record<string, unknown>): Promise<ActionResult>
}

export type ActionMap<Params> = ReadonlyMap<string, ActionHandler<Params>>

/** Nova's `action_peek`: the single key of a JSON object body. */
export function actionPeek(body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).length !== 1) {
    throw new Invalid('Malformed request body')
  }
  return Object.keys(body)[0]!
}

/**
 * Register `POST <path>` dispatching to `actions` by the body's one key. `resourceExists`, when
 * given, is asked before an unknown action is refused: an unknown action on a resource that is
 * not there is that resource's 404 (Nova answers 400 without looking; tsnova looks first, so a
 * client learns the more useful of the two mistakes).
 */
export function actionRoute<Params>(
  app: FastifyInstance,
  path: string,
  actions: ActionMap<Params>,
  resourceExists?: (request: FastifyRequest<{ Params: Params }>) => Promise<void>,
): void {
  app.post<{ Params: Params }>(path, async (request, reply) => {
    const name = actionPeek(request.body)
    const action = actions.get(name)
    if (!action) {
      await resourceExists?.(request)
      throw new Invalid(`There is no such action: ${name}`)
    }
    const v = request.apiVersion
    const tooOld = action.minVersion !== undefined && !v.atLeast(action.minVersion)
    const tooNew =
      action.maxVersion !== undefined && !ApiVersion.parse(action.maxVersion)!.atLeast(v.toString())
    if (tooOld || tooNew) throw new NotFound('The resource could not be found.')
    const result = await action.handle(request, request.body as Record<string, unknown>)
    reply.code(result.status)
    return result.body === undefined ? reply.send() : reply.send(result.body)
  })
}
