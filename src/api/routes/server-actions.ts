/**
 * `POST /servers/{id}/action`: one route, one handler per action key (each family in
 * `actions/`), and `POST /servers/{id}/remote-consoles` (2.6+).
 */
import type { FastifyInstance } from 'fastify'
import type { ComputeApi } from '../../compute-api/servers.js'
import type { ConsoleKind } from '../../objects/console.js'
import { NotFound } from '../../shared/errors.js'
import { actionRoute } from '../actions.js'
import { validateCreateRemoteConsole } from '../schemas/remote-consoles.js'
import { adminActions } from './actions/admin.js'
import { consoleActions } from './actions/consoles.js'
import { powerActions } from './actions/power.js'
import type { ServerAction } from './actions/server-action.js'

export type { ServerAction, ServerActionParams } from './actions/server-action.js'

/** Every server action, by its body key. */
export function serverActions(compute: ComputeApi): Map<string, ServerAction> {
  return new Map<string, ServerAction>([
    ...powerActions(compute),
    ...adminActions(compute),
    ...consoleActions(compute),
  ])
}

export function serverActionRoutes(app: FastifyInstance, compute: ComputeApi): void {
  actionRoute(app, '/servers/:server_id/action', serverActions(compute), async (request) => {
    await compute.get(request.ctx, request.params.server_id)
  })

  // Nova's RemoteConsolesController.create: 200 `{"remote_console": {protocol, type, url}}`.
  app.post<{ Params: { server_id: string } }>('/servers/:server_id/remote-consoles', async (request) => {
    if (!request.apiVersion.atLeast('2.6')) throw new NotFound('The resource could not be found.')
    const body = validateCreateRemoteConsole(request.apiVersion)(request.body)
    const { protocol, type } = body.remote_console
    const server = await compute.locate(request.ctx, request.params.server_id)
    const url = await compute.serverActions.consoles.remote(
      request.ctx,
      server,
      protocol as ConsoleKind,
      type,
      'bad-request',
    )
    return { remote_console: { protocol, type, url } }
  })
}
