/** os-stop, os-start, reboot, pause, unpause, suspend, resume, trigger_crash_dump: 202, no body. */
import type { ComputeApi } from '../../../compute-api/servers.js'
import type { RebootKind } from '../../../objects/states.js'
import { validateReboot, validateTriggerCrashDump } from '../../schemas/server-actions.js'
import { anyBody, type ServerAction, serverAction } from './server-action.js'

export function powerActions(compute: ComputeApi): [string, ServerAction][] {
  const power = compute.serverActions.power
  return [
    ['os-stop', serverAction(compute, anyBody, ({ ctx }, server) => power.stop(ctx, server))],
    ['os-start', serverAction(compute, anyBody, ({ ctx }, server) => power.start(ctx, server))],
    [
      'reboot',
      serverAction(compute, validateReboot, ({ ctx }, server, body) =>
        power.reboot(ctx, server, body.reboot.type.toUpperCase() as RebootKind),
      ),
    ],
    ['pause', serverAction(compute, anyBody, ({ ctx }, server) => power.pause(ctx, server))],
    ['unpause', serverAction(compute, anyBody, ({ ctx }, server) => power.unpause(ctx, server))],
    ['suspend', serverAction(compute, anyBody, ({ ctx }, server) => power.suspend(ctx, server))],
    ['resume', serverAction(compute, anyBody, ({ ctx }, server) => power.resume(ctx, server))],
    [
      'trigger_crash_dump',
      serverAction(
        compute,
        validateTriggerCrashDump,
        ({ ctx }, server) => power.triggerCrashDump(ctx, server),
        { minVersion: '2.17' },
      ),
    ],
  ]
}
