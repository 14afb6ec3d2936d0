/**
 * The power actions (os-stop, os-start, reboot, pause, unpause, suspend, resume,
 * trigger_crash_dump): what each allows and sets, as Nova's compute/api.py has it, and the cast
 * its host carries out.
 */
import { InstanceActionName } from '../../objects/instance-action.js'
import {
  ALLOW_HARD_REBOOT,
  ALLOW_REBOOT,
  ALLOW_SOFT_REBOOT,
  ALLOW_TRIGGER_CRASH_DUMP,
  type RebootKind,
  TaskState,
  VmState,
} from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import type { HostAction, HostActionRunner, LocatedServer } from './host-action.js'

const STOP: HostAction = {
  name: 'stop',
  record: InstanceActionName.STOP,
  lock: true,
  host: true,
  state: { vmStates: [VmState.ACTIVE, VmState.ERROR] },
  taskState: TaskState.POWERING_OFF,
  alsoSet: { progress: 0 },
  method: 'stop_instance',
  send: (compute, ctx, instance) => compute.stopInstance(ctx, instance),
}

const START: HostAction = {
  name: 'start',
  record: InstanceActionName.START,
  lock: true,
  host: true,
  state: { vmStates: [VmState.STOPPED] },
  taskState: TaskState.POWERING_ON,
  method: 'start_instance',
  send: (compute, ctx, instance) => compute.startInstance(ctx, instance),
}

const SOFT_REBOOT: HostAction = {
  name: 'reboot',
  record: InstanceActionName.REBOOT,
  lock: true,
  host: false,
  state: { vmStates: ALLOW_SOFT_REBOOT },
  taskState: TaskState.REBOOTING,
  method: 'reboot_instance',
  send: (compute, ctx, instance) => compute.rebootInstance(ctx, instance, 'SOFT'),
}

/** A hard reboot may interrupt another reboot, or a pause or suspend under way (`ALLOW_REBOOT`). */
const HARD_REBOOT: HostAction = {
  ...SOFT_REBOOT,
  state: { vmStates: ALLOW_HARD_REBOOT, taskStates: ALLOW_REBOOT },
  taskState: TaskState.REBOOTING_HARD,
  send: (compute, ctx, instance) => compute.rebootInstance(ctx, instance, 'HARD'),
}

const PAUSE: HostAction = {
  name: 'pause',
  record: InstanceActionName.PAUSE,
  lock: true,
  host: false,
  state: { vmStates: [VmState.ACTIVE] },
  taskState: TaskState.PAUSING,
  method: 'pause_instance',
  send: (compute, ctx, instance) => compute.pauseInstance(ctx, instance),
}

const UNPAUSE: HostAction = {
  name: 'unpause',
  record: InstanceActionName.UNPAUSE,
  lock: true,
  host: false,
  state: { vmStates: [VmState.PAUSED] },
  taskState: TaskState.UNPAUSING,
  method: 'unpause_instance',
  send: (compute, ctx, instance) => compute.unpauseInstance(ctx, instance),
}

const SUSPEND: HostAction = {
  name: 'suspend',
  record: InstanceActionName.SUSPEND,
  lock: true,
  host: false,
  state: { vmStates: [VmState.ACTIVE] },
  taskState: TaskState.SUSPENDING,
  method: 'suspend_instance',
  send: (compute, ctx, instance) => compute.suspendInstance(ctx, instance),
}

const RESUME: HostAction = {
  name: 'resume',
  record: InstanceActionName.RESUME,
  lock: true,
  host: false,
  state: { vmStates: [VmState.SUSPENDED] },
  taskState: TaskState.RESUMING,
  method: 'resume_instance',
  send: (compute, ctx, instance) => compute.resumeInstance(ctx, instance),
}

/** No task_state: the host's event (and a fault, if it fails) is all that records it. */
const TRIGGER_CRASH_DUMP: HostAction = {
  name: 'trigger_crash_dump',
  record: InstanceActionName.TRIGGER_CRASH_DUMP,
  lock: true,
  host: true,
  state: { vmStates: ALLOW_TRIGGER_CRASH_DUMP },
  method: 'trigger_crash_dump',
  send: (compute, ctx, instance) => compute.triggerCrashDump(ctx, instance),
}

/** Nova's stop, start, reboot, pause, unpause, suspend, resume and trigger_crash_dump. */
export class PowerActions {
  constructor(private readonly runner: HostActionRunner) {}

  stop(ctx: RequestContext, server: LocatedServer): Promise<void> {
    return this.runner.run(ctx, server, STOP)
  }

  start(ctx: RequestContext, server: LocatedServer): Promise<void> {
    return this.runner.run(ctx, server, START)
  }

  reboot(ctx: RequestContext, server: LocatedServer, kind: RebootKind): Promise<void> {
    return this.runner.run(ctx, server, kind === 'SOFT' ? SOFT_REBOOT : HARD_REBOOT)
  }

  pause(ctx: RequestContext, server: LocatedServer): Promise<void> {
    return this.runner.run(ctx, server, PAUSE)
  }

  unpause(ctx: RequestContext, server: LocatedServer): Promise<void> {
    return this.runner.run(ctx, server, UNPAUSE)
  }

  suspend(ctx: RequestContext, server: LocatedServer): Promise<void> {
    return this.runner.run(ctx, server, SUSPEND)
  }

  resume(ctx: RequestContext, server: LocatedServer): Promise<void> {
    return this.runner.run(ctx, server, RESUME)
  }

  triggerCrashDump(ctx: RequestContext, server: LocatedServer): Promise<void> {
    return this.runner.run(ctx, server, TRIGGER_CRASH_DUMP)
  }
}
