import type { CellRouter } from '../cells/cell-router.js'
import type { ActionPage, InstanceAction, InstanceActionEvent } from '../objects/instance-action.js'

/**
 * What was done to each server (`os-instance-actions`), read from the server's own cell. A server
 * still waiting as a build request has no cell yet, and no actions.
 */
export class InstanceActions {
  constructor(private readonly cells: CellRouter) {}

  /** The server's actions, newest first; undefined when `marker` names none of them. */
  async list(instanceUuid: string, page: ActionPage = {}): Promise<InstanceAction[] | undefined> {
    const cell = await this.cells.forInstance(instanceUuid)
    if (!cell) return page.marker === undefined ? [] : undefined
    return cell.store.actions.list(instanceUuid, page)
  }

  /** The server's newest action for one request. */
  async find(instanceUuid: string, requestId: string): Promise<InstanceAction | undefined> {
    return (await this.cells.forInstance(instanceUuid))?.store.actions.find(instanceUuid, requestId)
  }

  /** An action's events, newest first. */
  async events(instanceUuid: string, actionId: number): Promise<InstanceActionEvent[]> {
    return (await (await this.cells.forInstance(instanceUuid))?.store.actions.events(actionId)) ?? []
  }
}
