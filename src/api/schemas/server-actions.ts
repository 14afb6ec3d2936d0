/**
 * Server action bodies (nova/api/openstack/compute/schemas/servers.py `reboot`,
 * `trigger_crash_dump`; lock_server.py; reset_server_state.py; admin_password.py). Actions Nova
 * gives no schema (os-start, os-stop, pause, unpause, suspend, resume, unlock, and lock before
 * 2.73) take any value under their key.
 */
import { byMicroversion, novaBody } from '../../validation/nova.js'
import * as types from './parameter-types.js'

/** One action key holding `inner`, and nothing else. */
function actionBody(key: string, inner: Record<string, unknown>) {
  return { type: 'object', properties: { [key]: inner }, required: [key], additionalProperties: false }
}

export const validateReboot = novaBody<{ reboot: { type: string } }>(
  actionBody('reboot', {
    type: 'object',
    properties: { type: { type: 'string', enum: ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft'] } },
    required: ['type'],
    additionalProperties: false,
  }),
)

export const validateTriggerCrashDump = novaBody<{ trigger_crash_dump: null }>(
  actionBody('trigger_crash_dump', { type: 'null' }),
)

/** `lock`: any body before 2.73; from 2.73 null or `{"locked_reason": …}`. */
export const validateLock = byMicroversion<(body: unknown) => { lock: unknown }>([
  ['2.1', (body) => body as { lock: unknown }],
  [
    '2.73',
    novaBody<{ lock: { locked_reason?: string } | null }>(
      actionBody('lock', {
        type: ['object', 'null'],
        properties: { locked_reason: { type: 'string', minLength: 1, maxLength: 255 } },
        additionalProperties: false,
      }),
    ),
  ],
])

export const validateResetState = novaBody<{ 'os-resetState': { state: 'active' | 'error' } }>(
  actionBody('os-resetState', {
    type: 'object',
    properties: { state: { type: 'string', enum: ['active', 'error'] } },
    required: ['state'],
    additionalProperties: false,
  }),
)

export const validateChangePassword = novaBody<{ changePassword: { adminPass: string } }>(
  actionBody('changePassword', {
    type: 'object',
    properties: { adminPass: types.adminPassword },
    required: ['adminPass'],
    additionalProperties: false,
  }),
)
