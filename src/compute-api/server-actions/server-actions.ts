import type { Logger } from '../../shared/logger.js'
import { AdminPasswordAction } from './admin-password.js'
import { ConsoleActions } from './consoles.js'
import { type ComputeLiveness, HostActionRunner } from './host-action.js'
import { LockActions } from './lock.js'
import { PowerActions } from './power.js'
import { ResetStateAction } from './reset-state.js'

/**
 * The actions on one server (`POST /servers/{id}/action` and its kin), by family. A new action
 * that its host carries out is a HostAction (see power.ts) run by the shared runner; one the API
 * does alone (lock, reset-state) writes the server's cell directly and records its action.
 */
export class ServerActions {
  readonly power: PowerActions
  readonly locks: LockActions
  readonly resetState: ResetStateAction
  readonly adminPassword: AdminPasswordAction
  readonly consoles: ConsoleActions

  constructor(options: {
    /** Whether a host's nova-compute service is up. */
    readonly isComputeUp: ComputeLiveness
    /** This API's host name, on the events the API records itself. */
    readonly host: string
    readonly log: Logger
  }) {
    const runner = new HostActionRunner(options.isComputeUp, options.log)
    this.power = new PowerActions(runner)
    this.locks = new LockActions(options.host)
    this.resetState = new ResetStateAction()
    this.adminPassword = new AdminPasswordAction(runner)
    this.consoles = new ConsoleActions(options.isComputeUp)
  }
}
