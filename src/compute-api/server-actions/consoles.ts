/**
 * Reading a server's consoles: its console log (`os-getConsoleOutput`) and remote consoles
 * (`os-get*Console` before 2.6, `POST /servers/{id}/remote-consoles` after). Each is an RPC call
 * to the server's host, refused at once when that host's compute service is down.
 */
import { CONSOLE_METHODS } from '../../compute/rpcapi.js'
import type { ConsoleKind } from '../../objects/console.js'
import { TaskState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import { ComputeServiceDown, Conflict, NotImplementedByDriver } from '../../shared/errors.js'
import { type ComputeLiveness, inCell, type LocatedServer } from './host-action.js'
import { checkHost, rejectTaskStates, type StateRefusal } from './preconditions.js'

/**
 * How a console request's state refusal is answered: the VNC action before 2.6 catches it as a
 * 409; the others (and `remote-consoles`) let it through as a 400, as Nova's controllers do.
 */
export type ConsoleRefusal = StateRefusal

export class ConsoleActions {
  constructor(private readonly isComputeUp: ComputeLiveness) {}

  /** Nova's `get_console_output`: the last `length` lines of the guest's console log. */
  async output(ctx: RequestContext, server: LocatedServer, length: number | string | null): Promise<string> {
    const { instance } = server
    checkHost(instance)
    const cell = inCell(server)
    if (!(await this.isComputeUp(instance.host))) throw new ComputeServiceDown()
    return cell.compute.getConsoleOutput(ctx, instance, length)
  }

  /** Nova's `get_<kind>_console`: the URL the user opens the console at. */
  async remote(
    ctx: RequestContext,
    server: LocatedServer,
    kind: ConsoleKind,
    consoleType: string | null,
    refusal: ConsoleRefusal,
  ): Promise<string> {
    const { instance } = server
    checkHost(instance)
    rejectTaskStates(instance, [TaskState.DELETING, TaskState.MIGRATING], CONSOLE_METHODS[kind], refusal)
    const cell = inCell(server)
    if (!(await this.isComputeUp(instance.host))) throw new ComputeServiceDown()
    if (!(await cell.compute.supports(CONSOLE_METHODS[kind]))) {
      throw new Conflict(
        `Cannot get a ${kind} console of instance ${instance.uuid}: its host's compute service is too old for it; upgrade the compute services first`,
      )
    }
    try {
      return (await cell.compute.getConsole(ctx, instance, kind, consoleType)).access_url
    } catch (err) {
      if (err instanceof NotImplementedByDriver) {
        throw new NotImplementedByDriver('The requested functionality is not supported.')
      }
      throw err
    }
  }
}
