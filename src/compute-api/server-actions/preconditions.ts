/**
 * What Nova's compute API checks before it acts on a server (the decorators of compute/api.py):
 * `check_instance_lock`, `check_instance_host`, `check_instance_state`, `reject_instance_state`,
 * with the words its controllers answer them in.
 */
import type { Instance } from '../../objects/instance.js'
import type { RequestContext } from '../../shared/context.js'
import { InstanceInvalidState, InstanceIsLocked, InstanceNotReady, Invalid } from '../../shared/errors.js'

/** Nova's `check_instance_state`: which vm_states and task_states an action starts from. */
export interface StateRule {
  /** The vm_states allowed; undefined: any. */
  readonly vmStates?: readonly string[]
  /** The task_states allowed (null: nothing in flight); undefined: only null; 'any': any. */
  readonly taskStates?: readonly (string | null)[] | 'any'
  /** The server must have run once (`launched_at` set); true unless said otherwise. */
  readonly mustHaveLaunched?: boolean
}

/** The state check's failure: which attribute, in which state. */
export interface StateViolation {
  readonly attr: 'vm_state' | 'task_state' | 'launched_at'
  readonly state: string | null
}

/** The task_states a state rule lets an action start from; undefined when any will do. */
export function allowedTaskStates(rule: StateRule): readonly (string | null)[] | undefined {
  if (rule.taskStates === 'any') return undefined
  return rule.taskStates ?? [null]
}

/** Why the instance is not in a state the rule allows, in the order Nova checks; none when it is. */
export function stateViolation(instance: Instance, rule: StateRule): StateViolation | undefined {
  if (rule.vmStates && !rule.vmStates.includes(instance.vm_state ?? '')) {
    return { attr: 'vm_state', state: instance.vm_state }
  }
  const tasks = allowedTaskStates(rule)
  if (tasks && !tasks.includes(instance.task_state)) return { attr: 'task_state', state: instance.task_state }
  if (rule.mustHaveLaunched !== false && !instance.launched_at) return { attr: 'launched_at', state: null }
  return undefined
}

/** The API's 409 for a violation (`raise_http_conflict_for_instance_invalid_state`); None as Python prints it. */
export function invalidState(action: string, uuid: string, v: StateViolation): InstanceInvalidState {
  return new InstanceInvalidState(
    `Cannot '${action}' instance ${uuid} while it is in ${v.attr} ${v.state ?? 'None'}`,
  )
}

/** `check_instance_state`, answered as the controller of `action` answers it. */
export function checkState(instance: Instance, rule: StateRule, action: string): void {
  const v = stateViolation(instance, rule)
  if (v) throw invalidState(action, instance.uuid, v)
}

/** `check_instance_lock`: a locked server refuses all but admins (the `context_is_admin` rule). */
export function checkLock(ctx: RequestContext, instance: Instance): void {
  if (instance.locked && !ctx.isAdmin) throw new InstanceIsLocked(instance.uuid)
}

/** `check_instance_host()`: the server has a host to do the work. */
export function checkHost(instance: Instance): asserts instance is Instance & { host: string } {
  if (!instance.host) throw new InstanceNotReady(instance.uuid)
}

/**
 * How a `reject_instance_state` refusal is answered: as the usual 409 naming an action, or with
 * Nova's internal message as a 400 (its controllers differ).
 */
export type StateRefusal = { readonly conflictAs: string } | 'bad-request'

/** `reject_instance_state(task_state=…)`: the server must not be in any of `taskStates`. */
export function rejectTaskStates(
  instance: Instance,
  taskStates: readonly string[],
  method: string,
  answer: StateRefusal,
): void {
  const state = instance.task_state
  if (state === null || !taskStates.includes(state)) return
  if (answer === 'bad-request') {
    throw new Invalid(
      `Instance ${instance.uuid} in task_state ${state}. Cannot ${method} while the instance is in this state.`,
    )
  }
  throw invalidState(answer.conflictAs, instance.uuid, { attr: 'task_state', state })
}
