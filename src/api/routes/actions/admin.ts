/** lock, unlock, os-resetState, changePassword: 202, no body. */
import type { ComputeApi } from '../../../compute-api/servers.js'
import { validateChangePassword, validateLock, validateResetState } from '../../schemas/server-actions.js'
import { anyBody, type ServerAction, serverAction } from './server-action.js'

/** The reason a lock body gives (2.73+); null before 2.73 or without one. */
function lockedReason(body: { lock: unknown }): string | null {
  const lock = body.lock
  if (typeof lock !== 'object' || lock === null) return null
  const reason = (lock as { locked_reason?: unknown }).locked_reason
  return typeof reason === 'string' ? reason : null
}

export function adminActions(compute: ComputeApi): [string, ServerAction][] {
  const actions = compute.serverActions
  return [
    [
      'lock',
      serverAction(
        compute,
        (body, version) => validateLock(version)(body),
        ({ ctx, apiVersion }, server, body) =>
          actions.locks.lock(ctx, server, apiVersion.atLeast('2.73') ? lockedReason(body) : null),
      ),
    ],
    ['unlock', serverAction(compute, anyBody, ({ ctx }, server) => actions.locks.unlock(ctx, server))],
    [
      'os-resetState',
      serverAction(compute, validateResetState, ({ ctx }, server, body) =>
        actions.resetState.reset(ctx, server, body['os-resetState'].state),
      ),
    ],
    [
      'changePassword',
      serverAction(compute, validateChangePassword, ({ ctx }, server, body) =>
        actions.adminPassword.change(ctx, server, body.changePassword.adminPass),
      ),
    ],
  ]
}
