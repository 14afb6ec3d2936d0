import type {
  ActionEventReport,
  ActionPage,
  InstanceAction,
  InstanceActionEvent,
} from '../../objects/instance-action.js'
import { dbNow } from '../../shared/time.js'
import type { Db } from '../connect.js'
import type { CellSchema } from './schema.js'

/**
 * The instance actions and their events in one cell: what happened to a server, at whose
 * request, and which service did each step (Nova's `instance_actions` tables).
 */
export class InstanceActionStore {
  constructor(private readonly db: Db<CellSchema>) {}

  private get k() {
    return this.db.kysely
  }

  /**
   * Record that a request began an action on an instance (Nova's `action_start`); `finished`
   * for one done at once by the API itself (os-resetState: `action_start` then `finish`).
   */
  async start(
    a: {
      action: string
      instance_uuid: string
      request_id: string
      user_id: string | null
      project_id: string | null
    },
    { finished = false }: { finished?: boolean } = {},
  ): Promise<void> {
    const now = dbNow()
    await this.k
      .insertInto('instance_actions')
      .values({
        ...a,
        start_time: now,
        finish_time: finished ? now : null,
        message: null,
        created_at: now,
        updated_at: now,
        deleted_at: null,
      })
      .execute()
  }

  /**
   * Record an event of the request's action. Returns false when the instance has no action for
   * that request (Nova raises InstanceActionNotFound there; losing the record must not fail the
   * work it describes).
   */
  async recordEvent(instanceUuid: string, requestId: string, e: ActionEventReport): Promise<boolean> {
    const action = await this.find(instanceUuid, requestId)
    if (!action) return false
    const open =
      e.finish_time === undefined
        ? undefined
        : await this.k
            .selectFrom('instance_actions_events')
            .select('id')
            .where('action_id', '=', action.id)
            .where('event', '=', e.event)
            .where('finish_time', 'is', null)
            .orderBy('id', 'desc')
            .executeTakeFirst()
    const outcome = {
      finish_time: e.finish_time ?? null,
      result: e.result ?? null,
      traceback: e.traceback ?? null,
      details: e.details ?? null,
    }
    if (open) {
      await this.k
        .updateTable('instance_actions_events')
        .set({ ...outcome, updated_at: e.finish_time })
        .where('id', '=', open.id)
        .execute()
    } else {
      await this.k
        .insertInto('instance_actions_events')
        .values({
          action_id: action.id,
          event: e.event,
          start_time: e.start_time,
          host: e.host,
          ...outcome,
          created_at: e.start_time,
          updated_at: e.finish_time ?? null,
          deleted_at: null,
        })
        .execute()
    }
    await this.k
      .updateTable('instance_actions')
      .set({
        updated_at: e.finish_time ?? e.start_time,
        ...(e.result === 'Error' ? { message: 'Error' } : {}),
      })
      .where('id', '=', action.id)
      .execute()
    return true
  }

  /** The instance's newest action for a request (Nova's `action_get_by_request_id`). */
  async find(instanceUuid: string, requestId: string): Promise<InstanceAction | undefined> {
    return this.k
      .selectFrom('instance_actions')
      .select(ACTION_COLUMNS)
      .where('instance_uuid', '=', instanceUuid)
      .where('request_id', '=', requestId)
      .where('deleted', '=', 0)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst()
  }

  /** The instance's actions, newest first; undefined when `marker` names none of them. */
  async list(instanceUuid: string, page: ActionPage = {}): Promise<InstanceAction[] | undefined> {
    if (page.limit === 0) return []
    let q = this.k
      .selectFrom('instance_actions')
      .select(ACTION_COLUMNS)
      .where('instance_uuid', '=', instanceUuid)
      .where('deleted', '=', 0)
    if (page.changesSince) q = q.where('updated_at', '>=', page.changesSince)
    if (page.changesBefore) q = q.where('updated_at', '<=', page.changesBefore)
    if (page.marker !== undefined) {
      const marker = await this.find(instanceUuid, page.marker)
      if (!marker) return undefined
      // Strictly after the marker in (created_at desc, id desc) order.
      const createdAt = marker.created_at ?? ''
      q = q.where((eb) =>
        eb.or([
          eb('created_at', '<', createdAt),
          eb.and([eb('created_at', '=', createdAt), eb('id', '<', marker.id)]),
        ]),
      )
    }
    q = q.orderBy('created_at', 'desc').orderBy('id', 'desc')
    if (page.limit !== undefined) q = q.limit(page.limit)
    return q.execute()
  }

  /** An action's events, newest first (Nova's `action_events_get`). */
  events(actionId: number): Promise<InstanceActionEvent[]> {
    return this.k
      .selectFrom('instance_actions_events')
      .select(['id', 'event', 'start_time', 'finish_time', 'result', 'traceback', 'host', 'details'])
      .where('action_id', '=', actionId)
      .where('deleted', '=', 0)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute()
  }
}

const ACTION_COLUMNS = [
  'id',
  'action',
  'instance_uuid',
  'request_id',
  'user_id',
  'project_id',
  'start_time',
  'finish_time',
  'message',
  'created_at',
  'updated_at',
] as const
