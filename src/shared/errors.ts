/**
 * One error hierarchy for the three APIs and the services behind them: each error knows the
 * HTTP status an API answers it with; each API renders it in its own shape (Nova's fault body,
 * Keystone's `{"error": …}`, Glance's HTML page). Class names travel over RPC so the caller can
 * rebuild the error as a real instance (`errorFromRemote`).
 */
export class ApiError extends Error {
  /** HTTP status an API maps this error to. */
  readonly code: number = 500
  constructor(message: string) {
    super(message)
    this.name = new.target.name
  }
}

export class Invalid extends ApiError {
  override readonly code = 400
}
export class Unauthorized extends ApiError {
  override readonly code = 401
}
export class Forbidden extends ApiError {
  override readonly code = 403
}
export class NotFound extends ApiError {
  override readonly code = 404
}
export class MethodNotAllowed extends ApiError {
  override readonly code = 405
}
export class Conflict extends ApiError {
  override readonly code = 409
}
export class Gone extends ApiError {
  override readonly code = 410
}
export class RequestEntityTooLarge extends ApiError {
  override readonly code = 413
}
export class UriTooLong extends ApiError {
  override readonly code = 414
}
export class UnsupportedMediaType extends ApiError {
  override readonly code = 415
}
export class HeaderFieldsTooLarge extends ApiError {
  override readonly code = 431
}
/** Something the request needs (database, broker, identity service) cannot be reached now. */
export class ServiceUnavailable extends ApiError {
  override readonly code = 503
}
/** An admin-only API asked for by someone else (the rule names Nova's policy). */
export class PolicyNotAuthorized extends Forbidden {
  constructor(action: string) {
    super(`Policy doesn't allow ${action} to be performed.`)
  }
}

export class FlavorNotFound extends NotFound {
  constructor(flavorId: string) {
    super(`Flavor ${flavorId} could not be found.`)
  }
}
/** A name taken by another flavor (Nova raises FlavorExists; the API answers 409). */
export class FlavorExists extends Conflict {
  constructor(name: string) {
    super(`Flavor with name ${name} already exists.`)
  }
}
export class FlavorIdExists extends Conflict {
  constructor(flavorId: string) {
    super(`Flavor with ID ${flavorId} already exists.`)
  }
}
/** `flavorPk` is the flavor's database id, as Nova words these two. */
export class FlavorAccessExists extends Conflict {
  constructor(flavorPk: number | string, projectId: string) {
    super(`Flavor access already exists for flavor ${flavorPk} and project ${projectId} combination.`)
  }
}
export class FlavorAccessNotFound extends NotFound {
  constructor(flavorPk: number | string, projectId: string) {
    super(`Flavor access not found for ${flavorPk} / ${projectId} combination.`)
  }
}
export class AggregateNotFound extends NotFound {
  constructor(id: number | string) {
    super(`Aggregate ${id} could not be found.`)
  }
}
/** A change of name that collides with another aggregate's (Nova answers 409). */
export class AggregateNameExists extends Conflict {
  constructor(name: string) {
    super(`Aggregate ${name} already exists.`)
  }
}
export class InstanceGroupNotFound extends NotFound {
  constructor(uuid: string) {
    super(`Instance group ${uuid} could not be found.`)
  }
}
export class CellMappingNotFound extends NotFound {
  constructor(cell: string) {
    super(`Cell ${cell} has no mapping.`)
  }
}
/** A list's `marker` names nothing there is (the API answers 400 in these words, as Nova's servers list). */
export class MarkerNotFound extends Invalid {
  constructor(marker: string) {
    super(`marker [${marker}] not found`)
  }
}
/** The instance has no host yet (Nova's `check_instance_host`); the API answers 409. */
export class InstanceNotReady extends Conflict {
  constructor(instanceUuid: string) {
    super(`Instance ${instanceUuid} is not ready`)
  }
}
export class InstanceNotFound extends NotFound {
  constructor(instanceUuid: string) {
    super(`Instance ${instanceUuid} could not be found.`)
  }
}
export class ComputeHostNotFound extends NotFound {
  constructor(host: string) {
    super(`Compute host ${host} could not be found.`)
  }
}
export class ServiceNotFound extends NotFound {
  constructor(serviceId: string) {
    super(`Service ${serviceId} could not be found.`)
  }
}
export class NoValidHost extends ApiError {
  constructor(reason: string) {
    super(`No valid host was found. ${reason}`.trim())
  }
}
/** A compare-and-swap on task_state lost: someone else moved the instance first. */
export class UnexpectedTaskStateError extends Conflict {
  constructor(instanceUuid: string, expected: readonly (string | null)[], actual: string | null) {
    super(
      `Conflict updating instance ${instanceUuid}. Expected: {'task_state': [${expected.map(pyRepr).join(', ')}]}. Actual: {'task_state': ${pyRepr(actual)}}`,
    )
  }
}
export class UnexpectedDeletingTaskStateError extends UnexpectedTaskStateError {}
export class UnexpectedVmStateError extends Conflict {
  constructor(instanceUuid: string, expected: string, actual: string | null) {
    super(
      `Conflict updating instance ${instanceUuid}. Expected: {'vm_state': ${pyRepr(expected)}}. Actual: {'vm_state': ${pyRepr(actual)}}`,
    )
  }
}
/**
 * An action refused for the instance's state (Nova's InstanceInvalidState as the API words it):
 * `Cannot '<action>' instance <uuid> while it is in <attr> <state>`.
 */
export class InstanceInvalidState extends Conflict {}
/** Nova's InstanceIsLocked: a locked server refuses what its owner asks (admins pass). */
export class InstanceIsLocked extends InstanceInvalidState {
  constructor(instanceUuid: string) {
    super(`Instance ${instanceUuid} is locked`)
  }
}
/**
 * The instance's compute service is down (Nova's `check_instance_host(check_is_up=True)`): said
 * at once rather than after a call's timeout, and without naming the host.
 */
export class ComputeServiceDown extends Conflict {
  constructor() {
    super('Service is unavailable at this time.')
  }
}
/** A driver (or guest) without this operation: Nova's NotImplementedError, a 501. */
export class NotImplementedByDriver extends ApiError {
  override readonly code = 501
}
export class ConsoleTypeInvalid extends Invalid {
  constructor(consoleType: string | null) {
    super(`Invalid console type ${consoleType}`)
  }
}
/** The console type is switched off on the host (`[vnc] enabled` and its kin). */
export class ConsoleTypeUnavailable extends Invalid {
  constructor(consoleType: string | null) {
    super(`Unavailable console type ${consoleType}.`)
  }
}
/** `changePassword` failed on the host; the API answers 409 (Nova's InstancePasswordSetFailed). */
export class InstancePasswordSetFailed extends Conflict {
  constructor(instanceUuid: string, reason: string) {
    super(`Failed to set admin password on ${instanceUuid} because ${reason}`)
  }
}
export class SetAdminPasswdNotSupported extends Conflict {
  constructor() {
    super('Set admin password is not supported')
  }
}
export class InstanceAgentNotEnabled extends Conflict {
  constructor() {
    super('Guest agent is not enabled for the instance')
  }
}
/** The guest is not running (Nova's InstanceNotRunning, e.g. a crash dump of a stopped guest). */
export class InstanceNotRunning extends Invalid {
  constructor(instanceUuid: string) {
    super(`Instance ${instanceUuid} is not running.`)
  }
}
/** The build failed on this host in a way another host may not: try an alternate. */
export class RescheduledException extends ApiError {}
export class BuildAbortException extends ApiError {}
export class MessagingTimeout extends ApiError {
  override readonly code = 504
}
/** The broker is unreachable right now; the request was not sent. */
export class MessagingUnavailable extends ServiceUnavailable {}
/** A remote failure whose class this side does not know. */
export class RemoteError extends ApiError {
  constructor(
    readonly excType: string,
    message: string,
  ) {
    super(`Remote error: ${excType} ${message}`)
  }
}
export class NoSuchMethod extends ApiError {
  constructor(method: string) {
    super(`Endpoint does not support RPC method ${method}`)
  }
}
export class UnsupportedVersion extends ApiError {
  constructor(version: string, method: string) {
    super(`Endpoint does not support RPC version ${version}. Attempted method: ${method}`)
  }
}

function pyRepr(value: string | null): string {
  return value === null ? 'None' : `'${value}'`
}

/** Classes that may be rebuilt from a remote failure, by name (oslo's allowed_remote_exmods). */
const remoteClasses = new Map<string, new (message: string) => ApiError>()
for (const cls of [
  ApiError,
  Invalid,
  NotFound,
  Conflict,
  Forbidden,
  ServiceUnavailable,
  MessagingUnavailable,
  NoValidHost,
  InstanceInvalidState,
  InstanceIsLocked,
  ComputeServiceDown,
  NotImplementedByDriver,
  ConsoleTypeInvalid,
  ConsoleTypeUnavailable,
  InstancePasswordSetFailed,
  SetAdminPasswdNotSupported,
  InstanceAgentNotEnabled,
  InstanceNotRunning,
  RescheduledException,
  BuildAbortException,
  MessagingTimeout,
  NoSuchMethod,
  UnsupportedVersion,
  UnexpectedTaskStateError,
  UnexpectedDeletingTaskStateError,
  UnexpectedVmStateError,
  InstanceNotFound,
  InstanceNotReady,
  FlavorNotFound,
  ComputeHostNotFound,
  ServiceNotFound,
] as const) {
  remoteClasses.set(cls.name, cls as unknown as new (message: string) => ApiError)
}

/** The HTTP status of each kind of error, most specific first, for errors rebuilt from a remote failure. */
const STATUS_BY_KIND: readonly [abstract new (...args: never[]) => ApiError, number][] = [
  [Invalid, 400],
  [Forbidden, 403],
  [NotFound, 404],
  [Conflict, 409],
  [NotImplementedByDriver, 501],
  [ServiceUnavailable, 503],
  [MessagingTimeout, 504],
]

/**
 * Rebuild an error raised on the far side of an RPC call. The message is kept verbatim (the
 * constructors that format messages are bypassed) so the caller sees exactly what the remote said.
 */
export function errorFromRemote(className: string, message: string): ApiError {
  const cls = remoteClasses.get(className)
  if (!cls) return new RemoteError(className, message)
  const err = Object.create(cls.prototype) as ApiError
  // The constructor that sets `code` is bypassed too: the status follows from the kind of error.
  const code = STATUS_BY_KIND.find(([kind]) => err instanceof kind)?.[1] ?? 500
  Object.defineProperty(err, 'code', { value: code, writable: false, configurable: true })
  Object.defineProperty(err, 'message', { value: message, writable: true, configurable: true })
  Object.defineProperty(err, 'name', { value: className, writable: true, configurable: true })
  Error.captureStackTrace(err, errorFromRemote)
  return err
}
