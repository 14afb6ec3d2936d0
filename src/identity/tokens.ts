import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto'
import { dbNow, fromDbTime } from '../shared/time.js'
import { newId, type Revocation, type TokenKeyStore } from './identity-store.js'

/**
 * What a token says. Tokens are self-contained and signed (Ed25519): any process that can read
 * the public keys verifies one without asking the identity service, as Keystone's Fernet tokens
 * are verified by every Keystone node. Roles are carried (names, implied ones included) so that
 * the compute and image APIs need no lookup; revocations reach them through the database.
 */
export interface TokenClaims {
  readonly userId: string
  /** The project a project-scoped token is for; null when unscoped or domain-scoped. */
  readonly projectId: string | null
  readonly domainId: string | null
  readonly roles: readonly string[]
  readonly methods: readonly string[]
  /** Milliseconds since the epoch. */
  readonly issuedAt: number
  readonly expiresAt: number
  /** This token's audit id, then the one of the token it was rescoped from (Keystone's audit chain). */
  readonly auditIds: readonly string[]
}

interface WirePayload {
  k: string
  u: string
  p?: string
  d?: string
  r: string[]
  m: string[]
  i: number
  e: number
  a: string[]
}

/** Keystone's audit ids: 16 random bytes, url-safe base64 without padding. */
export function newAuditId(): string {
  return randomBytes(16).toString('base64url')
}

export class InvalidToken extends Error {}

/** Signs tokens with the newest key, creating the first key when there is none. */
export class TokenSigner {
  private key: { id: string; privateKey: KeyObject } | undefined

  constructor(private readonly store: TokenKeyStore) {}

  private async signingKey(): Promise<{ id: string; privateKey: KeyObject }> {
    if (this.key) return this.key
    const keys = await this.store.listSigningKeys()
    let newest = keys.at(-1)
    if (!newest) {
      const pair = generateKeyPairSync('ed25519')
      newest = {
        id: newId().slice(0, 12),
        private_key: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        public_key: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
        created_at: dbNow(),
      }
      await this.store.addSigningKey(newest)
    }
    this.key = { id: newest.id, privateKey: createPrivateKey(newest.private_key) }
    return this.key
  }

  async issue(claims: TokenClaims): Promise<string> {
    const key = await this.signingKey()
    const payload: WirePayload = {
      k: key.id,
      u: claims.userId,
      ...(claims.projectId ? { p: claims.projectId } : {}),
      ...(claims.domainId ? { d: claims.domainId } : {}),
      r: [...claims.roles],
      m: [...claims.methods],
      i: claims.issuedAt,
      e: claims.expiresAt,
      a: [...claims.auditIds],
    }
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url')
    const signature = sign(null, Buffer.from(body), key.privateKey).toString('base64url')
    return `${body}.${signature}`
  }
}

/**
 * Verifies tokens: signature, expiry and revocation. Public keys are cached (reloaded when a
 * token names an unknown one); revocations are reloaded at most every `revocationRefreshMs`.
 */
export class TokenVerifier {
  private keys = new Map<string, KeyObject>()
  private keysLoadedAt = Number.NEGATIVE_INFINITY
  private revocations: Revocation[] = []
  private revocationsLoadedAt = 0

  constructor(
    private readonly store: TokenKeyStore,
    private readonly options: { revocationRefreshMs?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now()
  }

  private async publicKey(id: string): Promise<KeyObject | undefined> {
    // An unknown key id reloads the keys, at most once a second (forged ids must not hammer the database).
    if (!this.keys.has(id) && this.now() - this.keysLoadedAt >= 1000) {
      this.keysLoadedAt = this.now()
      for (const k of await this.store.listSigningKeys()) {
        if (!this.keys.has(k.id)) this.keys.set(k.id, createPublicKey(k.public_key))
      }
    }
    return this.keys.get(id)
  }

  /** Forget the cached revocations (the identity service calls this after revoking). */
  invalidateRevocations(): void {
    this.revocationsLoadedAt = 0
  }

  async verify(token: string): Promise<TokenClaims> {
    const [body, signature, extra] = token.split('.')
    if (!body || !signature || extra !== undefined) throw new InvalidToken('malformed token')
    let payload: WirePayload
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as WirePayload
    } catch {
      throw new InvalidToken('malformed token')
    }
    if (typeof payload?.k !== 'string') throw new InvalidToken('malformed token')
    const key = await this.publicKey(payload.k)
    if (!key || !verify(null, Buffer.from(body), key, Buffer.from(signature, 'base64url'))) {
      throw new InvalidToken('bad signature')
    }
    const claims: TokenClaims = {
      userId: payload.u,
      projectId: payload.p ?? null,
      domainId: payload.d ?? null,
      roles: payload.r,
      methods: payload.m,
      issuedAt: payload.i,
      expiresAt: payload.e,
      auditIds: payload.a,
    }
    if (claims.expiresAt <= this.now()) throw new InvalidToken('expired')
    if (await this.isRevoked(claims)) throw new InvalidToken('revoked')
    return claims
  }

  private async isRevoked(claims: TokenClaims): Promise<boolean> {
    const refreshMs = this.options.revocationRefreshMs ?? 1000
    if (this.now() - this.revocationsLoadedAt >= refreshMs) {
      this.revocations = await this.store.listRevocations()
      this.revocationsLoadedAt = this.now()
    }
    return this.revocations.some((r) => revokes(r, claims))
  }
}

function revokes(r: Revocation, claims: TokenClaims): boolean {
  if (r.audit_id) return claims.auditIds.includes(r.audit_id)
  if (r.user_id && r.user_id !== claims.userId) return false
  if (r.project_id && r.project_id !== claims.projectId) return false
  if (!r.user_id && !r.project_id) return false
  // Strictly before: a token issued in the very millisecond of the revocation (the new password's
  // first token) stays valid.
  return claims.issuedAt < fromDbTime(r.issued_before).getTime()
}
