import { randomUUID } from 'node:crypto'

/**
 * Who asked, and which request this is. Travels with every RPC message (flattened into
 * `_context_*` keys, as oslo.messaging does) so one request can be followed through every hop.
 */
export interface RequestContext {
  readonly requestId: string
  readonly globalRequestId: string | null
  readonly userId: string | null
  readonly projectId: string | null
  readonly roles: readonly string[]
  readonly isAdmin: boolean
  readonly readDeleted: 'no' | 'yes' | 'only'
  readonly remoteAddress: string | null
  readonly timestamp: string
}

export function newRequestId(): string {
  return `req-${randomUUID()}`
}

export function makeContext(fields: Partial<RequestContext> = {}): RequestContext {
  const roles = fields.roles ?? []
  return {
    requestId: fields.requestId ?? newRequestId(),
    globalRequestId: fields.globalRequestId ?? null,
    userId: fields.userId ?? null,
    projectId: fields.projectId ?? null,
    roles,
    isAdmin: fields.isAdmin ?? roles.includes('admin'),
    readDeleted: fields.readDeleted ?? 'no',
    remoteAddress: fields.remoteAddress ?? null,
    timestamp: fields.timestamp ?? new Date().toISOString(),
  }
}

/** The context a service uses for its own work (periodic tasks, heartbeats). */
export function adminContext(): RequestContext {
  return makeContext({ isAdmin: true, roles: ['admin'] })
}

/** The keys of Nova's `context.to_dict()`, as they go on the wire. */
export function contextToWire(ctx: RequestContext): Record<string, unknown> {
  return {
    user: ctx.userId,
    user_id: ctx.userId,
    project: ctx.projectId,
    project_id: ctx.projectId,
    tenant: ctx.projectId,
    is_admin: ctx.isAdmin,
    read_only: false,
    show_deleted: ctx.readDeleted !== 'no',
    read_deleted: ctx.readDeleted,
    request_id: ctx.requestId,
    global_request_id: ctx.globalRequestId,
    roles: ctx.roles,
    remote_address: ctx.remoteAddress,
    timestamp: ctx.timestamp,
    user_identity: `${ctx.userId ?? '-'} ${ctx.projectId ?? '-'} - - -`,
  }
}

export function contextFromWire(wire: Record<string, unknown>): RequestContext {
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)
  const readDeleted = wire.read_deleted
  return makeContext({
    requestId: str(wire.request_id) ?? newRequestId(),
    globalRequestId: str(wire.global_request_id),
    userId: str(wire.user_id),
    projectId: str(wire.project_id),
    roles: Array.isArray(wire.roles) ? wire.roles.filter((r): r is string => typeof r === 'string') : [],
    isAdmin: wire.is_admin === true,
    readDeleted: readDeleted === 'yes' || readDeleted === 'only' ? readDeleted : 'no',
    remoteAddress: str(wire.remote_address),
    timestamp: str(wire.timestamp) ?? new Date().toISOString(),
  })
}
