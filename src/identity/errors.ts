/**
 * Keystone's errors, in the shared hierarchy: the status says the title (`Bad Request`, …) and
 * the messages are Keystone's. `renderKeystoneError` in `app.ts` writes `{"error": …}`.
 */
import { Conflict, Forbidden, Invalid, NotFound, Unauthorized } from '../shared/errors.js'

export class ValidationError extends Invalid {}

export class AuthenticationRequired extends Unauthorized {
  constructor(message = 'The request you have made requires authentication.') {
    super(message)
  }
}

export class ForbiddenAction extends Forbidden {
  constructor(action: string) {
    super(`You are not authorized to perform the requested action: ${action}.`)
  }
}

export class NotFoundError extends NotFound {
  constructor(kind: string, id: string) {
    super(`Could not find ${kind}: ${id}.`)
  }
}

export class ConflictError extends Conflict {
  constructor(kind: string, detail: string) {
    super(`Conflict occurred attempting to store ${kind} - ${detail}.`)
  }
}
