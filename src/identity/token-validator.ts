import { createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { makeContext, type RequestContext } from '../shared/context.js'
import { ServiceUnavailable, Unauthorized } from '../shared/errors.js'
import { InvalidToken, type TokenVerifier } from './tokens.js'

/** Who a valid token speaks for, whichever Keystone issued it. */
export interface AuthenticatedIdentity {
  readonly userId: string
  readonly projectId: string | null
  readonly roles: readonly string[]
  /** Milliseconds since the epoch. */
  readonly expiresAt: number
}

/**
 * Validates the `X-Auth-Token` of a request to the compute or image API (keystonemiddleware's
 * auth_token, reduced). Throws `InvalidToken` for a token that is not (or no longer) valid.
 */
export interface TokenValidator {
  validate(token: string): Promise<AuthenticatedIdentity>
}

/** The built-in identity's tokens: checked here, with the public keys in the API database. */
export class LocalTokenValidator implements TokenValidator {
  constructor(private readonly verifier: TokenVerifier) {}

  async validate(token: string): Promise<AuthenticatedIdentity> {
    const claims = await this.verifier.verify(token)
    return {
      userId: claims.userId,
      projectId: claims.projectId,
      roles: claims.roles,
      expiresAt: claims.expiresAt,
    }
  }
}

/** Keystone did not answer: the request cannot be authenticated now, which is not a 401. */
export class IdentityUnavailable extends ServiceUnavailable {}

/**
 * An external Keystone (`[keystone_authtoken] auth_url`): each token is validated by
 * `GET /v3/auth/tokens` (a token may validate itself under Keystone's default policy), and the
 * answer cached for `cacheTtlS` seconds or until the token expires, as keystonemiddleware does.
 */
export class RemoteTokenValidator implements TokenValidator {
  private readonly cache = new Map<string, { identity: AuthenticatedIdentity; until: number }>()
  private readonly base: string

  constructor(
    authUrl: string,
    private readonly options: { cacheTtlS?: number; maxCached?: number; timeoutMs?: number } = {},
  ) {
    this.base = authUrl.replace(/\/+$/, '').replace(/\/v3$/, '')
  }

  async validate(token: string): Promise<AuthenticatedIdentity> {
    const key = createHash('sha256').update(token).digest('hex')
    const now = Date.now()
    const hit = this.cache.get(key)
    if (hit && hit.until > now) return hit.identity
    let res: Response
    try {
      res = await fetch(`${this.base}/v3/auth/tokens`, {
        headers: { 'x-auth-token': token, 'x-subject-token': token, accept: 'application/json' },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      })
    } catch (err) {
      throw new IdentityUnavailable(
        `Identity service at ${this.base} is unavailable: ${(err as Error).message}`,
      )
    }
    if (res.status === 401 || res.status === 403 || res.status === 404) throw new InvalidToken('rejected')
    if (!res.ok) throw new IdentityUnavailable(`Identity service at ${this.base} answered ${res.status}`)
    const body = (await res.json()) as {
      token?: {
        user?: { id?: string }
        project?: { id?: string }
        roles?: { name?: string }[]
        expires_at?: string
      }
    }
    const t = body.token
    if (!t?.user?.id || !t.expires_at) throw new InvalidToken('unexpected validation answer')
    const identity: AuthenticatedIdentity = {
      userId: t.user.id,
      projectId: t.project?.id ?? null,
      roles: (t.roles ?? []).map((r) => r.name).filter((n): n is string => typeof n === 'string'),
      expiresAt: Date.parse(t.expires_at),
    }
    if (this.cache.size >= (this.options.maxCached ?? 10_000)) this.cache.clear()
    this.cache.set(key, {
      identity,
      until: Math.min(identity.expiresAt, now + (this.options.cacheTtlS ?? 300) * 1000),
    })
    return identity
  }
}

/** The request context of a Keystone-authenticated request: `X-Auth-Token` → user, project, roles. */
export async function keystoneContext(
  request: FastifyRequest,
  validator: TokenValidator,
  requestId: string,
  globalRequestId: string | null,
): Promise<RequestContext> {
  const raw = request.headers['x-auth-token']
  const token = Array.isArray(raw) ? raw[0] : raw
  if (!token) throw new Unauthorized('The request you have made requires authentication.')
  let identity: AuthenticatedIdentity
  try {
    identity = await validator.validate(token)
  } catch (err) {
    if (err instanceof InvalidToken)
      throw new Unauthorized('The request you have made requires authentication.')
    throw err
  }
  // An unscoped token authenticates nobody to a project API.
  if (!identity.projectId) throw new Unauthorized('The request you have made requires authentication.')
  return makeContext({
    requestId,
    globalRequestId,
    userId: identity.userId,
    projectId: identity.projectId,
    roles: identity.roles,
    remoteAddress: request.ip,
  })
}
