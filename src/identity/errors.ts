/**
 * Keystone's errors, as its API answers them: `{"error": {"code", "title", "message"}}`.
 * The image service reuses Unauthorized and Forbidden for its own 401/403.
 */
export class IdentityError extends Error {
  constructor(
    readonly code: number,
    readonly title: string,
    message: string,
  ) {
    super(message)
    this.name = new.target.name
  }

  body(): { error: { code: number; title: string; message: string } } {
    return { error: { code: this.code, title: this.title, message: this.message } }
  }
}

export class ValidationError extends IdentityError {
  constructor(message: string) {
    super(400, 'Bad Request', message)
  }
}

export class AuthenticationRequired extends IdentityError {
  constructor(message = 'The request you have made requires authentication.') {
    super(401, 'Unauthorized', message)
  }
}

export class ForbiddenAction extends IdentityError {
  constructor(action: string) {
    super(403, 'Forbidden', `You are not authorized to perform the requested action: ${action}.`)
  }
}

export class NotFoundError extends IdentityError {
  constructor(kind: string, id: string) {
    super(404, 'Not Found', `Could not find ${kind}: ${id}.`)
  }
}

export class ConflictError extends IdentityError {
  constructor(kind: string, detail: string) {
    super(409, 'Conflict', `Conflict occurred attempting to store ${kind} - ${detail}.`)
  }
}
