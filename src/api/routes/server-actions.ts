/**
 * `POST /servers/{id}/action`: one route, one handler per action key. Life-cycle actions
 * (os-start, os-stop, reboot, …) join by adding their handler to `serverActions`.
 */
import type { FastifyInstance } from 'fastify'
import type { ComputeApi } from '../../compute-api/servers.js'
import { type ActionHandler, actionRoute } from '../actions.js'
import { validateGetConsoleOutput } from '../schemas/console-output.js'

export type ServerActionParams = { server_id: string }
export type ServerAction = ActionHandler<ServerActionParams>

/** Nova still strips characters invalid in XML (controls but tab and newline) from console output. */
function stripXmlInvalid(text: string): string {
  let out = ''
  for (const ch of text) {
    const c = ch.charCodeAt(0)
    if (c < 0x20 && c !== 0x09 && c !== 0x0a) continue
    out += ch
  }
  return out
}

/** Nova's ConsoleOutputController: 200 `{"output": …}`, read by the instance's compute host. */
function getConsoleOutput(compute: ComputeApi): ServerAction {
  return {
    async handle(request, body) {
      const args = validateGetConsoleOutput(body)['os-getConsoleOutput']
      const ctx = request.ctx
      // Policy os_compute_api:os-console-output is the owner's or an admin's: get() already
      // hides other projects' servers (404).
      const instance = await compute.get(ctx, request.params.server_id)
      const length = args.length ?? null
      const output = await compute.getConsoleOutput(ctx, instance, length)
      return { status: 200, body: { output: stripXmlInvalid(output) } }
    },
  }
}

/** Every server action, by its body key. */
export function serverActions(compute: ComputeApi): Map<string, ServerAction> {
  return new Map<string, ServerAction>([['os-getConsoleOutput', getConsoleOutput(compute)]])
}

export function serverActionRoutes(app: FastifyInstance, compute: ComputeApi): void {
  actionRoute(app, '/servers/:server_id/action', serverActions(compute))
}
